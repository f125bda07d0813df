//! Reading: conversation workflow updates, filters, keyset pagination and search.

use unibox_core::inbox::{
    AssigneeFilter, ConversationQuery, ConversationUpdate, Cursor, MAX_PAGE_SIZE, MessageQuery, SearchQuery,
};
use unibox_core::store::Store;
use unibox_core::{Content, ConversationId, ConversationStatus, ErrorKind, IdentityKind, Media, Message, MessageId};

use super::support::{
    all_conversations, assert_kind, ids, ingest, ok, stored_message, tenant_with_account, text_in_conversation,
    walk_pages,
};
use crate::fixtures::{
    self, AccountEvents, ENGLISH_ORDER_TEXT, ENGLISH_REFUND_TEXT, THAI_ORDER_TEXT, THAI_SHIPPING_TEXT, at,
};

/// `update_conversation` sets status, assignee, tags and read state, and only what it names.
pub async fn conversation_update_sets_workflow_fields(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let id = text_in_conversation(store, &events, &customer, "m-1", THAI_ORDER_TEXT, at(0)).await;
    text_in_conversation(store, &events, &customer, "m-2", "ไซส์ M นะคะ", at(5)).await;

    let agent = fixtures::user("agent-7");
    let update = ConversationUpdate::new()
        .status(ConversationStatus::Pending)
        .assign(agent.clone())
        .tags(["vip", " refund ", "vip"]);
    let updated = ok(store.workflow.update_conversation(&tenant, id, &update).await, "update_conversation");
    check_eq!(updated.status, ConversationStatus::Pending);
    check_eq!(updated.assignee, Some(agent.clone()));
    check_eq!(updated.tags, vec!["refund".to_string(), "vip".to_string()], "tags are trimmed, sorted and unique");
    check_eq!(updated.unread_count, 2, "read state is unchanged unless asked");
    check_eq!(ok(store.reads.conversation(&tenant, id).await, "conversation"), updated, "the update is stored");

    let read =
        ok(store.workflow.update_conversation(&tenant, id, &ConversationUpdate::new().mark_read()).await, "mark read");
    check_eq!(read.unread_count, 0);
    check_eq!(
        (read.status, read.assignee.clone(), read.tags.clone()),
        (updated.status, updated.assignee, updated.tags)
    );

    let snoozed = ok(
        store.workflow.update_conversation(&tenant, id, &ConversationUpdate::new().snooze(at(7200))).await,
        "snooze",
    );
    check_eq!((snoozed.status, snoozed.snoozed_until), (ConversationStatus::Snoozed, Some(at(7200))));
    let update = ConversationUpdate::new().status(ConversationStatus::Open).unassign();
    let reopened = ok(store.workflow.update_conversation(&tenant, id, &update).await, "reopen and unassign");
    check_eq!((reopened.status, reopened.snoozed_until), (ConversationStatus::Open, None), "opening ends the snooze");
    check_eq!(reopened.assignee, None);
    check_eq!(reopened.tags, vec!["refund".to_string(), "vip".to_string()], "tags were not named, so they stay");
}

/// An invalid update is `InvalidInput` and changes nothing; an unknown conversation is
/// `NotFound`.
pub async fn conversation_update_rejects_invalid_input(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let id = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", "hello", at(0)).await;
    let before = ok(store.reads.conversation(&tenant, id).await, "conversation");

    let snooze_without_time = ConversationUpdate::new().status(ConversationStatus::Snoozed).mark_read();
    assert_kind(
        store.workflow.update_conversation(&tenant, id, &snooze_without_time).await,
        ErrorKind::InvalidInput,
        "a snooze without a wake-up time",
    );
    let blank_tag = ConversationUpdate::new().tags(["vip", "   "]).mark_read();
    assert_kind(
        store.workflow.update_conversation(&tenant, id, &blank_tag).await,
        ErrorKind::InvalidInput,
        "a blank tag",
    );
    check_eq!(ok(store.reads.conversation(&tenant, id).await, "conversation"), before, "nothing changed");

    let unknown = ConversationId::new();
    assert_kind(
        store.workflow.update_conversation(&tenant, unknown, &ConversationUpdate::new().mark_read()).await,
        ErrorKind::NotFound,
        "updating an unknown conversation",
    );
}

