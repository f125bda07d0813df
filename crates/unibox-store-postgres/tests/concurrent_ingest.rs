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
