//! Ingest: contacts and conversations from messages, deduplication, late and early changes.

use unibox_core::inbox::{ConversationQuery, ConversationUpdate, IngestOutcome, SearchQuery};
use unibox_core::store::Store;
use unibox_core::{
    Author, ChannelKind, ContactIdentity, Content, ConversationStatus, DeliveryStatus, Direction, ErrorKind, EventKind,
    IdentityKind, OrderUpdate, Reaction,
};

use super::support::{
    all_conversations, all_messages, assert_kind, by_platform_id, ingest, ok, stored_message, tenant_with_account,
};
use crate::fixtures::{self, AccountEvents, ENGLISH_ORDER_TEXT, THAI_ORDER_TEXT, THAI_SHIPPING_TEXT, at};

/// The first message of a customer creates their contact and conversation.
pub async fn first_message_creates_contact_and_conversation(store: &Store) {
    let (tenant, account, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let outcomes =
        ingest(store, vec![events.text("evt-1", &customer, "468789577898262530", THAI_ORDER_TEXT, at(0))]).await;
    let IngestOutcome::Stored { conversation: Some(conversation_id), message: Some(message_id) } = outcomes[0] else {
        panic!("a new message is Stored with its conversation and message, got {:?}", outcomes[0]);
    };

    let conversation = ok(store.reads.conversation(&tenant, conversation_id).await, "conversation");
    check_eq!(conversation.tenant, tenant);
    check_eq!(conversation.account, account.id);
    check_eq!(conversation.status, ConversationStatus::Open, "a new conversation is open");
    check_eq!(conversation.assignee, None);
    check!(conversation.tags.is_empty());
    check_eq!(conversation.unread_count, 1, "the inbound message is unread");
    check_eq!(conversation.last_inbound_at, Some(at(0)));
    check_eq!(conversation.last_activity_at, at(0));
    check_eq!(conversation.created_at, at(0));

    let contact = ok(store.reads.contact(&tenant, conversation.contact).await, "contact");
    let identity = ContactIdentity {
        account: account.id,
        kind: IdentityKind::LineUserId,
        value: fixtures::LINE_USER_ID.to_string(),
    };
    check_eq!(contact.tenant, tenant);
    check_eq!(contact.display_name.as_deref(), Some("Somchai"), "the contact takes the name from the event");
    check_eq!(contact.identities, vec![identity.clone()]);
    check_eq!(contact.created_at, at(0));
    let found = ok(store.reads.contact_by_identity(&tenant, &identity).await, "contact_by_identity");
    check_eq!(found, Some(contact.clone()), "the contact is found by its identity");

    let message = ok(store.reads.message(&tenant, message_id).await, "message");
    check_eq!(message.tenant, tenant);
    check_eq!(message.conversation, conversation_id);
    check_eq!(message.account, account.id);
    check_eq!(message.direction, Direction::Inbound);
    check_eq!(message.author, Author::Contact(contact.id));
    check_eq!(message.content, Content::text(THAI_ORDER_TEXT));
    check_eq!(message.platform_message_id.as_deref(), Some("468789577898262530"));
    check_eq!(message.sent_at, at(0));
    check_eq!(message.delivery, DeliveryStatus::Received);
    check_eq!((message.edited_at, message.unsent_at), (None, None));
    check!(message.reactions.is_empty());
}

/// Every message of one customer on one account lands in the same conversation.
pub async fn messages_of_one_customer_share_a_conversation(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let buyer = fixtures::shopee_buyer();
    ingest(
        store,
        vec![
            events.text("shopee-1", &buyer, "2401", ENGLISH_ORDER_TEXT, at(0)),
            events.text("shopee-2", &buyer, "2402", "Also, can you gift wrap it?", at(30)),
        ],
    )
    .await;
    ingest(store, vec![events.echo("shopee-3", &buyer, "2403", "Sure, it ships tomorrow!", at(60))]).await;

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations.len(), 1, "one conversation per (account, contact)");
    let conversation = &conversations[0];
    check_eq!(conversation.unread_count, 2, "two inbound messages are unread; the echo is not");
    let messages = all_messages(store, &tenant, conversation.id).await;
    let ids: Vec<_> = messages.iter().map(|m| m.platform_message_id.as_deref().unwrap_or("")).collect();
    check_eq!(ids, vec!["2403", "2402", "2401"], "messages are listed newest first");
}