/// Every filter of [`ConversationQuery`] selects exactly the matching conversations, newest
/// activity first.
pub async fn conversations_filter_by_status_account_assignee_tag_and_unread(store: &Store) {
    let (tenant, line, line_events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let shop = fixtures::shopee_account(&tenant);
    ok(store.accounts.save_account(&shop).await, "save_account");
    let shop_events = AccountEvents::new(&shop);
    let agent = fixtures::user("agent-7");
    let other_agent = fixtures::user("agent-9");

    let c1 = text_in_conversation(store, &line_events, &fixtures::line_user(), "l-1", THAI_ORDER_TEXT, at(10)).await;
    let update = ConversationUpdate::new().assign(agent.clone()).tags(["vip"]);
    ok(store.workflow.update_conversation(&tenant, c1, &update).await, "update c1");

    let second_line_user = fixtures::customer(IdentityKind::LineUserId, 2);
    let c2 = text_in_conversation(store, &line_events, &second_line_user, "l-2", "ขอบคุณค่ะ", at(20)).await;
    let update = ConversationUpdate::new().status(ConversationStatus::Resolved).mark_read();
    ok(store.workflow.update_conversation(&tenant, c2, &update).await, "update c2");

    let c3 =
        text_in_conversation(store, &shop_events, &fixtures::shopee_buyer(), "s-1", ENGLISH_REFUND_TEXT, at(30)).await;
    let update =
        ConversationUpdate::new().status(ConversationStatus::Pending).assign(other_agent).tags(["refund", "vip"]);
    ok(store.workflow.update_conversation(&tenant, c3, &update).await, "update c3");

    let second_buyer = fixtures::customer(IdentityKind::MarketplaceBuyerId, 2);
    let outcomes =
        ingest(store, vec![shop_events.echo("s-2", &second_buyer, "s-2", "Your voucher code is TH11", at(40))]).await;
    let c4 = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message").conversation;

    let cases: Vec<(&str, ConversationQuery, Vec<ConversationId>)> = vec![
        ("no filter", ConversationQuery::new(), vec![c4, c3, c2, c1]),
        ("status open", ConversationQuery::new().status(ConversationStatus::Open), vec![c4, c1]),
        ("status resolved", ConversationQuery::new().status(ConversationStatus::Resolved), vec![c2]),
        ("status pending", ConversationQuery::new().status(ConversationStatus::Pending), vec![c3]),
        ("status snoozed", ConversationQuery::new().status(ConversationStatus::Snoozed), vec![]),
        ("LINE account", ConversationQuery::new().account(line.id), vec![c2, c1]),
        ("Shopee account", ConversationQuery::new().account(shop.id), vec![c4, c3]),
        ("unassigned", ConversationQuery::new().assignee(AssigneeFilter::Unassigned), vec![c4, c2]),
        ("assigned to agent-7", ConversationQuery::new().assignee(AssigneeFilter::User(agent)), vec![c1]),
        ("tag vip", ConversationQuery::new().tag("vip"), vec![c3, c1]),
        ("tag refund", ConversationQuery::new().tag("refund"), vec![c3]),
        ("tag nobody uses", ConversationQuery::new().tag("wholesale"), vec![]),
        ("unread only", ConversationQuery::new().unread_only(), vec![c3, c1]),
        ("Shopee, vip, unread", ConversationQuery::new().account(shop.id).tag("vip").unread_only(), vec![c3]),
    ];
    for (name, query, expected) in cases {
        let found = all_conversations(store, &tenant, query).await;
        check_eq!(ids(&found, |c| c.id), expected, "filter {name:?}: wrong conversations or order");
    }
}

fn assert_conversations_sorted(conversations: &[unibox_core::Conversation]) {
    for pair in conversations.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        check!(
            (a.last_activity_at, a.id) > (b.last_activity_at, b.id),
            "conversations must be ordered by (last_activity_at desc, id desc): {} {} before {} {}",
            a.last_activity_at,
            a.id,
            b.last_activity_at,
            b.id
        );
    }
}

