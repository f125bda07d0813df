//! What is stored stays stored: reopening, schema versions, erasure on disk.

use std::path::Path;

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, IngestOutcome, MessageQuery, SearchQuery};
use unibox_core::{ChannelAccount, Content, ErrorKind, InternalNote, NoteId};
use unibox_store_sqlite::{SCHEMA_VERSION, SqliteInbox};
use unibox_testkit::fixtures::{self, AccountEvents, THAI_ORDER_TEXT, at};

async fn open(path: &Path) -> SqliteInbox {
    SqliteInbox::open(path).await.unwrap_or_else(|err| panic!("opening {}: {err}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_closing_and_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    let events = AccountEvents::new(&account);
    let customer = fixtures::line_user();

    let inbox = open(&path).await;
    inbox.save_account(&account).await.unwrap();
    let first = events.text("evt-1", &customer, "468789577898262530", THAI_ORDER_TEXT, at(0));
    let outcomes = inbox.ingest(vec![first.clone()]).await.unwrap();
    let IngestOutcome::Stored { conversation: Some(conversation), message: Some(message) } = outcomes[0] else {
        panic!("stored, got {:?}", outcomes[0]);
    };
    let note = InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation,
        author: fixtures::user("agent-7"),
        body: "Wants the red shirt in M; check stock".into(),
        created_at: at(30),
    };
    inbox.add_note(&note).await.unwrap();
    let before = inbox.message(&tenant, message).await.unwrap();
    inbox.close().await;

    let reopened = open(&path).await;
    assert_eq!(reopened.account(&tenant, account.id).await.unwrap(), account);
    assert_eq!(reopened.message(&tenant, message).await.unwrap(), before, "the message is read back unchanged");
    let conversations = reopened.conversations(&tenant, &ConversationQuery::new()).await.unwrap();
    assert_eq!(conversations.items.len(), 1);
    assert_eq!(conversations.items[0].unread_count, 1);
    assert_eq!(reopened.notes(&tenant, conversation).await.unwrap(), vec![note]);
    let found = reopened.search(&tenant, &SearchQuery::new("สั่งซื้อ")).await.unwrap();
    assert_eq!(found.items.len(), 1, "the search index survives too");
    assert_eq!(
        reopened.ingest(vec![first]).await.unwrap(),
        vec![IngestOutcome::Duplicate],
        "deduplication remembers events across restarts"
    );
    let messages = reopened.messages(&tenant, conversation, &MessageQuery::new()).await.unwrap();
    assert_eq!(messages.items.len(), 1);
    reopened.close().await;
}

#[tokio::test]
async fn dropping_the_inbox_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let tenant = fixtures::tenant("acme");
    let account = fixtures::shopee_account(&tenant);
    let events = AccountEvents::new(&account);
    {
        let inbox = open(&path).await;
        inbox.save_account(&account).await.unwrap();
        for n in 0..20u32 {
            let buyer = fixtures::customer(unibox_core::IdentityKind::MarketplaceBuyerId, n);
            inbox
                .ingest(vec![events.text(
                    &format!("e-{n}"),
                    &buyer,
                    &format!("m-{n}"),
                    "Is it in stock?",
                    at(n.into()),
                )])
                .await
                .unwrap();
        }
        // Dropped without `close`: every write above was acknowledged, so it is on disk.
    }
    let reopened = open(&path).await;
    let page = reopened.conversations(&tenant, &ConversationQuery::new().limit(100)).await.unwrap();
    assert_eq!(page.items.len(), 20);
}

#[tokio::test]
async fn a_new_database_is_created_at_the_current_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let inbox = open(&path).await;
    assert_eq!(inbox.schema_version().await.unwrap(), SCHEMA_VERSION);
    inbox.close().await;

    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = raw.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION, "the version lives in PRAGMA user_version");
    let journal: String = raw.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal", "the file is in write-ahead-log mode");
    drop(raw);

    let again = open(&path).await;
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION, "reopening migrates nothing");
}

#[tokio::test]
async fn a_database_from_a_newer_release_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let inbox = open(&path).await;
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    inbox.save_account(&account).await.unwrap();
    inbox.close().await;

    let future = SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", future).unwrap();

    let err = SqliteInbox::open(&path).await.expect_err("a newer schema must be refused");
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.message().contains(&format!("schema version {future}")), "the error names the version: {err}");
    assert!(err.message().contains("upgrade"), "the error says what to do: {err}");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = raw.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, future, "the refused file was not changed");
}

#[tokio::test]
async fn a_database_of_another_application_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)").unwrap();
    drop(raw);

    let err = SqliteInbox::open(&path).await.expect_err("a foreign database must be refused");
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 =
        raw.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 1, "no unibox table was added to the foreign file");
}

#[tokio::test]
async fn a_path_in_a_missing_directory_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteInbox::open(dir.path().join("missing").join("inbox.db")).await.expect_err("cannot create");
    assert_eq!(err.kind(), ErrorKind::Storage);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn file_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    all
}

#[tokio::test]
async fn unsent_content_leaves_no_trace_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let tenant = fixtures::tenant("acme");
    let account: ChannelAccount = fixtures::messenger_account(&tenant);
    let events = AccountEvents::new(&account);
    let customer = fixtures::messenger_user();
    let canary = "canary-7f3a9c-card-4111111111111111";

    let inbox = open(&path).await;
    inbox.save_account(&account).await.unwrap();
    let outcomes = inbox.ingest(vec![events.text("e-1", &customer, "mid.1", canary, at(0))]).await.unwrap();
    let IngestOutcome::Stored { message: Some(id), .. } = outcomes[0] else { panic!("stored") };
    inbox.ingest(vec![events.unsend("u-1", &customer, "mid.1", at(5))]).await.unwrap();
    // An edit that arrives after the unsend, and one for a message that has not arrived yet
    // but is already unsent, must not be stored either.
    inbox.ingest(vec![events.edit("e-2", &customer, "mid.1", canary, at(6))]).await.unwrap();
    inbox.ingest(vec![events.unsend("u-2", &customer, "mid.2", at(7))]).await.unwrap();
    inbox.ingest(vec![events.edit("e-3", &customer, "mid.2", canary, at(8))]).await.unwrap();
    assert_eq!(inbox.message(&tenant, id).await.unwrap().content, Content::text(""));
    inbox.close().await;

    // Closing checkpointed the write-ahead log into the file; freed space is zeroed.
    assert!(!contains(&file_bytes(dir.path()), canary.as_bytes()), "the unsent text is still in the files");
}
