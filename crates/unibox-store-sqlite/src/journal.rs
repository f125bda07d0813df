//! The inbound journal: events accepted by [`Inbox::accept`](unibox_core::Inbox::accept) are
//! committed to a file of their own (`<inbox file>.inbound`) before their webhook is
//! acknowledged, and the inbox's writer applies them to contacts, conversations and messages
//! shortly after, in large transactions.
//!
//! Why a second file: SQLite lets one writer at a time into a file. Applying an event touches
//! pages all over the inbox (the conversation and its activity index, the contact, the message
//! and its indexes, the search index), and a webhook's commit can group only the requests in
//! flight. Appending to the journal touches only its last pages, and with its own file (and its
//! own writer thread) acknowledging webhooks never waits for the inbox's writes, searches'
//! index merges or checkpoints, and the two run on two cores.
//!
//! The contract kept:
//!
//! - **Durable and exactly once.** A journal row is committed before `accept` returns. Applying
//!   rows and recording "applied through N" in the inbox happen in one inbox transaction, so a
//!   crash anywhere applies every accepted event once. Applied rows are then deleted from the
//!   journal (with `secure_delete`, so content does not linger there).
//! - **Read your writes.** [`JournalState::wait_applied`] makes a read wait until every event
//!   accepted before it started is applied (and wakes the inbox's writer to do it now).
//! - **Same result as `ingest`.** Applying runs the same code ([`crate::ingest`]) on the same
//!   prepared events; a redelivered event id is a duplicate in the journal while its first
//!   delivery waits there, and in the inbox's event log after.
//! - **Bounded.** Past half of [`SqliteOptions::max_journal_backlog`](crate::SqliteOptions::max_journal_backlog)
//!   unapplied events, `accept` waits (up to 250 ms) for applying to make room, so a load the
//!   machine cannot keep up with slows acknowledgements down; past the whole of it, `accept`
//!   fails with a temporary error (a webhook answers 503 and the platform retries) instead of
//!   letting the backlog, and the wait of reads, grow without end.

use std::cell::Cell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::watch;
use unibox_core::fingerprint::Fingerprinter;
use unibox_core::inbox::{Acceptance, RoutedEvent};
use unibox_core::{ChannelAccountId, Error, ErrorKind, InboundEvent, Result, TenantId, Timestamp};

use crate::codec::to_json;
use crate::error::{SqlResultExt, storage, writer_gone};
use crate::ingest::{self, PreparedEvent};
use crate::options::SqliteOptions;
use crate::writer::{Background, WriteTx, Writer, bug, execute};

const OP: &str = "sqlite.accept";
const APPLY_OP: &str = "sqlite.apply_journal";

/// Journal rows applied per inbox transaction: large enough that pages touched by many events
/// are written once for all of them, small enough that a round holds the inbox's writer for a
/// few milliseconds only.
pub(crate) const APPLY_BATCH: usize = 1024;

/// Applied rows deleted from the journal per transaction. The journal's writer is the
/// acknowledgement path and a deletion (which zeroes the rows' pages) holds it: 4,096 rows held
/// it for several milliseconds, which showed in the p99 of webhooks at half load.
const PRUNE_BATCH: i64 = 512;

/// `PRAGMA application_id` of a journal file ("ubxj").
const JOURNAL_APPLICATION_ID: i32 = 0x7562_786a;

/// The journal file of the inbox at `inbox`: the same path with `.inbound` appended.
pub(crate) fn journal_path(inbox: &Path) -> PathBuf {
    let mut path = inbox.as_os_str().to_owned();
    path.push(".inbound");
    PathBuf::from(path)
}

