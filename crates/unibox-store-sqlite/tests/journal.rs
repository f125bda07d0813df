//! The inbound journal behind `Inbox::accept`: accepted events survive a crash before they are
//! applied, are applied exactly once, and a lost journal file does not break the inbox.

use std::path::Path;

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{Acceptance, ConversationQuery, MessageQuery, RoutedEvent};
use unibox_core::{ChannelAccount, TenantId};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions};
use unibox_testkit::fixtures::{self, AccountEvents, at};

async fn open(path: &Path) -> SqliteInbox {
    SqliteInbox::open(path).await.unwrap_or_else(|err| panic!("opening {}: {err}", path.display()))
}

fn journal_file(inbox: &Path) -> std::path::PathBuf {
    let mut path = inbox.as_os_str().to_owned();
    path.push(".inbound");
    path.into()
}

/// Twelve messages from three customers.
fn burst(events: &AccountEvents) -> Vec<RoutedEvent> {
    (0..12)
        .map(|n| {
            let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, n % 3);
            events.text(
                &format!("evt-{n}"),
                &customer,
                &format!("4687895778982625{n:02}"),
                &format!("order {n}"),
                at(n.into()),
            )
        })
        .collect()
}

async fn message_count(inbox: &SqliteInbox, tenant: &TenantId) -> (usize, u32) {
    let conversations = inbox.conversations(tenant, &ConversationQuery::new()).await.unwrap().items;
    let mut messages = 0;
    let mut unread = 0;
    for conversation in &conversations {
        messages += inbox.messages(tenant, conversation.id, &MessageQuery::new().limit(100)).await.unwrap().items.len();
        unread += conversation.unread_count;
    }
    (messages, unread)
}

async fn setup(path: &Path) -> (TenantId, ChannelAccount, AccountEvents) {
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    let inbox = open(path).await;
    inbox.save_account(&account).await.unwrap();
    inbox.close().await;
    let events = AccountEvents::new(&account);
    (tenant, account, events)
}

/// A process that committed journal rows and died before applying them: the rows are applied
/// on the next open, once, and never again on the opens after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_rows_left_by_a_crash_are_applied_once_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, _, events) = setup(&path).await;

    // What a crashed process leaves: committed journal rows, nothing applied.
    let journal = rusqlite::Connection::open(journal_file(&path)).unwrap();
    for routed in burst(&events) {
        journal
            .execute(
                "INSERT INTO inbound (tenant, account, event_id, received_at, event) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    routed.tenant.as_str(),
                    routed.account.as_bytes(),
                    routed.event.id,
                    routed.received_at.as_unix_millis(),
                    serde_json::to_string(&routed.event).unwrap()
                ],
            )
            .unwrap();
    }
    drop(journal);

    for round in 0..3 {
        let inbox = open(&path).await;
        assert_eq!(message_count(&inbox, &tenant).await, (12, 12), "open #{round}: every row applied once");
        let redelivered = inbox.accept(burst(&events)).await.unwrap();
        assert_eq!(redelivered.len(), 12);
        assert_eq!(message_count(&inbox, &tenant).await, (12, 12), "open #{round}: redeliveries change nothing");
        inbox.close().await;
    }
}

/// Events accepted right before a close are applied by the next open if not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_events_survive_closing_before_they_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, _, events) = setup(&path).await;

    let inbox = open(&path).await;
    let accepted = inbox.accept(burst(&events)).await.unwrap();
    assert!(accepted.iter().all(|outcome| *outcome == Acceptance::Accepted));
    inbox.close().await;

    let reopened = open(&path).await;
    assert_eq!(message_count(&reopened, &tenant).await, (12, 12));
    reopened.close().await;
}

/// A journal file deleted (or replaced by an older backup) while the inbox was closed starts
/// over: the inbox opens, applies what is accepted next, and redeliveries of events it already
/// applied are still recognised by the inbox itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_journal_file_starts_over_without_losing_or_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, _, events) = setup(&path).await;
    let all = burst(&events);

    let inbox = open(&path).await;
    inbox.accept(all[..6].to_vec()).await.unwrap();
    assert_eq!(message_count(&inbox, &tenant).await.0, 6);
    inbox.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = journal_file(&path).into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }

    let reopened = open(&path).await;
    reopened.accept(all.clone()).await.unwrap();
    assert_eq!(message_count(&reopened, &tenant).await, (12, 12), "the first six are not stored twice");
    reopened.close().await;
}

/// A file that is not a unibox journal is refused, and the inbox file is left alone.
#[tokio::test]
async fn a_foreign_journal_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let foreign = rusqlite::Connection::open(journal_file(&path)).unwrap();
    foreign.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").unwrap();
    drop(foreign);
    let err = SqliteInbox::open(&path).await.unwrap_err();
    assert_eq!(err.kind(), unibox_core::ErrorKind::Configuration);
    assert!(err.to_string().contains("journal"), "{err}");
}

/// Nobody reads, yet accepted events are applied soon after the burst ends (subscribers of the
/// change log and other processes see them without waiting for a read of this one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_events_are_applied_without_a_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (_, _, events) = setup(&path).await;
    let inbox = open(&path).await;
    inbox.accept(burst(&events)).await.unwrap();

    // Another connection, as another process would look: no read of `inbox` nudges it.
    let observer = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stored: i64 = observer.query_row("SELECT count(*) FROM messages", [], |row| row.get(0)).unwrap();
        if stored == 12 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {stored} of 12 accepted events applied after 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    inbox.close().await;
}

/// One store per file: a second inbox on a file another inbox has open (here in this process;
/// another process is refused the same way, by the file's lock) fails with a `Configuration`
/// error naming the file, while the first keeps working. Once the first is closed the file
/// opens, and what the first accepted is there once. A dropped (not closed) inbox lets go of the
/// file once its queued writes are done: an open right after the drop waits for that instead
/// of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_inbox_on_an_open_file_is_refused_until_the_first_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, _, events) = setup(&path).await;
    let event = |n: u32| {
        let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, n % 50);
        events.text(&format!("evt-{n}"), &customer, &format!("5{n:017}"), &format!("order {n}"), at(n.into()))
    };
    let first = open(&path).await;
    first.accept((0..60).map(event).collect()).await.unwrap();

    let quick = SqliteOptions::new().busy_timeout(std::time::Duration::from_millis(100));
    let refused = SqliteInbox::open_with(&path, quick.clone()).await.unwrap_err();
    assert_eq!(refused.kind(), unibox_core::ErrorKind::Configuration, "{refused}");
    let message = refused.to_string();
    assert!(message.contains("already open by another store"), "{message}");
    assert!(message.contains(&path.display().to_string()), "the error names the file: {message}");
    // The refused open changed nothing: the first inbox goes on accepting and applying.
    first.accept((60..100).map(event).collect()).await.unwrap();
    assert_eq!(message_count(&first, &tenant).await.0, 100);
    first.close().await;

    let second = SqliteInbox::open_with(&path, quick).await.unwrap();
    assert_eq!(message_count(&second, &tenant).await.0, 100, "nothing lost, nothing applied twice");
    second.accept((100..150).map(event).collect()).await.unwrap();
    drop(second);
    let third = open(&path).await;
    assert_eq!(message_count(&third, &tenant).await.0, 150, "the dropped inbox's events were kept");
    third.close().await;
}