/// The same platform user id on two accounts is two contacts and two conversations, and two
/// customers on one account are two conversations.
pub async fn customers_on_different_accounts_get_different_conversations(store: &Store) {
    let (tenant, first, first_events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let second = fixtures::account(&tenant, "line-2", ChannelKind::LINE, "Ua0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
    ok(store.accounts.save_account(&second).await, "save_account");
    let second_events = AccountEvents::new(&second);
    let somchai = fixtures::line_user();
    let other = fixtures::customer(IdentityKind::LineUserId, 2);
    ingest(
        store,
        vec![
            first_events.text("a-1", &somchai, "m-a-1", "hello first account", at(0)),
            second_events.text("b-1", &somchai, "m-b-1", "hello second account", at(1)),
            first_events.text("a-2", &other, "m-a-2", "another customer", at(2)),
        ],
    )
    .await;

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations.len(), 3, "three (account, contact) pairs, three conversations");
    let on_first = all_conversations(store, &tenant, ConversationQuery::new().account(first.id)).await;
    check_eq!(on_first.len(), 2);
    let on_second = all_conversations(store, &tenant, ConversationQuery::new().account(second.id)).await;
    check_eq!(on_second.len(), 1);
    let somchai_on_first = on_first
        .iter()
        .find(|c| c.last_activity_at == at(0))
        .unwrap_or_else(|| panic!("Somchai's conversation on the first account is listed"));
    assert_ne!(
        on_second[0].contact, somchai_on_first.contact,
        "a user id is scoped to its account, so it is a separate contact there"
    );
}

/// A platform's redelivery of an event (same event id) is a duplicate and changes nothing.
pub async fn redelivered_event_is_stored_once(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let event = events.text("01HZY3", &fixtures::line_user(), "468789577898262530", THAI_ORDER_TEXT, at(0));
    let first = ingest(store, vec![event.clone()]).await;
    check!(matches!(first[0], IngestOutcome::Stored { .. }), "first delivery is stored");
    let mut redelivered = event.clone();
    redelivered.received_at = at(300);
    let second = ingest(store, vec![redelivered]).await;
    check_eq!(second, vec![IngestOutcome::Duplicate], "the redelivery is a duplicate");

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations.len(), 1);
    check_eq!(conversations[0].unread_count, 1, "the redelivery did not count as a new unread message");
    check_eq!(all_messages(store, &tenant, conversations[0].id).await.len(), 1, "one message stored");
}

/// The same platform message under a new event id (Meta and LINE do this) is a duplicate.
pub async fn same_platform_message_under_a_new_event_id_is_stored_once(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let mid = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P";
    ingest(store, vec![events.text("evt-a", &customer, mid, "Is this still available?", at(0))]).await;
    let outcomes = ingest(store, vec![events.text("evt-b", &customer, mid, "Is this still available?", at(0))]).await;
    check_eq!(outcomes, vec![IngestOutcome::Duplicate], "the known platform message id is a duplicate");

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations[0].unread_count, 1);
    check_eq!(all_messages(store, &tenant, conversations[0].id).await.len(), 1);
}

/// An event repeated inside one batch is stored once; the repeat's outcome is `Duplicate`.
pub async fn duplicate_event_within_one_batch_is_stored_once(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let event = events.text("evt-1", &fixtures::line_user(), "m-1", "สวัสดีค่ะ", at(0));
    let outcomes = ingest(store, vec![event.clone(), event]).await;
    check!(matches!(outcomes[0], IngestOutcome::Stored { .. }));
    check_eq!(outcomes[1], IngestOutcome::Duplicate);
    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(all_messages(store, &tenant, conversations[0].id).await.len(), 1);
}

