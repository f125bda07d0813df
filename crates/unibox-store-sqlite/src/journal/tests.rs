//! Tests of the journal's parts together: admission, state, applying, pruning, the file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::watch;
use unibox_core::inbox::Acceptance;
use unibox_core::{ChannelAccountId, ErrorKind};

use super::admission::{ADMIT_WAIT, JournalEntry, accept};
use super::applier::{Applier, MAX_DELAY, Row};
use super::file_format::{JOURNAL_VERSION, journal_path, open_journal_writer};
use super::pruner::prune;
use super::space::DiskReserve;
use super::state::{JournalState, PendingEvents};
use crate::options::SqliteOptions;
use crate::writer::{Background, WriteTx, execute};

fn state(head: i64, applied: i64) -> JournalState {
    JournalState {
        head: AtomicI64::new(head),
        last_commit: AtomicU64::new(0),
        epoch: Instant::now(),
        applied: watch::channel(applied).0,
        pending: PendingEvents::default(),
        space: DiskReserve::off(),
        waiting_at_open: head - applied,
    }
}

#[test]
fn accept_is_refused_with_a_retry_hint_once_the_backlog_reaches_the_limit() {
    assert!(state(99, 0).check_room(100).is_ok());
    let refused = state(100, 0).check_room(100).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Storage);
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(1)));
    assert!(refused.to_string().contains("100 accepted events wait"), "{refused}");
}

#[tokio::test(start_paused = true)]
async fn past_half_the_limit_accept_waits_for_room_then_the_hard_limit_decides() {
    let state = Arc::new(state(40, 0));
    state.admit(100).await.expect("under half: at once");

    state.head.store(60, Ordering::Release);
    let waiting = {
        let state = Arc::clone(&state);
        tokio::spawn(async move { state.admit(100).await })
    };
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "past half, accept waits for applying");
    state.applied.send_replace(20);
    waiting.await.unwrap().expect("admitted once the backlog is under half");

    // Nothing is applied meanwhile: after ADMIT_WAIT the call is admitted under the limit...
    state.head.store(80, Ordering::Release);
    let started = tokio::time::Instant::now();
    state.admit(100).await.expect("under the hard limit");
    assert_eq!(started.elapsed(), ADMIT_WAIT);
    // ...and refused at it, with a retry hint.
    state.head.store(120, Ordering::Release);
    let refused = state.admit(100).await.unwrap_err();
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn a_read_waits_only_for_events_accepted_before_it() {
    let state = Arc::new(state(5, 5));
    let mut woken = false;
    state.wait_applied("test", || woken = true).await.unwrap();
    assert!(!woken, "nothing to wait for: the writer is not disturbed");

    state.head.store(7, Ordering::Release);
    let waiting = {
        let state = Arc::clone(&state);
        tokio::spawn(async move { state.wait_applied("test", || {}).await })
    };
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    state.applied.send_replace(7);
    waiting.await.unwrap().unwrap();
}

#[test]
fn a_waiting_read_drains_what_was_accepted_before_it_and_no_more() {
    let state = Arc::new(state(10, 0));
    state.note_commit();
    let mut applier = Applier::new(
        Arc::clone(&state),
        Connection::open_in_memory().unwrap(),
        100_000,
        Arc::new(crate::sealing::Sealing::plain()),
    );
    // What the last run left behind is applied without waiting for a quiet moment.
    assert!(applier.ready());
    applier.applied_through(Some(10));
    assert!(!applier.ready(), "nothing left to drain, and the journal is busy");

    // A read waits while events 11..=40 are unapplied; more keep arriving during its drain.
    state.head.store(40, Ordering::Release);
    applier.wake();
    state.head.store(60, Ordering::Release);
    state.note_commit();
    applier.applied_through(Some(30));
    assert!(applier.ready(), "the read still waits for 31..=40");
    applier.applied_through(Some(41));
    assert_eq!(state.backlog(), 19);
    assert!(
        !applier.ready(),
        "events accepted after the read do not keep applying going: under a steady load the next rounds \
         wait to be large"
    );
}

#[test]
fn under_a_steady_load_events_wait_at_most_max_delay_then_the_backlog_is_applied_whole() {
    let state = Arc::new(state(0, 0));
    let mut applier = Applier::new(
        Arc::clone(&state),
        Connection::open_in_memory().unwrap(),
        100_000,
        Arc::new(crate::sealing::Sealing::plain()),
    );
    applier.applied_through(None);
    // Events keep arriving: the journal is never quiet.
    state.head.store(3000, Ordering::Release);
    state.note_commit();
    assert!(!applier.ready(), "a burst is acknowledged first");
    applier.waiting_since.set(Some(Instant::now() - MAX_DELAY));
    state.note_commit();
    assert!(applier.ready(), "events have waited MAX_DELAY");
    applier.applied_through(Some(1024));
    state.note_commit();
    assert!(applier.ready(), "rounds go on while older events wait");
    applier.applied_through(Some(2048));
    applier.applied_through(Some(3000));
    state.note_commit();
    assert!(applier.waiting_since.get().is_none(), "the clock stops once the backlog is empty");
    state.head.store(3010, Ordering::Release);
    assert!(!applier.ready(), "new events start a new wait");
}

