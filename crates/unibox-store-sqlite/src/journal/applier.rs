//! Applying the journal to the inbox: the inbox writer's background work.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use unibox_core::inbox::RoutedEvent;
use unibox_core::{ChannelAccountId, Error, ErrorKind, InboundEvent, Result, TenantId, Timestamp};

use super::state::JournalState;
use crate::error::{SqlResultExt, storage};
use crate::ingest::{self, PreparedEvent};
use crate::sealing::Sealing;
use crate::sealing::cells::field;
use crate::writer::{Background, WriteTx, bug, execute};

const APPLY_OP: &str = "sqlite.apply_journal";

/// Journal rows applied per inbox transaction: large enough that pages touched by many events
/// are written once for all of them, small enough that a round holds the inbox's writer for a
/// few milliseconds only.
pub(crate) const APPLY_BATCH: usize = 1024;

/// A journal row read back for applying.
pub(super) struct Row {
    pub(super) seq: i64,
    pub(super) tenant: String,
    pub(super) account: [u8; 16],
    pub(super) event_id: String,
    pub(super) received_at: i64,
    pub(super) event_json: String,
    pub(super) event_sealed: Option<Vec<u8>>,
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
    /// A sealed inbox applies nothing until its keys are attached.
    sealing: Arc<Sealing>,
    journal: Connection,
    /// A read waits for the events accepted up to this journal position: applying without
    /// pause until they are applied. Events accepted after the read started do not extend it,
    /// or under a steady load applying would never pause and every round would be small.
    drain_through: Option<i64>,
    /// The backlog from which applying starts without waiting for a quiet moment.
    urgent_backlog: i64,
    /// Since when the backlog has not been empty (as first seen by this writer); set by
    /// [`ready`](Background::ready), which only borrows.
    pub(super) waiting_since: Cell<Option<Instant>>,
}

/// How long the journal must go without a commit before applying starts on its own.
const QUIET: Duration = Duration::from_millis(3);

/// The longest an accepted event waits to be applied while events keep arriving.
pub(super) const MAX_DELAY: Duration = Duration::from_millis(500);

impl Applier {
    pub(crate) fn new(state: Arc<JournalState>, journal: Connection, max_backlog: u64, sealing: Arc<Sealing>) -> Self {
        let urgent_backlog = i64::try_from(max_backlog / 2).unwrap_or(i64::MAX).max(1);
        // What a previous run left in the journal is applied at once.
        let drain_through = Some(state.head.load(Ordering::Acquire));
        Applier { state, sealing, journal, drain_through, urgent_backlog, waiting_since: Cell::new(None) }
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
                    apply_isolated(&tx, row, &self.sealing)?;
                } else {
                    // Only a sealed row has JSON kept for it: a plain one costs no lookup.
                    let opened = row.event_sealed.as_ref().and_then(|_| {
                        self.state.pending.take_opened(self.state.pending.key(&row.tenant, &row.account, &row.event_id))
                    });
                    ingest::store_event(&tx, &prepare_row(row, &self.sealing, opened)?)?;
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
    pub(super) fn applied_through(&mut self, last: Option<i64>) {
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
                "SELECT seq, tenant, account, event_id, received_at, event, event_sealed FROM inbound WHERE seq > ?1 \
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
                    event_sealed: row.get(6)?,
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
        self.sealing.ready() && self.state.backlog() > 0
    }

    fn ready(&self) -> bool {
        self.drain_through.is_some()
            || self.urgent()
            || self.state.quiet_for() >= QUIET
            || self.waiting_for() >= MAX_DELAY
    }

    fn urgent(&self) -> bool {
        self.sealing.ready() && self.state.backlog() >= self.urgent_backlog
    }

    fn run(&mut self, conn: &Connection) -> bool {
        if !self.sealing.ready() {
            return true;
        }
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
                // Out of room: accepting stops, so what space returns goes to applying.
                self.state.space.note_failure(&error);
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
fn apply_isolated(tx: &WriteTx<'_>, row: &Row, sealing: &Sealing) -> Result<()> {
    execute(tx, "SAVEPOINT apply_event").during(APPLY_OP)?;
    let mark = tx.mark();
    match prepare_row(row, sealing, None).and_then(|event| ingest::store_event(tx, &event)) {
        Ok(_) => execute(tx, "RELEASE apply_event").during(APPLY_OP),
        Err(error) => {
            tx.rollback_to(mark);
            execute(tx, "ROLLBACK TO apply_event")
                .and_then(|()| execute(tx, "RELEASE apply_event"))
                .during(APPLY_OP)?;
            tracing::error!(%error, event = %ingest::truncated(&row.event_id), "an accepted event could not be applied; it is kept in the event log");
            // A sealed event stays sealed (as the journal sealed it) in the event log.
            let payload = row.event_sealed.is_none().then_some(row.event_json.as_str());
            tx.prepare_cached(
                "INSERT INTO events (tenant, account, event_id, kind, occurred_at, received_at, payload, payload_sealed) \
                 VALUES (?1, ?2, ?3, 'unapplied', ?4, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )
            .during(APPLY_OP)?
            .execute(params![row.tenant, row.account, row.event_id, row.received_at, payload, row.event_sealed])
            .during(APPLY_OP)?;
            Ok(())
        }
    }
}

/// The event of a journal row, ready to store; `opened`: its JSON as accepting kept it in
/// memory (a sealed row then needs no opening).
fn prepare_row(row: &Row, sealing: &Sealing, opened: Option<String>) -> Result<PreparedEvent> {
    let tenant: TenantId = row.tenant.parse().map_err(|err: Error| err.with_operation(APPLY_OP))?;
    let account = ChannelAccountId::from_bytes(row.account);
    let sealer = sealing.cached_writer(&tenant)?;
    let json = match opened {
        Some(json) => json,
        None => sealer.open_required(
            field::JOURNAL_EVENT,
            &ingest::event_row(account, &row.event_id),
            row.event_json.clone(),
            row.event_sealed.clone(),
        )?,
    };
    let event: InboundEvent = serde_json::from_str(&json).map_err(|err| {
        Error::new(ErrorKind::Storage, "a journal row holds an event that does not decode")
            .with_operation(APPLY_OP)
            .with_source(err)
    })?;
    ingest::prepare_one(
        RoutedEvent { tenant, account, received_at: Timestamp::from_unix_millis(row.received_at), event },
        sealer,
    )
}