/// A batch is atomic: one event for an unknown account (or another tenant's account) fails the
/// whole call and stores nothing.
pub async fn batch_with_an_unknown_account_stores_nothing(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let good = events.text("evt-1", &customer, "m-1", "first", at(0));

    let mut unknown = events.text("evt-2", &customer, "m-2", "second", at(1));
    unknown.account = unibox_core::ChannelAccountId::new();
    assert_kind(
        store.ingest.ingest(vec![good.clone(), unknown]).await,
        ErrorKind::NotFound,
        "ingest with an unknown account",
    );

    let (_, _, foreign_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let mut foreign = foreign_events.text("evt-3", &fixtures::shopee_buyer(), "m-3", "third", at(2));
    foreign.tenant = tenant.clone();
    assert_kind(
        store.ingest.ingest(vec![good.clone(), foreign]).await,
        ErrorKind::NotFound,
        "ingest routed to another tenant's account",
    );

    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "nothing was stored");
    let outcomes = ingest(store, vec![good]).await;
    check!(
        matches!(outcomes[0], IngestOutcome::Stored { .. }),
        "the valid event was not remembered by the failed batch, got {:?}",
        outcomes[0]
    );
}

/// Events without the ids deduplication needs are refused.
pub async fn events_with_empty_ids_are_invalid_input(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let no_event_id = events.text("", &customer, "m-1", "hello", at(0));
    assert_kind(store.ingest.ingest(vec![no_event_id]).await, ErrorKind::InvalidInput, "an event with an empty id");
    let no_message_id = events.text("evt-1", &customer, "", "hello", at(0));
    assert_kind(store.ingest.ingest(vec![no_message_id]).await, ErrorKind::InvalidInput, "a message with an empty id");
    let no_customer =
        events.text("evt-2", &unibox_core::PlatformUser::new(IdentityKind::LineUserId, ""), "m-2", "x", at(0));
    assert_kind(
        store.ingest.ingest(vec![no_customer]).await,
        ErrorKind::InvalidInput,
        "a message from an empty user id",
    );
    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "nothing was stored");
}

/// Every id an event carries (event id, platform message ids, customer ids, edits and unsends
/// included) is 1 to [`MAX_ID_LEN`](unibox_core::ingest::MAX_ID_LEN) bytes: one byte more is
/// `InvalidInput` and the whole batch stores nothing; exactly the limit is stored.
pub async fn ids_longer_than_the_limit_are_invalid_input(store: &Store) {
    use unibox_core::ingest::MAX_ID_LEN;
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let long = "x".repeat(MAX_ID_LEN + 1);
    let long_customer = unibox_core::PlatformUser::new(IdentityKind::LineUserId, long.clone());
    let fine = events.text("evt-ok", &customer, "m-ok", "hello", at(0));
    let too_long = [
        ("event id", events.text(&long, &customer, "m-1", "hello", at(0))),
        ("message id", events.text("evt-1", &customer, &long, "hello", at(0))),
        ("customer id", events.text("evt-2", &long_customer, "m-2", "hello", at(0))),
        ("edited message id", events.edit("evt-3", &customer, &long, "hello", at(1))),
        ("editing customer id", events.edit("evt-4", &long_customer, "m-ok", "hello", at(1))),
        ("unsending customer id", events.unsend("evt-5", &long_customer, "m-ok", at(1))),
        ("reacting customer id", events.reaction("evt-6", &long_customer, "m-ok", Some("👍"), at(1))),
    ];
    for (what, event) in too_long {
        let batch = vec![fine.clone(), event];
        assert_kind(store.ingest.ingest(batch.clone()).await, ErrorKind::InvalidInput, what);
        assert_kind(store.ingest.accept(batch).await, ErrorKind::InvalidInput, what);
    }
    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "nothing was stored");
    let longest = "y".repeat(MAX_ID_LEN);
    let at_the_limit = events.text(&longest, &customer, &longest, "hello", at(0));
    let outcomes = ingest(store, vec![at_the_limit]).await;
    check!(
        matches!(outcomes[0], IngestOutcome::Stored { message: Some(_), .. }),
        "an id of exactly the limit is stored"
    );
}

