//! Retention and erasure on a SQLite file, proven by scanning the bytes of every file the
//! store writes (the inbox, its WAL, the `.inbound` journal and the journal's WAL) for planted
//! message text, a phone number and a name: after a purge, after a contact erasure and after a
//! tenant deletion, none is left. Conversation data is not sealed in those scans, so a zero
//! proves the rows (and their old page images) are really gone, not merely unreadable. The
//! `sealed_` variants run the same operations on a sealed store (the default) and check that the
//! rows, the blind search terms and the sealed event and pending payloads naming the person go.

use std::path::{Path, PathBuf};
use std::time::Duration;

use unibox_core::inbox::SearchQuery;
use unibox_core::inbox::{ConversationQuery, MessageQuery};
use unibox_core::lifecycle::{LifecycleJob, RetentionPolicies};
use unibox_core::privacy::DeletionStatus;
use unibox_core::{ChannelAccount, ChannelKind, Hub, IdentityKind, PlatformUser};
use unibox_store_sqlite::{SqliteOptions, SqliteStore};
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_testkit::lifecycle::{hub, months_ago, now};
use unibox_vault::{Keyring, Purpose, StoreKeys};

const DAY: Duration = Duration::from_secs(86_400);

/// A store with conversation sealing off: planted values are plain bytes until deleted.
async fn open(dir: &Path) -> (SqliteStore, PathBuf) {
    let path = dir.join("inbox.db");
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    let options = SqliteOptions::new().conversation_sealing(false);
    let store = SqliteStore::open_with(&path, options, keys).await.unwrap();
    assert!(!store.inbox().seals_conversations());
    (store, path)
}

/// A sealed store (what `SqliteStore::open` gives by default).
async fn open_sealed(dir: &Path) -> (SqliteStore, PathBuf) {
    let path = dir.join("inbox.db");
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    let store = SqliteStore::open(&path, keys).await.unwrap();
    assert!(store.inbox().seals_conversations());
    (store, path)
}

/// `SELECT count(*)` of `sql` (a `FROM ...` clause) in the file, read beside the store.
fn count(db: &Path, from: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) {from}"), [], |row| row.get(0)).unwrap()
}

/// How many messages of `tenant` a search for `query` finds.
async fn found(hub: &Hub, tenant: &unibox_core::TenantId, query: &str) -> usize {
    hub.store().reads.search(tenant, &SearchQuery::new(query)).await.unwrap().items.len()
}

/// Every file the store writes: the inbox, its WAL, the journal and the journal's WAL.
fn files(db: &Path) -> Vec<PathBuf> {
    let name = db.file_name().unwrap().to_string_lossy().to_string();
    ["", "-wal", ".inbound", ".inbound-wal"].iter().map(|suffix| db.with_file_name(format!("{name}{suffix}"))).collect()
}

/// How often `needle` occurs in all of `db`'s files.
fn hits(db: &Path, needle: &str) -> usize {
    files(db)
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .map(|bytes| bytes.windows(needle.len()).filter(|window| *window == needle.as_bytes()).count())
        .sum()
}

/// Saves the account and accepts (through the inbound journal) one text per entry.
async fn accept(
    hub: &Hub,
    account: &ChannelAccount,
    customer: &PlatformUser,
    texts: &[(&str, &str, unibox_core::Timestamp)],
) {
    hub.store().accounts.save_account(account).await.unwrap();
    let events = AccountEvents::new(account);
    let batch = texts.iter().map(|(id, text, at)| events.text(&format!("evt-{id}"), customer, id, text, *at)).collect();
    hub.store().ingest.accept(batch).await.unwrap();
    // A read waits until the journal is applied.
    hub.store().reads.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap();
}