/// Opens (creating it if needed) the journal file for writing, and checks what it is.
pub(crate) fn open_journal_writer(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    const OPEN: &str = "sqlite.open_journal";
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| storage(OPEN, err).with_context("path", path.display()))?;
    conn.busy_timeout(options.busy_timeout).during(OPEN)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).during(OPEN)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::new(ErrorKind::Configuration, "SQLite could not switch the journal file to WAL mode")
            .with_operation(OPEN)
            .with_context("path", path.display()));
    }
    conn.pragma_update(None, "synchronous", options.synchronous.pragma_value()).during(OPEN)?;
    // The checkpointer thread copies the log into the file.
    conn.pragma_update(None, "wal_autocheckpoint", 0).during(OPEN)?;
    // Applied rows are deleted: zero them, so message content does not linger in free pages.
    conn.pragma_update(None, "secure_delete", "ON").during(OPEN)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).during(OPEN)?;
    conn.set_prepared_statement_cache_capacity(16);

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).during(OPEN)?;
    let application_id: i32 = tx.pragma_query_value(None, "application_id", |row| row.get(0)).during(OPEN)?;
    let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0)).during(OPEN)?;
    if application_id != JOURNAL_APPLICATION_ID {
        if application_id != 0 || objects != 0 {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the inbound journal file belongs to another application; move it away (the inbox file is untouched)",
            )
            .with_operation(OPEN)
            .with_context("path", path.display()));
        }
        tx.execute_batch(&format!(
            "{INBOUND_TABLE};
             -- Which journal this is: the inbox records it next to how far it applied this one.
             CREATE TABLE identity (id BLOB NOT NULL, pruned_through INTEGER NOT NULL DEFAULT 0) STRICT;
             INSERT INTO identity (id) VALUES (randomblob(16));"
        ))
        .during(OPEN)?;
        tx.pragma_update(None, "application_id", JOURNAL_APPLICATION_ID).during(OPEN)?;
        tx.pragma_update(None, "user_version", JOURNAL_VERSION).during(OPEN)?;
    } else {
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).during(OPEN)?;
        match version {
            JOURNAL_VERSION => {}
            1 => {
                // Version 1 kept a unique index of event ids and an AUTOINCREMENT counter: two
                // more pages written per commit. The rows (applied or not) move over as they are,
                // and the counter's high-water mark becomes `pruned_through`.
                tx.execute_batch(&format!(
                    "ALTER TABLE identity ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
                     UPDATE identity SET pruned_through =
                         coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'inbound'), 0);
                     ALTER TABLE inbound RENAME TO inbound_v1;
                     {INBOUND_TABLE};
                     INSERT INTO inbound SELECT seq, tenant, account, event_id, received_at, event FROM inbound_v1;
                     DROP TABLE inbound_v1;"
                ))
                .during(OPEN)?;
                tx.pragma_update(None, "user_version", JOURNAL_VERSION).during(OPEN)?;
            }
            newer => {
                return Err(Error::new(
                    ErrorKind::Configuration,
                    format!(
                        "the inbound journal file has format {newer}, newer than this version of unibox-store-sqlite \
                         reads ({JOURNAL_VERSION}); upgrade, or let the newer version apply it first"
                    ),
                )
                .with_operation(OPEN)
                .with_context("path", path.display()));
            }
        }
    }
    tx.commit().during(OPEN)?;
    Ok(conn)
}

/// The journal's format (`PRAGMA user_version`). 1: an AUTOINCREMENT key and a unique index of
/// event ids; 2: neither: a new row's `seq` follows the newest row or, in an emptied table,
/// `identity.pruned_through` (the newest row ever deleted), so sequence numbers never repeat
/// even with several processes on one file; pending duplicates are kept by [`JournalState`].
const JOURNAL_VERSION: i64 = 2;

/// The journal's one table. Rows are appended in `seq` order and deleted from the front once
/// applied, so an insert touches only the last pages of one B-tree.
const INBOUND_TABLE: &str = "CREATE TABLE inbound (
         seq         INTEGER PRIMARY KEY,
         tenant      TEXT NOT NULL,
         account     BLOB NOT NULL,
         event_id    TEXT NOT NULL,
         received_at INTEGER NOT NULL,
         event       TEXT NOT NULL
     ) STRICT";