/// An edit replaces the content; the latest edit by (time, event id) wins whatever the arrival
/// order.
pub async fn edit_replaces_content_and_latest_edit_wins(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    ingest(
        store,
        vec![
            events.text("m-1", &customer, "mid.1", "I want 2 shrits", at(0)),
            events.text("m-2", &customer, "mid.2", "size L", at(1)),
        ],
    )
    .await;
    ingest(store, vec![events.edit("e-1", &customer, "mid.1", "I want 2 shirts", at(10))]).await;
    let outcomes = ingest(store, vec![events.edit("e-3", &customer, "mid.1", "I want 3 shirts", at(30))]).await;
    check!(matches!(outcomes[0], IngestOutcome::Stored { message: Some(_), .. }), "the edit names the message");
    ingest(store, vec![events.edit("e-2", &customer, "mid.1", "stale edit", at(20))]).await;
    // Two edits at the same millisecond: the larger event id wins, in either order.
    ingest(store, vec![events.edit("e-b", &customer, "mid.2", "size XL", at(40))]).await;
    ingest(store, vec![events.edit("e-a", &customer, "mid.2", "size M", at(40))]).await;

    let conversation = &all_conversations(store, &tenant, ConversationQuery::new()).await[0];
    let messages = all_messages(store, &tenant, conversation.id).await;
    let first = by_platform_id(&messages, "mid.1");
    check_eq!(first.content, Content::text("I want 3 shirts"), "the latest edit wins over a late, older one");
    check_eq!(first.edited_at, Some(at(30)));
    let second = by_platform_id(&messages, "mid.2");
    check_eq!(second.content, Content::text("size XL"), "on equal times the larger event id wins");
    check_eq!(second.sent_at, at(1), "an edit does not move the message");
}

/// An edit that arrives before its message is applied when the message arrives.
pub async fn edit_before_the_message_is_applied_on_arrival(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let early = ingest(store, vec![events.edit("e-1", &customer, "mid.1", "ขอบคุณค่ะ", at(10))]).await;
    check!(matches!(early[0], IngestOutcome::Stored { .. }), "an early edit is kept, got {:?}", early[0]);
    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "an edit alone opens nothing");

    ingest(store, vec![events.text("m-1", &customer, "mid.1", "ขอบคุณ", at(0))]).await;
    let conversation = &all_conversations(store, &tenant, ConversationQuery::new()).await[0];
    let messages = all_messages(store, &tenant, conversation.id).await;
    check_eq!(messages[0].content, Content::text("ขอบคุณค่ะ"), "the early edit was applied");
    check_eq!(messages[0].edited_at, Some(at(10)));
}

/// An unsend erases the content, and no later (or earlier) edit brings it back.
pub async fn unsend_erases_content_for_good(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let secret = "my card number is 4111 1111 1111 1111";
    let outcomes = ingest(store, vec![events.text("m-1", &customer, "468789577898262530", secret, at(0))]).await;
    let id = stored_message(&outcomes[0]);
    ingest(store, vec![events.unsend("u-1", &customer, "468789577898262530", at(10))]).await;
    ingest(store, vec![events.edit("e-1", &customer, "468789577898262530", "card 4111 again", at(20))]).await;
    ingest(store, vec![events.unsend("u-2", &customer, "468789577898262530", at(30))]).await;

    let message = ok(store.reads.message(&tenant, id).await, "message");
    check_eq!(message.content, Content::text(""), "the content is erased");
    check_eq!(message.unsent_at, Some(at(10)), "the first unsend's time is kept");
    check_eq!(message.edited_at, Some(at(20)), "the edit's time is kept, its content is not");
    let found = ok(store.reads.search(&tenant, &SearchQuery::new("4111")).await, "search");
    check!(found.items.is_empty(), "search does not find unsent content");
}

/// An unsend (and an edit) that arrive before the message erase it on arrival.
pub async fn unsend_before_the_message_is_applied_on_arrival(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    ingest(store, vec![events.edit("e-1", &customer, "m-1", "edited before arrival", at(5))]).await;
    ingest(store, vec![events.unsend("u-1", &customer, "m-1", at(10))]).await;
    let outcomes = ingest(store, vec![events.text("t-1", &customer, "m-1", THAI_SHIPPING_TEXT, at(0))]).await;
    let message = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message");
    check_eq!(message.content, Content::text(""), "the early unsend erased the content on arrival");
    check_eq!(message.unsent_at, Some(at(10)));
    check_eq!(message.edited_at, Some(at(5)));
    let found = ok(store.reads.search(&tenant, &SearchQuery::new("จัดส่ง")).await, "search");
    check!(found.items.is_empty(), "search does not find unsent content");
}

