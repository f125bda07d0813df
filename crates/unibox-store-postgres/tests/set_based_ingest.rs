//! Set-based ingest: the new messages of a group of concurrent calls are stored with one statement
//! per table. It must store what storing each call on its own stores (the per-event path), fall
//! back to that path so a failing call still fails alone, and take its locks so two processes
//! cannot deadlock.

use std::sync::Arc;
use std::time::Duration;

use unibox_core::inbox::{
    ChannelAccounts, ConversationQuery, ConversationUpdate, EventIngest, InboxReads, IngestOutcome, MessageQuery,
    RoutedEvent, SearchQuery, TeamWorkflow,
};
use unibox_core::privacy::DataKeys;
use unibox_core::{
    Author, ChannelAccount, ChannelKind, Content, ConversationStatus, Direction, EventKind, IdentityKind, InboundEvent,
    InboundMessage, PlatformUser, TenantId, Timestamp,
};
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;
use unibox_vault::{Keyring, Vault};

/// One "process": its own pool and vault, over the shared database.
async fn process(database: &TestDatabase) -> (Arc<PostgresInbox>, Arc<Vault>) {
    let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
    let vault = Arc::new(Vault::builder(inbox.clone(), Arc::new(Keyring::new().with_key(1, [0x24; 32]))).build());
    let keys: Arc<dyn DataKeys> = vault.clone();
    inbox.attach_keys(Arc::downgrade(&keys)).unwrap();
    (inbox, vault)
}

fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "line".parse().unwrap(),
        ChannelKind::LINE,
        "Ub99",
        Timestamp::UNIX_EPOCH,
    )
}

fn routed(account: &ChannelAccount, event_id: &str, at: i64, kind: EventKind) -> RoutedEvent {
    RoutedEvent {
        tenant: account.tenant.clone(),
        account: account.id,
        received_at: Timestamp::from_unix_seconds(at),
        event: InboundEvent {
            id: event_id.into(),
            account: account.platform_account_id.clone(),
            occurred_at: Timestamp::from_unix_seconds(at),
            kind,
        },
    }
}

fn customer(id: &str, name: Option<&str>) -> PlatformUser {
    let user = PlatformUser::new(IdentityKind::LineUserId, id);
    match name {
        Some(name) => user.with_name(name),
        None => user,
    }
}

/// A customer's text message, as LINE delivers one (Thai and English, as the shops write).
fn text(account: &ChannelAccount, event_id: &str, mid: &str, from: PlatformUser, at: i64) -> RoutedEvent {
    let body = format!("สวัสดีค่ะ สั่งเสื้อไซส์ M สีดำ 2 ตัว order {mid} please ship to Chiang Mai");
    routed(account, event_id, at, EventKind::Message(InboundMessage::inbound(from, mid, Content::text(body))))
}

/// An echo: a message the shop sent from the LINE app to the customer.
fn echo(account: &ChannelAccount, event_id: &str, mid: &str, to: PlatformUser, at: i64) -> RoutedEvent {
    let mut message = InboundMessage::inbound(to, mid, Content::text(format!("ส่งแล้วค่ะ tracking TH{mid}")));
    message.direction = Direction::Outbound;
    routed(account, event_id, at, EventKind::Message(message))
}

fn edit(account: &ChannelAccount, event_id: &str, mid: &str, by: &str, at: i64) -> RoutedEvent {
    let kind = EventKind::Edit {
        customer: customer(by, None),
        message_id: mid.into(),
        content: Content::text(format!("edited {mid}: ไซส์ L แทนค่ะ")),
    };
    routed(account, event_id, at, kind)
}

fn unsend(account: &ChannelAccount, event_id: &str, mid: &str, by: &str, at: i64) -> RoutedEvent {
    routed(account, event_id, at, EventKind::Unsend { customer: customer(by, None), message_id: mid.into() })
}