/// Keyset pagination over more than two pages returns every conversation exactly once, in
/// order, even when activity times tie and when a newer conversation appears mid-way.
pub async fn conversations_paginate_without_duplicates_or_gaps(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let mut batch = Vec::new();
    for n in 0..23u32 {
        let buyer = fixtures::customer(IdentityKind::MarketplaceBuyerId, n);
        // Three conversations share each activity time, so ties must be broken by id.
        let time = at(i64::from(n / 3) * 60);
        batch.push(events.text(&format!("evt-{n}"), &buyer, &format!("msg-{n}"), "Is this item in stock?", time));
    }
    ingest(store, batch).await;

    let everything =
        ok(store.reads.conversations(&tenant, &ConversationQuery::new().limit(MAX_PAGE_SIZE)).await, "page");
    check_eq!(everything.items.len(), 23);
    check_eq!(everything.next, None, "a page holding everything has no next cursor");
    assert_conversations_sorted(&everything.items);

    let mut seen = Vec::new();
    let mut query = ConversationQuery::new().limit(5);
    let mut sizes = Vec::new();
    loop {
        let page = ok(store.reads.conversations(&tenant, &query).await, "conversations page");
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|c| c.id));
        if sizes.len() == 1 {
            // A conversation newer than everything appears between two page requests.
            let newcomer = fixtures::customer(IdentityKind::MarketplaceBuyerId, 99);
            ingest(store, vec![events.text("evt-new", &newcomer, "msg-new", "Hello?", at(10_000))]).await;
        }
        match page.next {
            Some(next) => {
                let text = next.to_string();
                let parsed: Cursor = ok(text.parse(), "parsing the cursor's text");
                query = query.after(Some(parsed));
            }
            None => break,
        }
        check!(sizes.len() <= 10, "pagination does not end");
    }
    check_eq!(sizes, vec![5, 5, 5, 5, 3], "pages of 5 over 23 conversations, next is None on the last");
    check_eq!(seen, ids(&everything.items, |c| c.id), "paging yields the same order, no duplicates or gaps");

    let filtered = all_conversations(store, &tenant, ConversationQuery::new().unread_only().limit(2)).await;
    check_eq!(filtered.len(), 24, "filtered pagination also walks every page");
    assert_conversations_sorted(&filtered);
}

fn assert_messages_sorted(messages: &[Message]) {
    for pair in messages.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        check!(
            (a.sent_at, a.id) > (b.sent_at, b.id),
            "messages must be ordered by (sent_at desc, id desc): {} {} before {} {}",
            a.sent_at,
            a.id,
            b.sent_at,
            b.id
        );
    }
}

/// A conversation's messages page newest first by (sent_at, id), over three pages.
pub async fn messages_paginate_newest_first(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let mut batch = Vec::new();
    for n in 0..12i64 {
        // Pairs of messages share a time, as LINE batches do.
        batch.push(events.text(&format!("evt-{n}"), &customer, &format!("m-{n}"), &format!("ข้อความที่ {n}"), at(n / 2)));
    }
    let outcomes = ingest(store, batch).await;
    let conversation = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message").conversation;

    let everything =
        ok(store.reads.messages(&tenant, conversation, &MessageQuery::new().limit(MAX_PAGE_SIZE)).await, "messages");
    check_eq!(everything.items.len(), 12);
    check_eq!(everything.next, None);
    assert_messages_sorted(&everything.items);

    let tenant = &tenant;
    let (seen, sizes) = walk_pages(|cursor| {
        let query = MessageQuery::new().limit(5).before(cursor);
        async move { store.reads.messages(tenant, conversation, &query).await }
    })
    .await;
    let seen: Vec<MessageId> = ids(&seen, |m| m.id);
    check_eq!(sizes, vec![5, 5, 2]);
    check_eq!(seen, ids(&everything.items, |m| m.id), "paging yields the same order, no duplicates or gaps");

    let first = ok(store.reads.messages(tenant, conversation, &MessageQuery::new().limit(6)).await, "messages page");
    check!(first.next.is_some(), "a full page with more to come has a cursor");
    let second =
        ok(store.reads.messages(tenant, conversation, &MessageQuery::new().limit(6).before(first.next)).await, "page");
    check_eq!(second.items.len(), 6);
    check_eq!(second.next, None, "a full last page has no cursor: nothing follows");
}