/// A journal writer connection on a fresh file, and the state an inbox that applied nothing
/// of it would load.
fn journal(dir: &Path) -> (Connection, Arc<JournalState>) {
    let conn = open_journal_writer(&dir.join("inbox.db.inbound"), &SqliteOptions::default()).unwrap();
    let inbox = Connection::open_in_memory().unwrap();
    inbox.execute_batch(include_str!("../migrations/0007_journal.sql")).unwrap();
    let state = JournalState::load(&inbox, &conn, DiskReserve::off()).unwrap();
    (conn, state)
}

fn entry(event_id: &str) -> JournalEntry {
    JournalEntry {
        tenant: "acme".parse().unwrap(),
        account: ChannelAccountId::from_bytes([7; 16]),
        event_id: event_id.to_owned(),
        received_at: 1_732_000_000_000,
        event_json: r#"{"id":"x"}"#.to_owned(),
        event_sealed: None,
        opened: None,
    }
}

/// A sealed entry as a sealed inbox's `prepare` makes it: no plaintext column, its JSON kept.
fn sealed_entry(event_id: &str) -> JournalEntry {
    JournalEntry {
        event_json: String::new(),
        event_sealed: Some(vec![1, 2, 3]),
        opened: Some(format!(r#"{{"id":"{event_id}"}}"#)),
        ..entry(event_id)
    }
}

#[test]
fn a_sealed_event_is_kept_opened_for_applying_only_once_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, state) = journal(dir.path());
    let key = |event_id: &str| state.pending.key("acme", &[7; 16], event_id);

    execute(&conn, "BEGIN IMMEDIATE").unwrap();
    let tx = WriteTx::new(&conn);
    let mark = tx.mark();
    accept(&tx, &state, &[sealed_entry("evt-1")]).unwrap();
    tx.rollback_to(mark);
    accept(&tx, &state, &[sealed_entry("evt-2"), sealed_entry("evt-3")]).unwrap();
    execute(&conn, "COMMIT").unwrap();
    tx.committed();

    assert_eq!(state.pending.take_opened(key("evt-1")), None, "a rolled-back accept keeps nothing");
    assert_eq!(state.pending.take_opened(key("evt-2")).as_deref(), Some(r#"{"id":"evt-2"}"#));
    assert_eq!(state.pending.take_opened(key("evt-2")), None, "taken once");
    // Applied without taking it (an event applied one by one opens its row): forgotten anyway.
    let row = Row {
        seq: 2,
        tenant: "acme".to_owned(),
        account: [7; 16],
        event_id: "evt-3".to_owned(),
        received_at: 0,
        event_json: String::new(),
        event_sealed: Some(vec![1, 2, 3]),
    };
    state.pending.applied(&[row]);
    assert_eq!(state.pending.take_opened(key("evt-3")), None);
    // A plain entry keeps nothing: its row holds the JSON.
    assert_eq!(accept_one(&conn, &state, "evt-4"), Acceptance::Accepted);
    assert_eq!(state.pending.take_opened(key("evt-4")), None);
}

#[test]
fn a_redelivery_is_a_duplicate_until_applied_and_a_rolled_back_accept_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, state) = journal(dir.path());
    execute(&conn, "BEGIN IMMEDIATE").unwrap();
    let tx = WriteTx::new(&conn);
    let first = accept(&tx, &state, &[entry("evt-1"), entry("evt-1")]).unwrap();
    assert_eq!(first, [Acceptance::Accepted, Acceptance::Duplicate], "a second copy in the same call");

    // A later job of the same batch that is rolled back (its savepoint, or the whole batch).
    let mark = tx.mark();
    assert_eq!(
        accept(&tx, &state, &[entry("evt-2"), entry("evt-1")]).unwrap(),
        [Acceptance::Accepted, Acceptance::Duplicate]
    );
    tx.rollback_to(mark);
    execute(&conn, "COMMIT").unwrap();
    tx.committed();

    execute(&conn, "BEGIN IMMEDIATE").unwrap();
    let tx = WriteTx::new(&conn);
    assert_eq!(
        accept(&tx, &state, &[entry("evt-2"), entry("evt-1")]).unwrap(),
        [Acceptance::Accepted, Acceptance::Duplicate],
        "the rolled-back evt-2 is not taken for a duplicate; the committed evt-1 is"
    );
    tx.rollback_all();
    execute(&conn, "ROLLBACK").unwrap();
    assert_eq!(accept_one(&conn, &state, "evt-2"), Acceptance::Accepted, "nor after the batch is rolled back");

    // Once applied, the journal forgets it (the inbox's event log recognises it from then on).
    let rows = vec![Row {
        seq: 1,
        tenant: "acme".to_owned(),
        account: [7; 16],
        event_id: "evt-1".to_owned(),
        received_at: 0,
        event_json: String::new(),
        event_sealed: None,
    }];
    state.pending.applied(&rows);
    assert_eq!(accept_one(&conn, &state, "evt-1"), Acceptance::Accepted);
}