/// Each customer has at most one reaction per message: their latest; a removal removes it.
pub async fn reactions_keep_the_latest_per_customer(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let friend = fixtures::customer(IdentityKind::PageScopedId, 2);
    let neighbour = fixtures::customer(IdentityKind::PageScopedId, 3);
    let outcomes =
        ingest(store, vec![events.echo("x-1", &customer, "mid.out", "Your order has shipped 🚚", at(0))]).await;
    let id = stored_message(&outcomes[0]);
    ingest(
        store,
        vec![
            events.reaction("r-1", &customer, "mid.out", Some("❤"), at(10)),
            events.reaction("r-3", &customer, "mid.out", Some("👍"), at(30)),
            events.reaction("r-4", &friend, "mid.out", Some("😮"), at(12)),
        ],
    )
    .await;
    ingest(
        store,
        vec![
            events.reaction("r-2", &customer, "mid.out", Some("😢"), at(20)),
            events.reaction("r-5", &friend, "mid.out", None, at(18)),
            events.reaction("r-6", &neighbour, "mid.out", Some("🔥"), at(5)),
        ],
    )
    .await;

    let message = ok(store.reads.message(&tenant, id).await, "message");
    let expected = vec![
        Reaction { by: neighbour.id.clone(), emoji: "🔥".to_string(), at: at(5) },
        Reaction { by: customer.id.clone(), emoji: "👍".to_string(), at: at(30) },
    ];
    check_eq!(
        message.reactions,
        expected,
        "one reaction per customer, the latest, oldest first; removed reactions are not listed"
    );
}

/// A reaction that arrives before its message is applied on arrival.
pub async fn reaction_before_the_message_is_applied_on_arrival(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    ingest(store, vec![events.reaction("r-1", &customer, "m-1", Some("🙏"), at(10))]).await;
    let outcomes = ingest(store, vec![events.echo("x-1", &customer, "m-1", "ขอบคุณที่สั่งซื้อค่ะ", at(0))]).await;
    let message = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message");
    let expected = vec![Reaction { by: customer.id.clone(), emoji: "🙏".to_string(), at: at(10) }];
    check_eq!(message.reactions, expected);
}

/// A delivery receipt that arrives before the echo of the message applies on arrival.
pub async fn receipt_before_the_echo_is_applied_on_arrival(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    ingest(store, vec![events.delivery("d-1", &["mid.out"], DeliveryStatus::Read, at(10))]).await;
    let outcomes = ingest(store, vec![events.echo("x-1", &customer, "mid.out", "See you soon", at(0))]).await;
    let message = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message");
    check_eq!(message.direction, Direction::Outbound);
    check_eq!(message.author, Author::System, "an echo is authored by the system");
    check_eq!(message.delivery, DeliveryStatus::Read, "the early read receipt applied");
}

/// Statuses merge forwards only: a late "delivered" never overwrites "read", and a failure
/// never overwrites "delivered".
pub async fn delivery_status_never_goes_backwards(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let outcomes = ingest(
        store,
        vec![
            events.echo("x-1", &customer, "mid.1", "first", at(0)),
            events.echo("x-2", &customer, "mid.2", "second", at(1)),
        ],
    )
    .await;
    let (first, second) = (stored_message(&outcomes[0]), stored_message(&outcomes[1]));
    let echo = ok(store.reads.message(&tenant, first).await, "message");
    check_eq!(echo.delivery, DeliveryStatus::Sent, "an echo starts as sent");

    ingest(store, vec![events.delivery("d-1", &["mid.1", "mid.2"], DeliveryStatus::Read, at(10))]).await;
    ingest(store, vec![events.delivery("d-2", &["mid.1"], DeliveryStatus::Delivered, at(5))]).await;
    check_eq!(ok(store.reads.message(&tenant, first).await, "message").delivery, DeliveryStatus::Read);

    let failed = DeliveryStatus::failed_with(
        "This person isn't available right now.",
        unibox_core::ErrorKind::RecipientUnavailable,
        Some("551".into()),
    );
    ingest(store, vec![events.delivery("d-3", &["mid.2"], failed, at(20))]).await;
    check_eq!(
        ok(store.reads.message(&tenant, second).await, "message").delivery,
        DeliveryStatus::Read,
        "a failure after a read receipt does not undo it"
    );
}