async fn search_texts(store: &Store, tenant: &unibox_core::TenantId, text: &str) -> Vec<String> {
    let page = ok(store.reads.search(tenant, &SearchQuery::new(text).limit(MAX_PAGE_SIZE)).await, "search");
    assert_messages_sorted(&page.items);
    page.items.iter().map(|m| m.content.searchable_text().map(|t| t.into_owned()).unwrap_or_default()).collect()
}

/// Every term must occur, as a case-insensitive substring; results are newest first; captions
/// and other text-bearing content are searched too.
pub async fn search_matches_every_term_case_insensitively(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let buyer = fixtures::shopee_buyer();
    let url = "https://cf.shopee.co.th/file/th-11134103-7r98o-receipt";
    let mut receipt = Media::from_url(url::Url::parse(url).unwrap_or_else(|e| panic!("fixture URL {url}: {e}")));
    receipt.caption = Some("Bank transfer receipt".to_string());
    let image = unibox_core::InboundMessage::inbound(buyer.clone(), "s-4", Content::Image(receipt));
    ingest(
        store,
        vec![
            events.text("e-1", &buyer, "s-1", ENGLISH_REFUND_TEXT, at(0)),
            events.text("e-2", &buyer, "s-2", ENGLISH_ORDER_TEXT, at(10)),
            events.echo("e-3", &buyer, "s-3", "Refunded already, thanks for waiting", at(20)),
            events.message("e-4", image, at(30)),
        ],
    )
    .await;

    check_eq!(search_texts(store, &tenant, "refund order").await, vec![ENGLISH_REFUND_TEXT], "every term must match");
    check_eq!(
        search_texts(store, &tenant, "ORDER").await,
        vec![ENGLISH_ORDER_TEXT, ENGLISH_REFUND_TEXT],
        "case-insensitive, newest first"
    );
    check_eq!(
        search_texts(store, &tenant, "  Refund  ").await,
        vec!["Refunded already, thanks for waiting", ENGLISH_REFUND_TEXT],
        "substring match, outbound messages included"
    );
    check_eq!(search_texts(store, &tenant, "241121abcdef").await, vec![ENGLISH_ORDER_TEXT], "order numbers match");
    check_eq!(search_texts(store, &tenant, "RECEIPT").await, vec!["Bank transfer receipt"], "captions are searched");
    check!(search_texts(store, &tenant, "refund shipping").await.is_empty(), "a missing term excludes a message");
}

/// Thai, written without spaces between words, is found by substring.
pub async fn search_finds_thai_substrings(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    ingest(
        store,
        vec![
            events.text("e-1", &customer, "m-1", THAI_ORDER_TEXT, at(0)),
            events.text("e-2", &customer, "m-2", THAI_SHIPPING_TEXT, at(10)),
            events.echo("e-3", &customer, "m-3", "Thank you for your order", at(20)),
        ],
    )
    .await;

    check_eq!(search_texts(store, &tenant, "สั่งซื้อ").await, vec![THAI_ORDER_TEXT], "a word inside a Thai phrase");
    check_eq!(search_texts(store, &tenant, "จัดส่ง").await, vec![THAI_SHIPPING_TEXT]);
    check_eq!(search_texts(store, &tenant, "เสื้อ แดง").await, vec![THAI_ORDER_TEXT], "two Thai terms");
    check_eq!(search_texts(store, &tenant, "m สั่งซื้อ").await, vec![THAI_ORDER_TEXT], "mixed scripts");
    check!(search_texts(store, &tenant, "สั่งซื้อ จัดส่ง").await.is_empty(), "terms from two messages match neither");
}