fn accept_one(conn: &Connection, state: &Arc<JournalState>, event_id: &str) -> Acceptance {
    execute(conn, "BEGIN IMMEDIATE").unwrap();
    let tx = WriteTx::new(conn);
    let outcome = accept(&tx, state, &[entry(event_id)]).unwrap()[0];
    execute(conn, "COMMIT").unwrap();
    tx.committed();
    outcome
}

#[test]
fn sequence_numbers_never_repeat_once_every_row_is_pruned_whoever_pruned_them() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, state) = journal(dir.path());
    assert_eq!(accept_one(&conn, &state, "evt-1"), Acceptance::Accepted);
    assert_eq!(accept_one(&conn, &state, "evt-2"), Acceptance::Accepted);
    // Another process on the same file, opened before these rows: its head is 0.
    let other = open_journal_writer(&dir.path().join("inbox.db.inbound"), &SqliteOptions::default()).unwrap();
    let other_state = Arc::new(self::state(0, 0));
    // Both rows applied and pruned: the table is empty.
    prune(&conn, 2).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM inbound", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, 0);
    assert_eq!(accept_one(&other, &other_state, "evt-3"), Acceptance::Accepted);
    let seq: i64 = conn.query_row("SELECT seq FROM inbound WHERE event_id = 'evt-3'", [], |row| row.get(0)).unwrap();
    assert_eq!(seq, 3, "a sequence number is never reused: an inbox may hold 'applied through 2'");
}

#[test]
fn unapplied_rows_of_a_previous_run_still_count_for_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, state) = journal(dir.path());
    assert_eq!(accept_one(&conn, &state, "evt-1"), Acceptance::Accepted);
    drop(state);
    let inbox = Connection::open_in_memory().unwrap();
    inbox.execute_batch(include_str!("../migrations/0007_journal.sql")).unwrap();
    let reloaded = JournalState::load(&inbox, &conn, DiskReserve::off()).unwrap();
    assert_eq!(accept_one(&conn, &reloaded, "evt-1"), Acceptance::Duplicate);
    assert_eq!(accept_one(&conn, &reloaded, "evt-2"), Acceptance::Accepted);
}

#[test]
fn a_version_1_journal_keeps_its_rows_and_loses_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db.inbound");
    let old = Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE inbound (
             seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, account BLOB NOT NULL,
             event_id TEXT NOT NULL, received_at INTEGER NOT NULL, event TEXT NOT NULL,
             UNIQUE (tenant, account, event_id)) STRICT;
         CREATE TABLE identity (id BLOB NOT NULL) STRICT;
         INSERT INTO identity (id) VALUES (randomblob(16));
         INSERT INTO inbound (seq, tenant, account, event_id, received_at, event)
             VALUES (41, 'acme', zeroblob(16), 'evt-41', 1, '{}'), (42, 'acme', zeroblob(16), 'evt-42', 2, '{}');
         PRAGMA application_id = 1969387626;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(old);

    let conn = open_journal_writer(&path, &SqliteOptions::default()).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert_eq!(version, JOURNAL_VERSION);
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, event_id FROM inbound ORDER BY seq")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows, [(41, "evt-41".to_owned()), (42, "evt-42".to_owned())]);
    let indexes: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'inbound'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(indexes, 0, "no index page is written per accepted event any more");
    let pruned_through: i64 = conn.query_row("SELECT pruned_through FROM identity", [], |row| row.get(0)).unwrap();
    assert_eq!(pruned_through, 42, "the AUTOINCREMENT counter's high-water mark is kept");
}

#[test]
fn a_journal_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db.inbound");
    drop(open_journal_writer(&path, &SqliteOptions::default()).unwrap());
    Connection::open(&path).unwrap().pragma_update(None, "user_version", 4).unwrap();
    let refused = open_journal_writer(&path, &SqliteOptions::default()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.to_string().contains("format 4, newer"), "{refused}");
}

#[test]
fn the_journal_file_sits_next_to_the_inbox_file() {
    assert_eq!(journal_path(Path::new("/var/lib/unibox/inbox.db")), Path::new("/var/lib/unibox/inbox.db.inbound"));
}