/// Opens a read-only connection to the journal file (the inbox's writer reads rows to apply).
pub(crate) fn open_journal_reader(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|err| storage("sqlite.open_journal", err).with_context("path", path.display()))?;
    conn.busy_timeout(options.busy_timeout).during("sqlite.open_journal")?;
    Ok(conn)
}

/// An event checked (as `ingest` checks it) and encoded for the journal.
#[derive(Debug)]
pub(crate) struct JournalEntry {
    pub(crate) tenant: TenantId,
    pub(crate) account: ChannelAccountId,
    event_id: String,
    received_at: i64,
    event_json: String,
}

/// Validates and encodes a call's events; any invalid event fails the whole call, as `ingest`.
pub(crate) fn prepare(events: Vec<RoutedEvent>) -> Result<Vec<JournalEntry>> {
    events
        .into_iter()
        .map(|routed| {
            // The same checks as ingest, so what is accepted can be applied.
            ingest::validate(&routed)?;
            Ok(JournalEntry {
                event_json: to_json(&routed.event, "event")?,
                tenant: routed.tenant,
                account: routed.account,
                event_id: routed.event.id,
                received_at: routed.received_at.as_unix_millis(),
            })
        })
        .collect()
}

/// Appends a call's events to the journal; runs on the journal's writer thread inside the
/// call's savepoint. An event whose id waits in the journal already (committed, or earlier in
/// this batch) is a duplicate; one applied already is recognised by the inbox's event log when
/// it is applied.
pub(crate) fn accept(tx: &WriteTx<'_>, state: &Arc<JournalState>, entries: &[JournalEntry]) -> Result<Vec<Acceptance>> {
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO inbound (seq, tenant, account, event_id, received_at, event) \
             VALUES (max(coalesce((SELECT max(seq) FROM inbound), 0), (SELECT pruned_through FROM identity)) + 1, \
                     ?1, ?2, ?3, ?4, ?5)",
        )
        .during(OP)?;
    entries
        .iter()
        .map(|entry| {
            let key = state.pending.key(entry.tenant.as_str(), entry.account.as_bytes(), &entry.event_id);
            if !state.pending.insert(key) {
                return Ok(Acceptance::Duplicate);
            }
            let waiting = Arc::clone(state);
            tx.on_rollback(move || waiting.pending.remove(&[key]));
            statement
                .execute(params![
                    entry.tenant.as_str(),
                    entry.account.as_bytes(),
                    entry.event_id,
                    entry.received_at,
                    entry.event_json
                ])
                .during(OP)?;
            Ok(Acceptance::Accepted)
        })
        .collect()
}

/// The events waiting in the journal, by the [`Fingerprinter`] fingerprint of (tenant, account,
/// event id): how `accept` recognises a redelivery without an index in the journal file. An
/// accidental collision (which would drop an event as a duplicate) is as likely as a guessed
/// 128-bit key; the set holds at most the journal's backlog.
#[derive(Debug, Default)]
pub(crate) struct PendingEvents {
    keys: Mutex<HashSet<u128>>,
    fingerprints: Fingerprinter,
}

impl PendingEvents {
    fn key(&self, tenant: &str, account: &[u8; 16], event_id: &str) -> u128 {
        self.fingerprints.fingerprint(&(tenant, account, event_id))
    }

    /// Adds `key`; false if it was there already.
    fn insert(&self, key: u128) -> bool {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).insert(key)
    }

    fn remove(&self, keys: &[u128]) {
        let mut pending = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter().for_each(|key| {
            pending.remove(key);
        });
    }

    /// Forgets the events of `rows`: they are applied.
    fn applied(&self, rows: &[Row]) {
        let keys: Vec<u128> = rows.iter().map(|row| self.key(&row.tenant, &row.account, &row.event_id)).collect();
        self.remove(&keys);
    }
}

