//! A contact erasure against ingest in another process: the erasure's last batch takes the
//! person's identity locks (the ones ingest holds from before it looks the contact up until it
//! commits), so a message committed while the erasure runs is erased with the contact instead of
//! outliving it.

use std::time::Duration;

use tokio_postgres::NoTls;
use unibox_core::inbox::{ChannelAccounts, EventIngest, InboxReads, IngestOutcome, RoutedEvent};
use unibox_core::lifecycle::DataLifecycle;
use unibox_core::{IdentityKind, PlatformUser, Timestamp};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::fixtures::{self, AccountEvents, line_account};
use unibox_vault::{Keyring, StoreKeys};

/// A customer's text message, as LINE delivers one.
fn text(events: &AccountEvents, event_id: &str, mid: &str, at: i64) -> RoutedEvent {
    let customer =
        PlatformUser::new(IdentityKind::LineUserId, "Ue1f8c2b3a4d5e6f708192a3b4c5d6e7f").with_name("Somchai Jaidee");
    let body = format!("สวัสดีค่ะ สั่งเสื้อไซส์ M สีดำ 2 ตัว order {mid}, call me at +66 81 234 5678");
    events.text(event_id, &customer, mid, &body, Timestamp::from_unix_seconds(at))
}

#[tokio::test]
async fn a_message_committed_during_the_last_erasure_batch_is_erased_with_the_contact() {
    let Some(database) =
        TestDatabase::create("a_message_committed_during_the_last_erasure_batch_is_erased_with_the_contact").await
    else {
        return;
    };
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    let store = PostgresStore::connect(&database.app_options(), keys).await.unwrap();
    let inbox = store.inbox();
    let account = line_account(&fixtures::tenant("acme"));
    let events = AccountEvents::new(&account);
    inbox.save_account(&account).await.unwrap();
    let tenant = account.tenant.clone();
    let outcomes = inbox.ingest(vec![text(&events, "ev-1", "100001", 1_700_000_000)]).await.unwrap();
    let IngestOutcome::Stored { conversation: Some(conversation), .. } = outcomes[0] else {
        panic!("the first message is stored: {outcomes:?}")
    };
    let contact = inbox.conversation(&tenant, conversation).await.unwrap().contact;

    // Another process's ingest, as far as the lock it takes first: it holds the customer's
    // identity lock, as a group does from before it looks the contact up until it commits.
    let (admin, connection) = tokio_postgres::connect(&database.admin_url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    admin.batch_execute("BEGIN").await.unwrap();
    let key: String = admin
        .query_one(
            "SELECT 'unibox.identity' || chr(31) || tenant || chr(31) || account::text || chr(31) || kind || chr(31) || value \
             FROM contact_identities WHERE tenant = $1 AND contact = $2",
            &[&tenant.as_str(), &contact.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    admin.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key]).await.unwrap();

    // The erasure's last batch (a limit above the contact's one message) reads the messages, then
    // waits for the person's lock.
    let lifecycle = store.lifecycle();
    let erasing_tenant = tenant.clone();
    let erasure = tokio::spawn(async move { lifecycle.erase_contact(&erasing_tenant, contact, 100).await });
    let mut waited = false;
    for _ in 0..200 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' \
                 AND datname = current_database()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            waited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Asserted after the commit below: the open transaction would keep the test schema from
    // being dropped.
    let finished_early = erasure.is_finished();

    // The other process stores a message of the person into the conversation (the row its ingest
    // writes, here directly) and commits, releasing the lock.
    admin
        .execute(
            "INSERT INTO messages (tenant, id, conversation, account, direction, author, content, sent_at, recorded_at, delivery) \
             VALUES ($1, gen_random_uuid(), $2, $3, 'inbound', '{}', '', 1700000100000, 1700000100000, '\"received\"')",
            &[&tenant.as_str(), &conversation.as_uuid(), &account.id.as_uuid()],
        )
        .await
        .unwrap();
    admin.batch_execute("COMMIT").await.unwrap();

    let step = tokio::time::timeout(Duration::from_secs(30), erasure).await.unwrap().unwrap().unwrap();
    assert!(waited && !finished_early, "the erasure's last batch waits for the identity lock the other ingest holds");
    assert!(step.done, "the contact is erased in this batch: {step:?}");
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM messages WHERE tenant = $1 AND conversation = $2",
            &[&tenant.as_str(), &conversation.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the message committed while the erasure waited went with the contact");
    let contacts: i64 = admin
        .query_one(
            "SELECT count(*) FROM contacts WHERE tenant = $1 AND id = $2",
            &[&tenant.as_str(), &contact.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(contacts, 0, "the contact is gone");

    // The person writes again after the erasure: a new contact, nothing of the old one.
    let outcomes = inbox.ingest(vec![text(&events, "ev-2", "100002", 1_700_000_200)]).await.unwrap();
    let IngestOutcome::Stored { conversation: Some(after), .. } = outcomes[0] else {
        panic!("the later message is stored: {outcomes:?}")
    };
    assert_ne!(after, conversation);
    assert_ne!(inbox.conversation(&tenant, after).await.unwrap().contact, contact);
}