/// Holds the change log's head row (as a committing group does), so calls made meanwhile queue
/// up and are stored together in the next group; the returned client's `COMMIT` lets them go.
async fn hold_head(database: &TestDatabase) -> tokio_postgres::Client {
    let (admin, connection) = tokio_postgres::connect(&database.admin_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    admin.batch_execute("BEGIN; SELECT * FROM change_heads FOR UPDATE").await.unwrap();
    admin
}

/// Runs `calls` at once (grouped: they wait behind the held head row), returns their answers in order.
async fn grouped(
    database: &TestDatabase,
    inbox: &Arc<PostgresInbox>,
    calls: Vec<Vec<RoutedEvent>>,
) -> Vec<unibox_core::Result<Vec<IngestOutcome>>> {
    let admin = hold_head(database).await;
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|events| {
            let inbox = inbox.clone();
            tokio::spawn(async move { inbox.ingest(events).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(tasks.iter().all(|task| !task.is_finished()), "every call waits for the held head row");
    admin.batch_execute("COMMIT").await.unwrap();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// What a tenant's inbox shows, without the ids each run draws: per contact (by identity), its
/// name and creation, its conversation's state and its messages.
async fn snapshot(inbox: &PostgresInbox, tenant: &TenantId) -> Vec<String> {
    let mut lines = Vec::new();
    let conversations = inbox.conversations(tenant, &ConversationQuery::new()).await.unwrap().items;
    for conversation in conversations {
        let contact = inbox.contact(tenant, conversation.contact).await.unwrap();
        let identities: Vec<&str> = contact.identities.iter().map(|identity| identity.value.as_str()).collect();
        lines.push(format!(
            "contact {identities:?} name {:?} created {:?} | conversation {:?} unread {} inbound {:?} activity {:?} \
             created {:?}",
            contact.display_name,
            contact.created_at,
            conversation.status,
            conversation.unread_count,
            conversation.last_inbound_at,
            conversation.last_activity_at,
            conversation.created_at
        ));
        let messages = inbox.messages(tenant, conversation.id, &MessageQuery::new().limit(100)).await.unwrap().items;
        for message in messages {
            lines.push(format!(
                "  message {:?} {:?} {:?} {:?} sent {:?} recorded {:?} edited {:?} unsent {:?} {:?}",
                message.platform_message_id,
                message.direction,
                matches!(message.author, Author::Contact(_)),
                message.content,
                message.sent_at,
                message.recorded_at,
                message.edited_at,
                message.unsent_at,
                message.delivery
            ));
        }
    }
    lines.sort();
    let hits = inbox.search(tenant, &SearchQuery::new("Chiang Mai").limit(100)).await.unwrap().items;
    let mut found: Vec<String> = hits.iter().map(|m| format!("{:?}", m.platform_message_id)).collect();
    found.sort();
    lines.push(format!("search 'Chiang Mai': {found:?}"));
    let changes = unibox_core::changes::ChangeLog::read(inbox, tenant, unibox_core::changes::Position::START, 1_000)
        .await
        .unwrap();
    let mut kinds: Vec<String> = changes.iter().map(|event| format!("{:?}", event.change.kind)).collect();
    kinds.sort();
    lines.push(format!("changes {kinds:?}"));
    lines
}

/// The outcomes' shapes, sorted (which of two calls sharing a message stores it varies).
fn shapes(answers: &[unibox_core::Result<Vec<IngestOutcome>>]) -> Vec<String> {
    let mut shapes: Vec<String> = answers
        .iter()
        .map(|answer| match answer {
            Ok(outcomes) => outcomes
                .iter()
                .map(|outcome| match outcome {
                    IngestOutcome::Stored { conversation, message } => {
                        format!("stored({}, {})", conversation.is_some(), message.is_some())
                    }
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(" "),
            Err(error) => format!("error {:?}", error.kind()),
        })
        .collect();
    shapes.sort();
    shapes
}

/// Stores the scenario through `inbox`; returns the grouped calls' outcome shapes and the snapshot.
async fn scenario(database: &TestDatabase, inbox: &Arc<PostgresInbox>) -> (Vec<String>, Vec<String>) {
    let account = account();
    inbox.save_account(&account).await.unwrap();
    // Before the group, one call at a time: a known customer with a resolved conversation, and
    // changes waiting for messages that have not arrived.
    inbox.ingest(vec![text(&account, "e-old", "m-old", customer("U0", Some("Somchai")), 1_000)]).await.unwrap();
    let conversation = inbox.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap().items[0].id;
    let resolve = ConversationUpdate { status: Some(ConversationStatus::Resolved), ..ConversationUpdate::default() };
    inbox.update_conversation(&account.tenant, conversation, &resolve).await.unwrap();
    inbox.ingest(vec![edit(&account, "e-edit", "m-late", "U2", 1_300)]).await.unwrap();
    inbox.ingest(vec![unsend(&account, "e-unsend", "m-gone", "U3", 1_400)]).await.unwrap();

    let calls = vec![
        // The known customer again: an older event (earlier creation, its name loses), a newer
        // named one (wins), one in between, and one without a name.
        vec![text(&account, "e-1", "m-1", customer("U0", Some("Somchai older")), 900)],
        vec![text(&account, "e-2", "m-2", customer("U0", Some("Somchai newest")), 2_000)],
        vec![text(&account, "e-3", "m-3", customer("U0", Some("Somchai middle")), 1_500)],
        vec![text(&account, "e-4", "m-4", customer("U0", None), 2_500)],
        // A new customer over three calls, one of them of three events (two other customers).
        vec![text(&account, "e-5", "m-5", customer("U4", Some("Malee")), 1_200)],
        vec![
            text(&account, "e-6", "m-6", customer("U4", Some("Malee K.")), 1_800),
            text(&account, "e-7", "m-7", customer("U5", None), 1_700),
            text(&account, "e-8", "m-8", customer("U6", Some("Niran")), 1_600),
        ],
        // An echo opens the conversation of a customer never seen, unread 0.
        vec![echo(&account, "e-9", "m-9", customer("U7", Some("Pim")), 1_900)],
        // Messages whose edit and unsend arrived first.
        vec![text(&account, "e-10", "m-late", customer("U2", Some("Arthit")), 1_250)],
        vec![text(&account, "e-11", "m-gone", customer("U3", None), 1_350)],
        // A redelivered event, a stored message under a new event id, and two calls sharing one
        // new message.
        vec![text(&account, "e-old", "m-old", customer("U0", Some("Somchai")), 1_000)],
        vec![text(&account, "e-old-again", "m-old", customer("U0", Some("Somchai")), 1_000)],
        vec![text(&account, "e-12", "m-12", customer("U8", None), 2_100)],
        vec![text(&account, "e-12-again", "m-12", customer("U8", None), 2_100)],
        // A call mixing a message and an edit of it (not set-based: it goes on its own).
        vec![
            text(&account, "e-13", "m-13", customer("U9", None), 2_200),
            edit(&account, "e-13-edit", "m-13", "U9", 2_300),
        ],
    ];
    let answers = grouped(database, inbox, calls).await;
    for answer in &answers {
        assert!(answer.is_ok(), "{answer:?}");
    }
    (shapes(&answers), snapshot(inbox, &account.tenant).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_new_messages_are_stored_as_the_per_event_path_stores_them() {
    let Some(set_based) = TestDatabase::create("set_based_ingest_equivalence_a").await else { return };
    let Some(per_event) = TestDatabase::create("set_based_ingest_equivalence_b").await else { return };
    let (fast, _keys_fast) = process(&set_based).await;
    let (slow, _keys_slow) = process(&per_event).await;
    slow.store_ingest_per_call_only(true);

    let (fast_outcomes, fast_inbox) = scenario(&set_based, &fast).await;
    let (slow_outcomes, slow_inbox) = scenario(&per_event, &slow).await;
    assert_eq!(fast_outcomes, slow_outcomes);
    assert_eq!(fast_inbox, slow_inbox, "the same inbox either way");

    let (stored, fallbacks) = fast.set_based_ingest_counts();
    assert!(stored >= 12, "most events went the set-based way: {stored}");
    assert_eq!(fallbacks, 0);
    assert_eq!(slow.set_based_ingest_counts(), (0, 0));

    // And what the rules say, read directly.
    assert_eq!(
        fast_outcomes.iter().filter(|shape| shape.contains("Duplicate")).count(),
        3,
        "the redelivered event, the stored message again, one of the two calls sharing a message: {fast_outcomes:?}"
    );
    let find = |needle: &str| {
        fast_inbox
            .iter()
            .find(|line| line.contains(needle))
            .cloned()
            .unwrap_or_else(|| panic!("{needle}: {fast_inbox:#?}"))
    };
    let known = find("contact [\"U0\"]");
    assert!(known.contains("name Some(\"Somchai newest\")"), "{known}");
    // 900 s: the oldest event, stored after the contact was created at 1,000 s.
    assert!(known.contains("created 1970-01-01T00:15:00.000Z |"), "{known}");
    assert!(known.contains("conversation Open unread 5"), "reopened, every inbound message unread: {known}");
    let new = find("contact [\"U4\"]");
    assert!(new.contains("name Some(\"Malee K.\")") && new.contains("unread 2"), "{new}");
    let echoed = find("contact [\"U7\"]");
    assert!(echoed.contains("unread 0") && echoed.contains("inbound None"), "{echoed}");
    let late = find("Some(\"m-late\")");
    assert!(late.contains("edited Some("), "the waiting edit applied: {late}");
    let gone = find("Some(\"m-gone\")");
    assert!(gone.contains("unsent Some("), "the waiting unsend applied: {gone}");
    let search = find("search 'Chiang Mai'");
    assert!(!search.contains("m-gone") && search.contains("m-5") && search.contains("m-12"), "{search}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_set_based_statement_fails_only_the_call_it_belongs_to() {
    let Some(database) = TestDatabase::create("set_based_ingest_fallback").await else { return };
    let (inbox, _keys) = process(&database).await;
    let account = account();
    inbox.save_account(&account).await.unwrap();
    inbox.ingest(vec![text(&account, "e-first", "m-first", customer("U1", None), 900)]).await.unwrap();
    // A rule the server enforces and the store does not know: one event breaks it, so the
    // group's set-based insert of messages fails as a whole.
    database.admin_execute("ALTER TABLE messages ADD CONSTRAINT not_4242 CHECK (sent_at <> 4242000)").await;
    let mut calls = Vec::new();
    for n in 0..12_i64 {
        let at = if n == 5 { 4_242 } else { 1_000 + n };
        calls.push(vec![text(
            &account,
            &format!("e-{n}"),
            &format!("m-{n}"),
            customer(&format!("U{}", n % 4), None),
            at,
        )]);
    }
    let answers = grouped(&database, &inbox, calls).await;
    for (n, answer) in answers.iter().enumerate() {
        if n == 5 {
            let error = answer.as_ref().unwrap_err();
            assert_eq!(error.kind(), unibox_core::ErrorKind::Conflict, "{error}");
        } else {
            let outcomes = answer.as_ref().unwrap_or_else(|error| panic!("call {n}: {error}"));
            assert!(matches!(outcomes[0], IngestOutcome::Stored { message: Some(_), .. }), "call {n}");
        }
    }
    let (_, fallbacks) = inbox.set_based_ingest_counts();
    assert_eq!(fallbacks, 1, "the group fell back to storing its calls one by one");
    let mut messages = 0;
    for conversation in inbox.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap().items {
        let page = inbox.messages(&account.tenant, conversation.id, &MessageQuery::new().limit(100)).await.unwrap();
        assert_eq!(conversation.unread_count as usize, page.items.len(), "no unread count of the failed call");
        messages += page.items.len();
    }
    assert_eq!(messages, 12, "the first and 11 of the group");
    // The failed call stored nothing, not even its event id: once the rule is gone it is stored.
    database.admin_execute("ALTER TABLE messages DROP CONSTRAINT not_4242").await;
    let again = text(&account, "e-5", "m-5", customer("U1", None), 4_242);
    let outcome = inbox.ingest(vec![again]).await.unwrap();
    assert!(matches!(outcome[0], IngestOutcome::Stored { message: Some(_), .. }), "{outcome:?}");
}

/// Two processes store the same messages (redelivered under other event ids) in calls of several
/// events, in opposite orders, some calls with an edit (the per-event path): the group's locks
/// are taken in one order, so no call fails with a deadlock, and each message is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_storing_the_same_messages_in_opposite_orders_do_not_deadlock() {
    let Some(database) = TestDatabase::create("set_based_ingest_lock_order").await else { return };
    let ((one, _keys_one), (two, _keys_two)) = (process(&database).await, process(&database).await);
    let account = account();
    one.save_account(&account).await.unwrap();
    let mut tasks = Vec::new();
    for round in 0..24_i64 {
        let mids: Vec<String> = (0..4).map(|k| format!("m-{round}-{k}")).collect();
        let forward: Vec<RoutedEvent> = mids
            .iter()
            .enumerate()
            .map(|(k, mid)| text(&account, &format!("a-{mid}"), mid, customer(&format!("U{k}"), None), 1_000 + round))
            .collect();
        let mut backward: Vec<RoutedEvent> = mids
            .iter()
            .enumerate()
            .rev()
            .map(|(k, mid)| text(&account, &format!("b-{mid}"), mid, customer(&format!("U{k}"), None), 1_000 + round))
            .collect();
        if round % 2 == 0 {
            backward.push(edit(&account, &format!("b-edit-{round}"), &mids[0], "U0", 1_100 + round));
        }
        for (inbox, events) in [(one.clone(), forward), (two.clone(), backward)] {
            tasks.push(tokio::spawn(async move { inbox.ingest(events).await }));
        }
    }
    let mut stored = 0;
    for task in tasks {
        let outcomes = task.await.unwrap().unwrap_or_else(|error| panic!("no call fails: {error} {error:?}"));
        stored += outcomes
            .iter()
            .filter(|outcome| {
                matches!(outcome, IngestOutcome::Stored { message: Some(_), .. })
                    && !matches!(outcome, IngestOutcome::Duplicate)
            })
            .count();
    }
    // Each message once, and each edit stored as a change of its message (Stored too).
    assert_eq!(stored, 24 * 4 + 12);
    let conversations = one.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 4, "one conversation per customer");
    let mut messages = 0;
    for conversation in &conversations {
        let page = two.messages(&account.tenant, conversation.id, &MessageQuery::new().limit(100)).await.unwrap();
        assert_eq!(conversation.unread_count as usize, page.items.len(), "unread counts each message once");
        messages += page.items.len();
    }
    assert_eq!(messages, 24 * 4);
}
