//! How far the journal is written and applied, shared by both writers and the readers, and
//! which events wait in it (how a redelivery is recognised).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};
use tokio::sync::watch;
use unibox_core::Result;
use unibox_core::fingerprint::Fingerprinter;

use super::applier::Row;
use super::space::DiskReserve;
use crate::error::{SqlResultExt, writer_gone};

/// The events waiting in the journal, by the [`Fingerprinter`] fingerprint of (tenant, account,
/// event id): how `accept` recognises a redelivery without an index in the journal file. An
/// accidental collision (which would drop an event as a duplicate) is as likely as a guessed
/// 128-bit key; the set holds at most the journal's backlog.
#[derive(Debug, Default)]
pub(crate) struct PendingEvents {
    keys: Mutex<HashSet<u128>>,
    /// The JSON of sealed events this process accepted and has not applied yet, by the same
    /// key: applying takes it from here instead of opening what accepting has just sealed (one
    /// AEAD open less per event on the ingest path). In memory only, never written; at most
    /// [`OPENED_MAX`] events, the rest are opened from the journal as after a restart.
    opened: Mutex<HashMap<u128, String>>,
    fingerprints: Fingerprinter,
}

/// How many accepted events' plaintext [`PendingEvents`] keeps for applying (about 1 KB each).
const OPENED_MAX: usize = 8_192;

impl PendingEvents {
    pub(super) fn key(&self, tenant: &str, account: &[u8; 16], event_id: &str) -> u128 {
        self.fingerprints.fingerprint(&(tenant, account, event_id))
    }

    /// Adds `key`; false if it was there already.
    pub(super) fn insert(&self, key: u128) -> bool {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).insert(key)
    }

    /// Keeps the JSON of the sealed event `key` for applying, while there is room.
    pub(super) fn keep_opened(&self, key: u128, json: &str) {
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        if opened.len() < OPENED_MAX {
            opened.insert(key, json.to_owned());
        }
    }

    /// The JSON kept for the sealed event `key`, if any (taken: applying uses it once).
    pub(super) fn take_opened(&self, key: u128) -> Option<String> {
        self.opened.lock().unwrap_or_else(PoisonError::into_inner).remove(&key)
    }

    pub(super) fn remove(&self, keys: &[u128]) {
        let mut pending = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter().for_each(|key| {
            pending.remove(key);
        });
        drop(pending);
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        if !opened.is_empty() {
            keys.iter().for_each(|key| {
                opened.remove(key);
            });
        }
    }

    /// Forgets the events of `rows`: they are applied.
    pub(super) fn applied(&self, rows: &[Row]) {
        let keys: Vec<u128> = rows.iter().map(|row| self.key(&row.tenant, &row.account, &row.event_id)).collect();
        self.remove(&keys);
    }
}

/// How far the journal is written and applied, shared by both writers and the readers.
#[derive(Debug)]
pub(crate) struct JournalState {
    /// The newest committed journal row.
    pub(super) head: AtomicI64,
    /// When the journal last committed, in microseconds after `epoch`.
    pub(super) last_commit: AtomicU64,
    pub(super) epoch: Instant,
    /// Every journal row up to this one is applied to the inbox.
    pub(super) applied: watch::Sender<i64>,
    /// The events committed (or being committed) and not applied yet.
    pub(super) pending: PendingEvents,
    /// The free space kept for applying what was accepted.
    pub(crate) space: DiskReserve,
    /// Journal rows that waited to be applied when the file was opened (what an earlier run
    /// accepted and did not apply).
    pub(crate) waiting_at_open: i64,
}

impl JournalState {
    /// Reads the positions on open: `inbox` is the inbox's writer connection (migrated),
    /// `journal` a connection to the journal file, `space` the reserve kept on its disk.
    pub(crate) fn load(inbox: &Connection, journal: &Connection, space: DiskReserve) -> Result<Arc<Self>> {
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
            space,
            waiting_at_open: head - applied,
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

    pub(crate) fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    pub(super) fn note_commit(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_commit.store(now, Ordering::Release);
    }

    /// How long the journal has gone without a commit.
    pub(super) fn quiet_for(&self) -> Duration {
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
}