/// How far the journal is written and applied, shared by both writers and the readers.
#[derive(Debug)]
pub(crate) struct JournalState {
    /// The newest committed journal row.
    head: AtomicI64,
    /// When the journal last committed, in microseconds after `epoch`.
    last_commit: AtomicU64,
    epoch: Instant,
    /// Every journal row up to this one is applied to the inbox.
    applied: watch::Sender<i64>,
    /// The events committed (or being committed) and not applied yet.
    pending: PendingEvents,
}

impl JournalState {
    /// Reads the positions on open: `inbox` is the inbox's writer connection (migrated),
    /// `journal` a connection to the journal file.
    pub(crate) fn load(inbox: &Connection, journal: &Connection) -> Result<Arc<Self>> {
        const LOAD: &str = "sqlite.open_journal";
        let identity: Vec<u8> = journal.query_row("SELECT id FROM identity", [], |row| row.get(0)).during(LOAD)?;
        let recorded: Option<(Vec<u8>, i64)> = inbox
            .query_row("SELECT journal, seq FROM journal_applied WHERE id = 1", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .during(LOAD)?;
        let applied = match recorded {
            Some((journal_id, seq)) if journal_id == identity => seq,
            other => {
                if other.is_some() {
                    // The journal file was replaced (deleted, restored from another backup): its
                    // positions mean nothing to this inbox. Start it over; redeliveries of what
                    // it held are recognised by the inbox's event log.
                    tracing::warn!(
                        "the inbound journal file is not the one this inbox applied; applying it from its start"
                    );
                }
                inbox
                    .execute(
                        "INSERT INTO journal_applied (id, journal, seq) VALUES (1, ?1, 0) \
                         ON CONFLICT (id) DO UPDATE SET journal = excluded.journal, seq = 0",
                        [&identity],
                    )
                    .during(LOAD)?;
                0
            }
        };
        let newest: Option<i64> =
            journal.query_row("SELECT max(seq) FROM inbound", [], |row| row.get(0)).during(LOAD)?;
        let head = newest.unwrap_or(applied).max(applied);
        let (sender, _) = watch::channel(applied);
        let state = JournalState {
            head: AtomicI64::new(head),
            last_commit: AtomicU64::new(0),
            epoch: Instant::now(),
            applied: sender,
            pending: PendingEvents::default(),
        };
        // What a previous run accepted and did not apply still counts for duplicates.
        let mut unapplied =
            journal.prepare("SELECT tenant, account, event_id FROM inbound WHERE seq > ?1").during(LOAD)?;
        let mut rows = unapplied.query([applied]).during(LOAD)?;
        while let Some(row) = rows.next().during(LOAD)? {
            let (tenant, account, event_id): (String, [u8; 16], String) =
                (row.get(0).during(LOAD)?, row.get(1).during(LOAD)?, row.get(2).during(LOAD)?);
            state.pending.insert(state.pending.key(&tenant, &account, &event_id));
        }
        Ok(Arc::new(state))
    }

    fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    fn note_commit(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_commit.store(now, Ordering::Release);
    }

    /// How long the journal has gone without a commit.
    fn quiet_for(&self) -> Duration {
        let last = Duration::from_micros(self.last_commit.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// Journal rows committed but not applied yet.
    pub(crate) fn backlog(&self) -> i64 {
        self.head.load(Ordering::Acquire) - self.applied()
    }

    /// Waits until every event accepted before this call is applied; `wake` asks the inbox's
    /// writer to apply the journal now rather than when it is idle.
    pub(crate) async fn wait_applied(&self, operation: &'static str, wake: impl FnOnce()) -> Result<()> {
        let head = self.head.load(Ordering::Acquire);
        if self.applied() >= head {
            return Ok(());
        }
        let mut applied = self.applied.subscribe();
        wake();
        applied.wait_for(|applied| *applied >= head).await.map(|_| ()).map_err(|_| writer_gone(operation))
    }

    /// Admits a call's events: at once while fewer than half of `max` wait to be applied; past
    /// that (applying is already running flat out), after waiting up to [`ADMIT_WAIT`] for the
    /// backlog to shrink below half, so that a load the core cannot keep up with slows the
    /// acknowledgements down to what applying sustains instead of filling the journal; and not
    /// at all (a temporary error) while `max` or more wait.
    pub(crate) async fn admit(&self, max: u64) -> Result<()> {
        let half = i64::try_from(max / 2).unwrap_or(i64::MAX).max(1);
        if self.backlog() >= half {
            let mut applied = self.applied.subscribe();
            let room = applied.wait_for(|applied| self.head.load(Ordering::Acquire) - *applied < half);
            // Past the wait, the hard limit decides.
            let _ = tokio::time::timeout(ADMIT_WAIT, room).await;
        }
        self.check_room(max)
    }

    /// Refuses new events while `max` or more wait to be applied.
    pub(crate) fn check_room(&self, max: u64) -> Result<()> {
        let backlog = u64::try_from(self.backlog()).unwrap_or(0);
        if backlog < max {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Storage,
            format!("{backlog} accepted events wait to be applied to the inbox (the limit is {max}); retry shortly"),
        )
        .with_operation(OP)
        .with_retry_after(Duration::from_secs(1)))
    }
}

/// The longest [`JournalState::admit`] holds a call while the backlog is past half its limit:
/// well within the time platforms give a webhook (Lazada's 500 ms is the shortest).
const ADMIT_WAIT: Duration = Duration::from_millis(250);

/// A journal row read back for applying.
struct Row {
    seq: i64,
    tenant: String,
    account: [u8; 16],
    event_id: String,
    received_at: i64,
    event_json: String,
}

/// The inbox writer's background work: applies the journal.
///
/// Acknowledging webhooks comes first. While a burst of events arrives (the journal commits
/// again within [`QUIET`]), applying waits, so the acknowledgements have the machine's cores;
/// it starts once the journal is quiet, at once when a read waits for it (and then goes on
/// until the journal is applied), when the backlog reaches half its limit, or when events have
/// waited [`MAX_DELAY`] (and then goes on until the backlog is empty), which bounds how stale
/// the inbox gets under a steady load.
pub(crate) struct Applier {
    state: Arc<JournalState>,
    journal: Connection,
    /// A read waits for the events accepted up to this journal position: applying without
    /// pause until they are applied. Events accepted after the read started do not extend it,
    /// or under a steady load applying would never pause and every round would be small.
    drain_through: Option<i64>,
    /// The backlog from which applying starts without waiting for a quiet moment.
    urgent_backlog: i64,
    /// Since when the backlog has not been empty (as first seen by this writer); set by
    /// [`ready`](Background::ready), which only borrows.
    waiting_since: Cell<Option<Instant>>,
}

/// How long the journal must go without a commit before applying starts on its own.
const QUIET: Duration = Duration::from_millis(3);

/// The longest an accepted event waits to be applied while events keep arriving.
const MAX_DELAY: Duration = Duration::from_millis(500);

impl Applier {
    pub(crate) fn new(state: Arc<JournalState>, journal: Connection, max_backlog: u64) -> Self {
        let urgent_backlog = i64::try_from(max_backlog / 2).unwrap_or(i64::MAX).max(1);
        // What a previous run left in the journal is applied at once.
        let drain_through = Some(state.head.load(Ordering::Acquire));
        Applier { state, journal, drain_through, urgent_backlog, waiting_since: Cell::new(None) }
    }

    /// One round: read rows after the applied position, apply them, record the new position,
    /// all in one inbox transaction; `one_by_one` puts each event in a savepoint.
    fn round(&self, conn: &Connection, one_by_one: bool) -> Result<Option<i64>> {
        let rows = self.read_rows()?;
        let Some(last) = rows.last().map(|row| row.seq) else {
            return Ok(None);
        };
        execute(conn, "BEGIN IMMEDIATE").map_err(|e| storage(APPLY_OP, e))?;
        let tx = WriteTx::new(conn);
        let applied = catch(|| {
            let mut turn = Turn::new(self.state.backlog() < self.urgent_backlog / 5);
            for row in &rows {
                turn.share();
                if one_by_one {
                    apply_isolated(&tx, row)?;
                } else {
                    ingest::store_event(&tx, &prepare_row(row)?)?;
                }
            }
            tx.prepare_cached("UPDATE journal_applied SET seq = ?1 WHERE id = 1")
                .during(APPLY_OP)?
                .execute([last])
                .during(APPLY_OP)?;
            // The search index is written last, in one go for the round, and takes a few
            // milliseconds for a full one: it shares the core too.
            tx.apply_search_sharing(|| turn.share()).during(APPLY_OP)?;
            execute(conn, "COMMIT").during(APPLY_OP)
        });
        match applied {
            Ok(()) => {
                self.state.pending.applied(&rows);
                Ok(Some(last))
            }
            Err(error) => {
                let _ = execute(conn, "ROLLBACK");
                Err(error)
            }
        }
    }

    /// Records a round that applied the journal through `last` (`None`: it was empty).
    fn applied_through(&mut self, last: Option<i64>) {
        if let Some(last) = last {
            self.state.applied.send_if_modified(|applied| {
                let moved = last > *applied;
                *applied = (*applied).max(last);
                moved
            });
        }
        let applied = self.state.applied();
        if last.is_none() || self.drain_through.is_some_and(|through| applied >= through) {
            self.drain_through = None;
        }
        if last.is_none() || self.state.backlog() <= 0 {
            self.waiting_since.set(None);
        }
        // Otherwise the clock keeps running: once events have waited MAX_DELAY, rounds follow
        // one another until the backlog is empty. (Restarting it after each round applied one
        // round per MAX_DELAY, about 2,000 events a second, and let the backlog and the
        // staleness of the inbox grow until the backlog became urgent.)
    }

    /// How long the backlog has not been empty, starting the clock if it was not running.
    fn waiting_for(&self) -> Duration {
        match self.waiting_since.get() {
            Some(since) => since.elapsed(),
            None => {
                self.waiting_since.set(Some(Instant::now()));
                Duration::ZERO
            }
        }
    }

    fn read_rows(&self) -> Result<Vec<Row>> {
        let mut statement = self
            .journal
            .prepare_cached(
                "SELECT seq, tenant, account, event_id, received_at, event FROM inbound WHERE seq > ?1 \
                 ORDER BY seq LIMIT ?2",
            )
            .during(APPLY_OP)?;
        let rows = statement
            .query_map(params![self.state.applied(), APPLY_BATCH as i64], |row| {
                Ok(Row {
                    seq: row.get(0)?,
                    tenant: row.get(1)?,
                    account: row.get(2)?,
                    event_id: row.get(3)?,
                    received_at: row.get(4)?,
                    event_json: row.get(5)?,
                })
            })
            .during(APPLY_OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().during(APPLY_OP)
    }
}

impl Background for Applier {
    fn after_commit(&mut self, _conn: &Connection) {}

    fn wake(&mut self) {
        let head = self.state.head.load(Ordering::Acquire);
        self.drain_through = Some(self.drain_through.map_or(head, |through| through.max(head)));
    }

    fn pending(&self) -> bool {
        self.state.backlog() > 0
    }

    fn ready(&self) -> bool {
        self.drain_through.is_some()
            || self.urgent()
            || self.state.quiet_for() >= QUIET
            || self.waiting_for() >= MAX_DELAY
    }

    fn urgent(&self) -> bool {
        self.state.backlog() >= self.urgent_backlog
    }

    fn run(&mut self, conn: &Connection) -> bool {
        self.waiting_for();
        // Without savepoints first; if an event fails, again one event at a time.
        let round = self.round(conn, false).or_else(|error| {
            tracing::debug!(%error, "applying a round of the journal failed; applying it event by event");
            self.round(conn, true)
        });
        match round {
            Ok(last) => {
                self.applied_through(last);
                true
            }
            Err(error) => {
                tracing::error!(%error, "applying the inbound journal failed; it is retried");
                false
            }
        }
    }
}

/// How long applying runs before it lets waiting threads run (see [`Turn`]).
const TURN: Duration = Duration::from_micros(250);

/// Keeps a round from holding the CPU for whole scheduler slices (several milliseconds) while
/// webhooks wait on the same core: every [`TURN`] of work it yields, one system call. Only
/// while the backlog is small: under a load the core cannot keep up with, applying competes
/// on equal terms, so acknowledging slows down instead of the backlog filling up.
struct Turn {
    since: Instant,
    polite: bool,
}

impl Turn {
    fn new(polite: bool) -> Self {
        Turn { since: Instant::now(), polite }
    }

    fn share(&mut self) {
        if self.polite && self.since.elapsed() >= TURN {
            std::thread::yield_now();
            self.since = Instant::now();
        }
    }
}

/// Runs `work`, turning a panic into an error (the round is then rolled back).
fn catch<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| Err(bug(APPLY_OP)))
}

/// Applies one row in a savepoint; an event that cannot be applied is kept whole in the event
/// log (where its id also keeps redeliveries out) and reported, never dropped.
fn apply_isolated(tx: &WriteTx<'_>, row: &Row) -> Result<()> {
    execute(tx, "SAVEPOINT apply_event").during(APPLY_OP)?;
    let mark = tx.mark();
    match prepare_row(row).and_then(|event| ingest::store_event(tx, &event)) {
        Ok(_) => execute(tx, "RELEASE apply_event").during(APPLY_OP),
        Err(error) => {
            tx.rollback_to(mark);
            execute(tx, "ROLLBACK TO apply_event")
                .and_then(|()| execute(tx, "RELEASE apply_event"))
                .during(APPLY_OP)?;
            tracing::error!(%error, event = %ingest::truncated(&row.event_id), "an accepted event could not be applied; it is kept in the event log");
            tx.prepare_cached(
                "INSERT INTO events (tenant, account, event_id, kind, occurred_at, received_at, payload) \
                 VALUES (?1, ?2, ?3, 'unapplied', ?4, ?4, ?5) ON CONFLICT DO NOTHING",
            )
            .during(APPLY_OP)?
            .execute(params![row.tenant, row.account, row.event_id, row.received_at, row.event_json])
            .during(APPLY_OP)?;
            Ok(())
        }
    }
}

fn prepare_row(row: &Row) -> Result<PreparedEvent> {
    let event: InboundEvent = serde_json::from_str(&row.event_json).map_err(|err| {
        Error::new(ErrorKind::Storage, "a journal row holds an event that does not decode")
            .with_operation(APPLY_OP)
            .with_source(err)
    })?;
    let tenant: TenantId = row.tenant.parse().map_err(|err: Error| err.with_operation(APPLY_OP))?;
    ingest::prepare_one(RoutedEvent {
        tenant,
        account: ChannelAccountId::from_bytes(row.account),
        received_at: Timestamp::from_unix_millis(row.received_at),
        event,
    })
}

/// The journal writer's background work: notes its head after each commit, wakes the inbox's
/// writer to apply, and deletes applied rows.
pub(crate) struct Pruner {
    state: Arc<JournalState>,
    inbox: Writer,
    /// Every row up to this one is deleted.
    pruned: i64,
}

impl Pruner {
    pub(crate) fn new(state: Arc<JournalState>, inbox: Writer, journal: &Connection) -> Result<Self> {
        let oldest: Option<i64> =
            journal.query_row("SELECT min(seq) FROM inbound", [], |row| row.get(0)).during("sqlite.open_journal")?;
        let pruned = oldest.map_or_else(|| state.applied(), |oldest| oldest - 1);
        Ok(Pruner { state, inbox, pruned })
    }

