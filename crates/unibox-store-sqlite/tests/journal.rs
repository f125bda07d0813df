//! The inbound journal behind `Inbox::accept`: accepted events survive a crash before they are
//! applied, are applied exactly once, and a lost journal file does not break the inbox.

use std::path::Path;

use unibox_core::inbox::{Acceptance, ConversationQuery, MessageQuery, RoutedEvent};
use unibox_core::{ChannelAccount, Inbox, TenantId};
use unibox_store_sqlite::SqliteInbox;
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

/// Two inboxes on one file (two processes sharing a store): each accepts its own stream of
/// events, some of them delivered to both, while each applies and prunes the shared journal.
/// Every event is stored exactly once, and reopening applies nothing twice. (That a sequence
/// number is never reused once another writer emptied the table is pinned by a unit test in
/// `src/journal/tests.rs`: this interleaving rarely empties it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_inboxes_on_one_file_store_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, _, events) = setup(&path).await;
    let (first, second) = (open(&path).await, open(&path).await);
    let event = |n: u32| {
        let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, n % 50);
        events.text(&format!("evt-{n}"), &customer, &format!("5{n:017}"), &format!("order {n}"), at(n.into()))
    };
    // Rounds of accepts with reads in between (which make each inbox apply, and its pruner
    // delete applied rows), so the journal table empties and fills again while both write to it.
    const ROUNDS: u32 = 20;
    for round in 0..ROUNDS {
        let base = round * 100;
        let (a, b) = tokio::join!(
            first.accept((base..base + 60).map(event).collect()),
            second.accept((base + 40..base + 100).map(event).collect()),
        );
        a.unwrap();
        b.unwrap();
        message_count(&first, &tenant).await;
        message_count(&second, &tenant).await;
    }
    let total = usize::try_from(ROUNDS * 100).unwrap();
    assert_eq!(message_count(&first, &tenant).await.0, total);
    assert_eq!(message_count(&second, &tenant).await.0, total);
    first.close().await;
    second.close().await;

    let journal = rusqlite::Connection::open(journal_file(&path)).unwrap();
    let pruned_through: i64 = journal.query_row("SELECT pruned_through FROM identity", [], |row| row.get(0)).unwrap();
    assert!(pruned_through > 0, "the test went through pruning");
    drop(journal);
    let reopened = open(&path).await;
    assert_eq!(message_count(&reopened, &tenant).await.0, total, "nothing lost, nothing applied twice");
    reopened.close().await;
}