/// Receipts naming an inbound message leave it received.
pub async fn receipts_do_not_change_inbound_messages(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let outcomes = ingest(store, vec![events.text("t-1", &fixtures::line_user(), "m-1", "hello", at(0))]).await;
    ingest(store, vec![events.delivery("d-1", &["m-1"], DeliveryStatus::Read, at(10))]).await;
    let message = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message");
    check_eq!(message.delivery, DeliveryStatus::Received);
}

/// A postback is an inbound message with postback content, deduplicated by its event id.
pub async fn postback_becomes_an_inbound_message(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let postback = events.postback("pb-1", &customer, "ORDER_STATUS", Some("Where is my order?"), at(0));
    let outcomes = ingest(store, vec![postback.clone()]).await;
    let message = ok(store.reads.message(&tenant, stored_message(&outcomes[0])).await, "message");
    check_eq!(message.direction, Direction::Inbound);
    check_eq!(
        message.content,
        Content::Postback { title: Some("Where is my order?".into()), payload: "ORDER_STATUS".into() }
    );
    let platform_id = message.platform_message_id.clone().unwrap_or_default();
    check!(platform_id.contains("pb-1"), "the platform id is derived from the event id, got {platform_id:?}");
    check_eq!(ingest(store, vec![postback]).await, vec![IngestOutcome::Duplicate], "a redelivered postback");

    let conversation = ok(store.reads.conversation(&tenant, message.conversation).await, "conversation");
    check_eq!(conversation.unread_count, 1);
    check_eq!(conversation.last_inbound_at, Some(at(0)));
    let found = ok(store.reads.search(&tenant, &SearchQuery::new("where is my order")).await, "search");
    check_eq!(found.items.len(), 1, "a postback is searchable by its title");
}

/// Follows, referrals, order updates and unsupported events are accepted (kept in the event
/// log), deduplicated, and do not create conversations.
pub async fn other_events_are_accepted_and_deduplicated(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let buyer = fixtures::shopee_buyer();
    let order = EventKind::OrderUpdate(OrderUpdate {
        buyer: Some(buyer.clone()),
        order_id: "241121ABCDEF".into(),
        status: "READY_TO_SHIP".into(),
        raw: serde_json::json!({"ordersn": "241121ABCDEF", "status": "READY_TO_SHIP", "update_time": 1_732_177_200}),
    });
    let unsupported = EventKind::Unsupported {
        platform_type: "shop_voucher".into(),
        raw: serde_json::json!({"code": 3, "data": {"voucher_id": 9}}),
    };
    let batch = vec![
        events.follow("f-1", &buyer, at(0)),
        events.event("o-1", order, at(1)),
        events.event("u-1", unsupported, at(2)),
    ];
    let outcomes = ingest(store, batch.clone()).await;
    for outcome in &outcomes {
        check!(
            matches!(outcome, IngestOutcome::Stored { message: None, .. }),
            "accepted without a message: {outcome:?}"
        );
    }
    check_eq!(ingest(store, batch).await, vec![IngestOutcome::Duplicate; 3], "redelivered, they are duplicates");
    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "no conversation opened");
}