    fn prunable(&self) -> i64 {
        self.state.applied() - self.pruned
    }
}

impl Background for Pruner {
    fn after_commit(&mut self, conn: &Connection) {
        let newest = conn
            .prepare_cached("SELECT max(seq) FROM inbound")
            .and_then(|mut statement| statement.query_row([], |row| row.get::<_, Option<i64>>(0)));
        match newest {
            Ok(Some(newest)) => {
                let before = self.state.head.fetch_max(newest, Ordering::AcqRel);
                self.state.note_commit();
                if before <= self.state.applied() && newest > before {
                    // The inbox's writer may be asleep with nothing to apply: it has now.
                    self.inbox.nudge();
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "could not read the journal's newest row"),
        }
    }

    fn pending(&self) -> bool {
        self.prunable() >= PRUNE_BATCH
    }

    fn urgent(&self) -> bool {
        self.prunable() >= 4 * PRUNE_BATCH
    }

    fn run(&mut self, conn: &Connection) -> bool {
        let through = self.state.applied().min(self.pruned + PRUNE_BATCH);
        match prune(conn, through) {
            Ok(()) => {
                self.pruned = through;
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "deleting applied journal rows failed; it is retried");
                false
            }
        }
    }
}

/// Deletes the journal rows through `through` (all applied), keeping their high-water mark.
fn prune(conn: &Connection, through: i64) -> rusqlite::Result<()> {
    execute(conn, "BEGIN IMMEDIATE")?;
    let deleted = conn
        .prepare_cached("UPDATE identity SET pruned_through = max(pruned_through, ?1)")
        .and_then(|mut statement| statement.execute([through]))
        .and_then(|_| conn.prepare_cached("DELETE FROM inbound WHERE seq <= ?1")?.execute([through]))
        .and_then(|_| execute(conn, "COMMIT"));
    if deleted.is_err() {
        let _ = execute(conn, "ROLLBACK");
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(head: i64, applied: i64) -> JournalState {
        JournalState {
            head: AtomicI64::new(head),
            last_commit: AtomicU64::new(0),
            epoch: Instant::now(),
            applied: watch::channel(applied).0,
            pending: PendingEvents::default(),
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
        let mut applier = Applier::new(Arc::clone(&state), Connection::open_in_memory().unwrap(), 100_000);
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
        let mut applier = Applier::new(Arc::clone(&state), Connection::open_in_memory().unwrap(), 100_000);
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
        inbox.execute_batch(include_str!("migrations/0007_journal.sql")).unwrap();
        let state = JournalState::load(&inbox, &conn).unwrap();
        (conn, state)
    }

    fn entry(event_id: &str) -> JournalEntry {
        JournalEntry {
            tenant: "acme".parse().unwrap(),
            account: ChannelAccountId::from_bytes([7; 16]),
            event_id: event_id.to_owned(),
            received_at: 1_732_000_000_000,
            event_json: r#"{"id":"x"}"#.to_owned(),
        }
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
        let seq: i64 =
            conn.query_row("SELECT seq FROM inbound WHERE event_id = 'evt-3'", [], |row| row.get(0)).unwrap();
        assert_eq!(seq, 3, "a sequence number is never reused: an inbox may hold 'applied through 2'");
    }

    #[test]
    fn unapplied_rows_of_a_previous_run_still_count_for_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, state) = journal(dir.path());
        assert_eq!(accept_one(&conn, &state, "evt-1"), Acceptance::Accepted);
        drop(state);
        let inbox = Connection::open_in_memory().unwrap();
        inbox.execute_batch(include_str!("migrations/0007_journal.sql")).unwrap();
        let reloaded = JournalState::load(&inbox, &conn).unwrap();
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
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 3).unwrap();
        let refused = open_journal_writer(&path, &SqliteOptions::default()).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Configuration);
        assert!(refused.to_string().contains("format 3, newer"), "{refused}");
    }

    #[test]
    fn the_journal_file_sits_next_to_the_inbox_file() {
        assert_eq!(journal_path(Path::new("/var/lib/unibox/inbox.db")), Path::new("/var/lib/unibox/inbox.db.inbound"));
    }
}
