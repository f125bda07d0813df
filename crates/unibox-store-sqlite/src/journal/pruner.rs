//! Deleting applied rows from the journal: the journal writer's background work, which also
//! notes each commit's newest row and wakes the inbox's writer to apply it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rusqlite::Connection;
use unibox_core::Result;

use super::state::JournalState;
use crate::error::SqlResultExt;
use crate::writer::{Background, Writer, execute};

/// Applied rows deleted from the journal per transaction. The journal's writer is the
/// acknowledgement path and a deletion (which zeroes the rows' pages) holds it: 4,096 rows held
/// it for several milliseconds, which showed in the p99 of webhooks at half load.
const PRUNE_BATCH: i64 = 512;

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
pub(crate) fn prune(conn: &Connection, through: i64) -> rusqlite::Result<()> {
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