/// A new inbound message reopens a resolved conversation and counts as unread.
pub async fn resolved_conversation_reopens_on_inbound(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let outcomes = ingest(store, vec![events.text("t-1", &customer, "m-1", THAI_ORDER_TEXT, at(0))]).await;
    let IngestOutcome::Stored { conversation: Some(id), .. } = outcomes[0] else {
        panic!("stored, got {:?}", outcomes[0])
    };
    let resolve = ConversationUpdate::new().status(ConversationStatus::Resolved).mark_read();
    let resolved = ok(store.workflow.update_conversation(&tenant, id, &resolve).await, "update_conversation");
    check_eq!((resolved.status, resolved.unread_count), (ConversationStatus::Resolved, 0));

    ingest(store, vec![events.text("t-2", &customer, "m-2", "ยังอยู่ไหมคะ", at(3600))]).await;
    let reopened = ok(store.reads.conversation(&tenant, id).await, "conversation");
    check_eq!(reopened.status, ConversationStatus::Open, "the customer's message reopened it");
    check_eq!(reopened.unread_count, 1);
    check_eq!(reopened.last_inbound_at, Some(at(3600)));
}

/// A new inbound message wakes a snoozed conversation.
pub async fn snoozed_conversation_reopens_on_inbound(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::shopee_account).await;
    let buyer = fixtures::shopee_buyer();
    let outcomes = ingest(store, vec![events.text("s-1", &buyer, "2401", ENGLISH_ORDER_TEXT, at(0))]).await;
    let IngestOutcome::Stored { conversation: Some(id), .. } = outcomes[0] else {
        panic!("stored, got {:?}", outcomes[0])
    };
    let snoozed = ok(
        store.workflow.update_conversation(&tenant, id, &ConversationUpdate::new().snooze(at(86_400))).await,
        "snooze",
    );
    check_eq!((snoozed.status, snoozed.snoozed_until), (ConversationStatus::Snoozed, Some(at(86_400))));

    ingest(store, vec![events.text("s-2", &buyer, "2402", "Any update?", at(600))]).await;
    let woken = ok(store.reads.conversation(&tenant, id).await, "conversation");
    check_eq!((woken.status, woken.snoozed_until), (ConversationStatus::Open, None), "the message woke it");
}

/// An echo (the business writing from the platform's app) moves the activity time but neither
/// reopens the conversation nor counts as unread.
pub async fn echo_does_not_reopen_or_count_as_unread(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let outcomes = ingest(store, vec![events.text("t-1", &customer, "m-1", "ขอบคุณค่ะ", at(0))]).await;
    let IngestOutcome::Stored { conversation: Some(id), .. } = outcomes[0] else {
        panic!("stored, got {:?}", outcomes[0])
    };
    let resolve = ConversationUpdate::new().status(ConversationStatus::Resolved).mark_read();
    ok(store.workflow.update_conversation(&tenant, id, &resolve).await, "resolve");

    ingest(store, vec![events.echo("x-1", &customer, "m-2", "ยินดีค่ะ", at(60))]).await;
    let after = ok(store.reads.conversation(&tenant, id).await, "conversation");
    check_eq!(after.status, ConversationStatus::Resolved, "an echo does not reopen");
    check_eq!(after.unread_count, 0, "an echo is not unread");
    check_eq!(after.last_inbound_at, Some(at(0)), "an echo is not inbound");
    check_eq!(after.last_activity_at, at(60), "an echo is activity");
}

/// `last_activity_at` and `last_inbound_at` are the newest message times and `created_at` the
/// oldest, even when messages arrive out of order.
pub async fn conversation_times_follow_the_newest_messages(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    ingest(store, vec![events.text("t-2", &customer, "m-2", "later", at(100))]).await;
    ingest(store, vec![events.text("t-1", &customer, "m-1", "earlier, delivered late", at(50))]).await;
    ingest(store, vec![events.echo("x-1", &customer, "m-0", "an old echo", at(20))]).await;

    let conversation = &all_conversations(store, &tenant, ConversationQuery::new()).await[0];
    check_eq!(conversation.last_activity_at, at(100), "a late, older message does not move activity back");
    check_eq!(conversation.last_inbound_at, Some(at(100)));
    check_eq!(conversation.created_at, at(20), "created at the earliest message");
    let contact = ok(store.reads.contact(&tenant, conversation.contact).await, "contact");
    check_eq!(contact.created_at, at(20), "the contact was first seen at the earliest message");
    check_eq!(conversation.unread_count, 2);
}