fn telegram(tenant: &unibox_core::TenantId) -> ChannelAccount {
    fixtures::account(tenant, "telegram", ChannelKind::TELEGRAM, "7012345678")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_leaves_no_byte_of_the_purged_messages_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open(dir.path()).await;
    let (hub, _clock) = hub(store.into());
    let tenant = fixtures::tenant("acme");
    let customer = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000a001").with_name("Wiset");
    accept(
        &hub,
        &fixtures::line_account(&tenant),
        &customer,
        &[
            ("m-old", "Plantedpurge from Kanyarat call 0891234567", months_ago(13)),
            ("m-new", "Keptrecent message", months_ago(11)),
        ],
    )
    .await;
    for needle in ["Plantedpurge", "0891234567", "Kanyarat", "Keptrecent"] {
        assert!(hits(&db, needle) > 0, "the scan finds {needle} before the purge");
    }
    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(1);
    let dry = job.purge(&tenant, true).await.unwrap();
    assert_eq!(dry.messages, 1);
    assert!(hits(&db, "Plantedpurge") > 0, "a dry run deletes nothing");

    let purged = job.purge(&tenant, false).await.unwrap();
    assert_eq!(purged.messages, 1);
    for needle in ["Plantedpurge", "0891234567", "Kanyarat"] {
        assert_eq!(hits(&db, needle), 0, "{needle} is in no file after the purge");
    }
    assert!(hits(&db, "Keptrecent") > 0, "the kept message is still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_erasure_across_three_channels_leaves_no_byte_of_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open(dir.path()).await;
    let (hub, _clock) = hub(store.into());
    let tenant = fixtures::tenant("acme");
    let accounts = [fixtures::line_account(&tenant), fixtures::messenger_account(&tenant), telegram(&tenant)];
    let identities = [
        PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000b002").with_name("Kanokwan"),
        PlatformUser::new(IdentityKind::PageScopedId, "6201234500000777").with_name("Kanokwan"),
        PlatformUser::new(IdentityKind::TelegramUserId, "77707").with_name("Kanokwan"),
    ];
    for (n, (account, person)) in accounts.iter().zip(&identities).enumerate() {
        let text = format!("Plantederase{n} my number is 0897654321");
        accept(&hub, account, person, &[(&format!("p-{n}"), &text, now())]).await;
    }
    let other = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000c003").with_name("Boonmee");
    accept(&hub, &accounts[0], &other, &[("o-1", "Keepthistext please", now())]).await;

    let conversations = hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items;
    let mut contacts = Vec::new();
    for conversation in &conversations {
        let contact = hub.store().reads.contact(&tenant, conversation.contact).await.unwrap();
        if contact.display_name.as_deref() == Some("Kanokwan") {
            contacts.push(contact.id);
        }
    }
    assert_eq!(contacts.len(), 3, "one contact per channel identity");
    for needle in ["Plantederase0", "Plantederase2", "0897654321", "Kanokwan", "77707"] {
        assert!(hits(&db, needle) > 0, "the scan finds {needle} before the erasure");
    }

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(1);
    let request = job.request_contact_erasure(&tenant, contacts).await.unwrap();
    job.run_once().await.unwrap();
    let done = hub.store().deletion_requests.as_ref().unwrap().get(&tenant, &request.confirmation_code).await.unwrap();
    assert_eq!(done.unwrap().status, DeletionStatus::Completed);

    for needle in
        ["Plantederase0", "Plantederase1", "Plantederase2", "0897654321", "Kanokwan", "77707", "6201234500000777"]
    {
        assert_eq!(hits(&db, needle), 0, "{needle} is in no file after the erasure");
    }
    assert!(hits(&db, "Keepthistext") > 0, "the other customer's message stays");
    assert!(hits(&db, "Boonmee") > 0, "the other customer stays");
    let verification = hub.store().audit.verify(&tenant).await.unwrap();
    assert!(verification.tamper.is_none(), "the audit chain verifies after the erasure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_deletion_shreds_at_once_and_leaves_no_byte_of_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open(dir.path()).await;
    let vault = store.vault().clone();
    let (hub, clock) = hub(store.into());
    let leaving = fixtures::tenant("leaving");
    let staying = fixtures::tenant("staying");
    let person = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000d004").with_name("Siriporn");
    accept(&hub, &fixtures::line_account(&leaving), &person, &[("l-1", "Plantedtenant call 0861112222", now())]).await;
    let staying_account = fixtures::account(&staying, "line-2", ChannelKind::LINE, "Ub-staying");
    accept(&hub, &staying_account, &person, &[("s-1", "Stayingtenant text", now())]).await;
    let sealed = vault.seal(&leaving, "probe", Purpose::new("probe"), b"sealed before").await.unwrap();
    for needle in ["Plantedtenant", "0861112222", "Siriporn"] {
        assert!(hits(&db, needle) > 0, "the scan finds {needle} before the deletion");
    }

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(4);
    let request = job.request_tenant_deletion(&leaving).await.unwrap();
    assert!(
        vault.open(&leaving, "probe", Purpose::new("probe"), &sealed).await.is_err(),
        "what the tenant's key sealed is unreadable as soon as the deletion is requested"
    );

    clock.advance(DAY * 30);
    job.run_once().await.unwrap();
    let done = hub.store().deletion_requests.as_ref().unwrap().get(&leaving, &request.confirmation_code).await.unwrap();
    let done = done.expect("the request is the record of the deletion");
    assert_eq!(done.status, DeletionStatus::Completed);
    assert!(done.completed_at().unwrap() <= done.requested_at.saturating_add(DAY * 30), "within the window");

    for needle in ["Plantedtenant", "0861112222"] {
        assert_eq!(hits(&db, needle), 0, "{needle} is in no file after the tenant deletion");
    }
    let left = rows_of(&db, "leaving");
    assert_eq!(left, vec![("privacy_requests".to_string(), 1)], "only the deletion request is left of the tenant");
    assert!(!rows_of(&db, "staying").is_empty());
    assert!(hub.store().accounts.accounts(&leaving).await.unwrap().is_empty());
    assert!(hits(&db, "Stayingtenant") > 0, "the other tenant stays");
    // The same person also wrote to the staying tenant: their name stays there, once per file at most.
    assert!(hub.store().reads.conversations(&staying, &ConversationQuery::new()).await.unwrap().items.len() == 1);
}

/// The tables holding rows of `tenant`, with how many.
fn rows_of(db: &Path, tenant: &str) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn
        .prepare("SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'tenant'")
        .unwrap();
    let tables: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
    tables
        .into_iter()
        .map(|table| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table} WHERE tenant = ?1"), [tenant], |row| row.get(0))
                .unwrap();
            (table, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn pragma(db: &Path, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_use_incremental_auto_vacuum_and_a_purge_returns_free_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open(dir.path()).await;
    let (hub, _clock) = hub(store.into());
    let tenant = fixtures::tenant("acme");
    let customer = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000e005");
    let long = "x".repeat(2_000);
    let texts: Vec<(String, String)> = (0..300).map(|n| (format!("m-{n}"), format!("old {n} {long}"))).collect();
    let batch: Vec<(&str, &str, unibox_core::Timestamp)> =
        texts.iter().map(|(id, text)| (id.as_str(), text.as_str(), months_ago(13))).collect();
    accept(&hub, &fixtures::line_account(&tenant), &customer, &batch).await;
    assert_eq!(pragma(&db, "auto_vacuum"), 2, "a new file is created in incremental mode");
    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(50);
    assert_eq!(job.purge(&tenant, false).await.unwrap().messages, 300);
    assert_eq!(pragma(&db, "freelist_count"), 0, "the purge gave the freed pages back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_created_without_auto_vacuum_is_switched_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    unibox_store_sqlite::SqliteInbox::open(&path).await.unwrap().close().await;
    {
        // As files written before this version were.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;").unwrap();
    }
    assert_eq!(pragma(&path, "auto_vacuum"), 0);
    unibox_store_sqlite::SqliteInbox::open(&path).await.unwrap().close().await;
    assert_eq!(pragma(&path, "auto_vacuum"), 2, "opening switched it to incremental (one VACUUM)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_a_purge_deletes_the_messages_and_their_blind_search_terms() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open_sealed(dir.path()).await;
    let (hub, _clock) = hub(store.into());
    let tenant = fixtures::tenant("acme");
    let customer = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000a001").with_name("Wiset");
    accept(
        &hub,
        &fixtures::line_account(&tenant),
        &customer,
        &[
            ("m-old", "Plantedpurge from Kanyarat call 0891234567", months_ago(13)),
            ("m-new", "Keptrecent message", months_ago(11)),
        ],
    )
    .await;
    assert_eq!(found(&hub, &tenant, "Plantedpurge").await, 1, "found through the blind index before");
    assert_eq!(count(&db, "FROM message_terms"), 2);
    for needle in ["Plantedpurge", "0891234567", "Kanyarat", "Keptrecent"] {
        assert_eq!(hits(&db, needle), 0, "{needle} is sealed");
    }

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(1);
    assert_eq!(job.purge(&tenant, true).await.unwrap().messages, 1);
    assert_eq!(count(&db, "FROM messages"), 2, "a dry run deletes nothing");
    assert_eq!(job.purge(&tenant, false).await.unwrap().messages, 1);
    assert_eq!(count(&db, "FROM messages"), 1);
    assert_eq!(count(&db, "FROM message_terms"), 1, "the purged message's blind terms are gone");
    assert_eq!(found(&hub, &tenant, "Plantedpurge").await, 0);
    assert_eq!(found(&hub, &tenant, "Keptrecent").await, 1, "the kept message is still found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_a_contact_erasure_across_three_channels_finds_the_person_through_sealed_values() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open_sealed(dir.path()).await;
    let (hub, _clock) = hub(store.into());
    let tenant = fixtures::tenant("acme");
    let accounts = [fixtures::line_account(&tenant), fixtures::messenger_account(&tenant), telegram(&tenant)];
    let identities = [
        PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000b002").with_name("Kanokwan"),
        PlatformUser::new(IdentityKind::PageScopedId, "6201234500000777").with_name("Kanokwan"),
        PlatformUser::new(IdentityKind::TelegramUserId, "77707").with_name("Kanokwan"),
    ];
    for (n, (account, person)) in accounts.iter().zip(&identities).enumerate() {
        let text = format!("Plantederase{n} my number is 0897654321");
        accept(&hub, account, person, &[(&format!("p-{n}"), &text, now())]).await;
    }
    // Rows naming the person without a message of theirs: a logged follow (a sealed event
    // payload) and a reaction to a message not seen yet (a sealed pending change).
    let events = AccountEvents::new(&accounts[0]);
    hub.store()
        .ingest
        .accept(vec![
            events.follow("evt-follow", &identities[0], now()),
            events.reaction("evt-react", &identities[0], "not-seen-yet", Some("❤"), now()),
        ])
        .await
        .unwrap();
    let other = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000c003").with_name("Boonmee");
    accept(&hub, &accounts[0], &other, &[("o-1", "Keepthistext please", now())]).await;
    // The person's reaction to the other customer's message (a group chat): a sealed reaction
    // naming them in a conversation that stays; the other customer's own reaction stays.
    hub.store()
        .ingest
        .accept(vec![
            events.reaction("evt-react-o1", &identities[0], "o-1", Some("❤"), now()),
            events.reaction("evt-react-o1-other", &other, "o-1", Some("👍"), now()),
        ])
        .await
        .unwrap();
    // A read waits until the journal is applied.
    hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await.unwrap();
    assert_eq!(count(&db, "FROM reactions WHERE reactor_sealed IS NOT NULL AND emoji_sealed IS NOT NULL"), 2);
    assert_eq!(count(&db, "FROM pending_actions WHERE payload_sealed IS NOT NULL"), 1, "the pending reaction");
    let logged = count(&db, "FROM events WHERE payload_sealed IS NOT NULL");
    assert!(logged >= 1, "the follow is logged sealed");

    let conversations = hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items;
    let mut contacts = Vec::new();
    for conversation in &conversations {
        let contact = hub.store().reads.contact(&tenant, conversation.contact).await.unwrap();
        if contact.display_name.as_deref() == Some("Kanokwan") {
            contacts.push(contact.id);
        }
    }
    assert_eq!(contacts.len(), 3, "one contact per channel identity");
    assert_eq!(found(&hub, &tenant, "Plantederase1").await, 1);
    assert_eq!(count(&db, "FROM message_terms"), 4);

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(1);
    let request = job.request_contact_erasure(&tenant, contacts).await.unwrap();
    job.run_once().await.unwrap();
    let done = hub.store().deletion_requests.as_ref().unwrap().get(&tenant, &request.confirmation_code).await.unwrap();
    assert_eq!(done.unwrap().status, DeletionStatus::Completed);

    for n in 0..3 {
        assert_eq!(found(&hub, &tenant, &format!("Plantederase{n}")).await, 0, "Plantederase{n} is not found");
    }
    assert_eq!(found(&hub, &tenant, "Keepthistext").await, 1, "the other customer's message stays");
    assert_eq!(count(&db, "FROM messages"), 1);
    assert_eq!(count(&db, "FROM message_terms"), 1, "the erased messages' blind terms are gone");
    assert_eq!(count(&db, "FROM contacts"), 1, "only the other customer is left");
    assert_eq!(count(&db, "FROM contact_identities"), 1);
    assert_eq!(count(&db, "FROM conversations"), 1);
    assert_eq!(count(&db, "FROM pending_actions"), 0, "the sealed pending reaction naming the person is gone");
    assert_eq!(count(&db, "FROM reactions"), 1, "the person's sealed reaction to another's message is gone");
    let kept = hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items;
    let messages = hub.store().reads.messages(&tenant, kept[0].id, &MessageQuery::new()).await.unwrap().items;
    let reactions: Vec<&str> = messages[0].reactions.iter().map(|found| found.by.as_str()).collect();
    assert_eq!(reactions, [other.id.as_str()], "the other customer's reaction stays");
    assert_eq!(
        count(&db, "FROM events WHERE payload_sealed IS NOT NULL"),
        logged - 1,
        "the sealed follow naming the person is gone"
    );
    let verification = hub.store().audit.verify(&tenant).await.unwrap();
    assert!(verification.tamper.is_none(), "the audit chain verifies after the erasure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_a_tenant_deletion_leaves_no_row_and_no_blind_term_of_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = open_sealed(dir.path()).await;
    let (hub, clock) = hub(store.into());
    let leaving = fixtures::tenant("leaving");
    let staying = fixtures::tenant("staying");
    let person = PlatformUser::new(IdentityKind::LineUserId, "U0000000000000000000000000000d004").with_name("Siriporn");
    accept(&hub, &fixtures::line_account(&leaving), &person, &[("l-1", "Plantedtenant call 0861112222", now())]).await;
    let staying_account = fixtures::account(&staying, "line-2", ChannelKind::LINE, "Ub-staying");
    accept(&hub, &staying_account, &person, &[("s-1", "Stayingtenant text", now())]).await;
    assert_eq!(count(&db, "FROM message_terms"), 2);

    let job = LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap().batch(4);
    let request = job.request_tenant_deletion(&leaving).await.unwrap();
    clock.advance(DAY * 30);
    job.run_once().await.unwrap();
    let done = hub.store().deletion_requests.as_ref().unwrap().get(&leaving, &request.confirmation_code).await.unwrap();
    assert_eq!(done.expect("the request is kept").status, DeletionStatus::Completed);

    assert_eq!(rows_of(&db, "leaving"), vec![("privacy_requests".to_string(), 1)], "only the request is left");
    assert_eq!(count(&db, "FROM message_terms"), 1, "the deleted tenant's blind terms are gone");
    assert_eq!(found(&hub, &staying, "Stayingtenant").await, 1, "the other tenant is still found");
    for needle in ["Plantedtenant", "0861112222", "Siriporn"] {
        assert_eq!(hits(&db, needle), 0, "{needle} is in no file");
    }
}