/// Search results page newest first with a cursor.
pub async fn search_paginates_newest_first(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let mut batch = Vec::new();
    for n in 0..7u32 {
        let buyer = fixtures::customer(IdentityKind::MarketplaceBuyerId, n % 3);
        let text = format!("Tracking number please, order #{n}");
        batch.push(events.text(&format!("e-{n}"), &buyer, &format!("s-{n}"), &text, at(i64::from(n / 2))));
    }
    batch.push(events.text("e-x", &fixtures::shopee_buyer(), "s-x", "unrelated", at(100)));
    ingest(store, batch).await;

    let all = ok(store.reads.search(&tenant, &SearchQuery::new("tracking").limit(MAX_PAGE_SIZE)).await, "search");
    check_eq!(all.items.len(), 7);
    let tenant = &tenant;
    let (seen, sizes) = walk_pages(|cursor| {
        let query = SearchQuery::new("TRACKING").limit(3).before(cursor);
        async move { store.reads.search(tenant, &query).await }
    })
    .await;
    let seen: Vec<MessageId> = ids(&seen, |m| m.id);
    check_eq!(sizes, vec![3, 3, 1]);
    check_eq!(seen, ids(&all.items, |m| m.id), "paging yields the same order, no duplicates or gaps");
}

/// Search sees only the asking tenant's messages.
pub async fn search_ignores_other_tenants(store: &Store) {
    let (acme, _, acme_events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let (globex, _, globex_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    ingest(store, vec![acme_events.text("e-1", &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0))]).await;
    ingest(store, vec![globex_events.text("e-1", &fixtures::shopee_buyer(), "m-1", THAI_ORDER_TEXT, at(5))]).await;

    for tenant in [&acme, &globex] {
        let page = ok(store.reads.search(tenant, &SearchQuery::new("สั่งซื้อ")).await, "search");
        check_eq!(page.items.len(), 1, "{tenant} finds exactly its own message");
        check_eq!(&page.items[0].tenant, tenant, "{tenant} found another tenant's message");
    }
    let page = ok(store.reads.search(&fixtures::tenant("initech"), &SearchQuery::new("สั่งซื้อ")).await, "search");
    check!(page.items.is_empty(), "a tenant without messages finds nothing");
}

/// Page sizes outside 1..=MAX_PAGE_SIZE and blank search texts are `InvalidInput`.
pub async fn invalid_page_sizes_are_invalid_input(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let id = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", "hello", at(0)).await;
    for limit in [0, MAX_PAGE_SIZE + 1] {
        let what = format!("a page size of {limit}");
        assert_kind(
            store.reads.conversations(&tenant, &ConversationQuery::new().limit(limit)).await,
            ErrorKind::InvalidInput,
            &what,
        );
        assert_kind(
            store.reads.messages(&tenant, id, &MessageQuery::new().limit(limit)).await,
            ErrorKind::InvalidInput,
            &what,
        );
        assert_kind(
            store.reads.search(&tenant, &SearchQuery::new("hello").limit(limit)).await,
            ErrorKind::InvalidInput,
            &what,
        );
    }
    assert_kind(
        store.reads.search(&tenant, &SearchQuery::new("  \t ")).await,
        ErrorKind::InvalidInput,
        "a blank search",
    );
    let largest =
        ok(store.reads.conversations(&tenant, &ConversationQuery::new().limit(MAX_PAGE_SIZE)).await, "largest page");
    check_eq!(largest.items.len(), 1, "the largest page size is accepted");
}
