//! Ingest across processes: two connection pools (two processes) storing the same webhooks at
//! the same time store each event, and each platform message, once.

use std::sync::Arc;

use unibox_core::inbox::{
    ChannelAccounts, ConversationQuery, EventIngest, InboxReads, IngestOutcome, MessageQuery, RoutedEvent,
};
use unibox_core::privacy::DataKeys;
use unibox_core::{
    ChannelAccount, ChannelKind, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser,
    Timestamp,
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

fn message(account: &ChannelAccount, event_id: &str, message_id: &str, customer: &str, at: i64) -> RoutedEvent {
    let customer = PlatformUser::new(IdentityKind::LineUserId, customer);
    RoutedEvent {
        tenant: account.tenant.clone(),
        account: account.id,
        received_at: Timestamp::from_unix_seconds(at),
        event: InboundEvent {
            id: event_id.into(),
            account: account.platform_account_id.clone(),
            occurred_at: Timestamp::from_unix_seconds(at),
            kind: EventKind::Message(InboundMessage::inbound(
                customer,
                message_id,
                Content::text(format!("hello {message_id}")),
            )),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_store_the_same_webhooks_once() {
    let Some(database) = TestDatabase::create("two_pools_store_the_same_webhooks_once").await else { return };
    let ((one, _keys_one), (two, _keys_two)) = (process(&database).await, process(&database).await);
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "line".parse().unwrap(),
        ChannelKind::LINE,
        "Ub99",
        Timestamp::UNIX_EPOCH,
    );
    one.save_account(&account).await.unwrap();

    // 20 webhooks, each delivered to both processes at once; half of them also redelivered
    // under a new event id (the same platform message), and three customers, so contacts and
    // conversations are created concurrently too.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let customer = format!("U{}", i % 3);
        let batch = vec![message(&account, &format!("evt-{i}"), &format!("mid-{i}"), &customer, 1_000 + i)];
        let again = if i % 2 == 0 {
            vec![message(&account, &format!("evt-{i}-again"), &format!("mid-{i}"), &customer, 1_000 + i)]
        } else {
            batch.clone()
        };
        for (inbox, events) in [(one.clone(), batch), (two.clone(), again)] {
            tasks.push(tokio::spawn(async move {
                // A collision another transaction won is a temporary error: retried, as a
                // webhook would be redelivered.
                loop {
                    match inbox.ingest(events.clone()).await {
                        Ok(outcomes) => return outcomes,
                        Err(error) if error.is_temporary() => continue,
                        Err(error) => panic!("{error}"),
                    }
                }
            }));
        }
    }
    let mut stored = 0;
    for task in tasks {
        for outcome in task.await.unwrap() {
            if matches!(outcome, IngestOutcome::Stored { message: Some(_), .. }) {
                stored += 1;
            }
        }
    }
    assert_eq!(stored, 20, "each platform message stored once");
    let conversations = two.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 3, "one conversation per customer");
    let mut messages = 0;
    for conversation in &conversations {
        let page = one.messages(&account.tenant, conversation.id, &MessageQuery::new().limit(100)).await.unwrap();
        messages += page.items.len();
        assert_eq!(conversation.unread_count as usize, page.items.len(), "unread counts each message once");
    }
    assert_eq!(messages, 20);
    let contacts = one.contacts(&account.tenant, None, 100).await.unwrap();
    assert_eq!(contacts.len(), 3, "one contact per customer");
}

/// Concurrent calls of one process share a transaction (group commit), each in a savepoint: a
/// call that fails stores none of its events and fails alone; the others are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_commit_together_and_a_failing_call_fails_alone() {
    let Some(database) = TestDatabase::create("concurrent_calls_commit_together").await else { return };
    let (inbox, _keys) = process(&database).await;
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "line".parse().unwrap(),
        ChannelKind::LINE,
        "Ub99",
        Timestamp::UNIX_EPOCH,
    );
    inbox.save_account(&account).await.unwrap();
    // Never saved: an event routed to it fails its call with NotFound.
    let unknown = ChannelAccount::new(
        "acme".parse().unwrap(),
        "line".parse().unwrap(),
        ChannelKind::LINE,
        "Ub00",
        Timestamp::UNIX_EPOCH,
    );

    // The change log's head row exists once something is stored. Holding it (as a committing
    // group does) keeps the first group waiting, so the calls made meanwhile queue up and are
    // stored together in the next group.
    let first = message(&account, "evt-first", "mid-first", "U9", 900);
    inbox.ingest(vec![first]).await.unwrap();
    let (admin, connection) = tokio_postgres::connect(&database.admin_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    admin.batch_execute("BEGIN; SELECT * FROM change_heads FOR UPDATE").await.unwrap();

    let mut tasks = Vec::new();
    for round in 0..3 {
        for i in 0..16 {
            let n = round * 16 + i;
            let customer = format!("U{}", n % 5);
            let mut events = vec![message(&account, &format!("evt-{n}"), &format!("mid-{n}"), &customer, 1_000 + n)];
            if i == 7 {
                // The call's first event is valid; its second is not, so the call stores neither.
                events.push(message(&unknown, &format!("evt-{n}-x"), &format!("mid-{n}-x"), &customer, 1_000 + n));
            }
            let inbox = inbox.clone();
            tasks.push((n, i == 7, tokio::spawn(async move { inbox.ingest(events).await })));
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(tasks.iter().all(|(_, _, task)| !task.is_finished()), "every call waits for the held head row");
    admin.batch_execute("COMMIT").await.unwrap();
    let mut failed = Vec::new();
    for (n, bad, task) in tasks {
        match task.await.unwrap() {
            Ok(outcomes) => {
                assert!(!bad, "call {n} should have failed");
                assert_eq!(outcomes.len(), 1);
                assert!(matches!(outcomes[0], IngestOutcome::Stored { message: Some(_), .. }), "call {n}");
            }
            Err(error) => {
                assert!(bad, "call {n} failed: {error}");
                assert_eq!(error.kind(), unibox_core::ErrorKind::NotFound, "{error}");
                failed.push(n);
            }
        }
    }
    assert_eq!(failed.len(), 3);

    // 45 messages stored (and the first), none of the failed calls' events.
    let conversations = inbox.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap().items;
    let mut messages = 0;
    for conversation in &conversations {
        messages += inbox
            .messages(&account.tenant, conversation.id, &MessageQuery::new().limit(100))
            .await
            .unwrap()
            .items
            .len();
    }
    assert_eq!(messages, 46);
    for n in failed {
        let customer = format!("U{}", n % 5);
        let again = message(&account, &format!("evt-{n}"), &format!("mid-{n}"), &customer, 1_000 + n);
        let outcome = inbox.ingest(vec![again]).await.unwrap();
        assert!(
            matches!(outcome[0], IngestOutcome::Stored { message: Some(_), .. }),
            "event {n} was not stored before"
        );
    }
    // A stored event redelivered is a duplicate.
    let again = message(&account, "evt-0", "mid-0", "U0", 1_000);
    assert_eq!(inbox.ingest(vec![again]).await.unwrap(), vec![IngestOutcome::Duplicate]);
}
