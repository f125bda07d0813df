//! Admitting a call's events: checked and encoded before the journal's writer is involved,
//! held back or refused while too many wait to be applied, then appended in the call's
//! savepoint of the journal's group commit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rusqlite::params;
use unibox_core::inbox::{Acceptance, RoutedEvent};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId};

use super::state::JournalState;
use crate::codec::to_json;
use crate::error::SqlResultExt;
use crate::ingest;
use crate::sealing::Sealer;
use crate::sealing::cells::field;
use crate::writer::WriteTx;

const OP: &str = "sqlite.accept";

/// An event checked (as `ingest` checks it) and encoded for the journal.
#[derive(Debug)]
pub(crate) struct JournalEntry {
    pub(crate) tenant: TenantId,
    pub(crate) account: ChannelAccountId,
    pub(super) event_id: String,
    pub(super) received_at: i64,
    pub(super) event_json: String,
    /// The event sealed with the tenant's key (a sealed inbox; `event_json` is then empty).
    pub(super) event_sealed: Option<Vec<u8>>,
    /// A sealed event's JSON, kept in memory for applying (never written).
    pub(super) opened: Option<String>,
}

/// Validates and encodes a call's events, sealing each with its tenant's sealer; any invalid
/// event fails the whole call, as `ingest`.
pub(crate) fn prepare(
    events: Vec<RoutedEvent>,
    sealer: impl Fn(&TenantId) -> Result<Sealer>,
) -> Result<Vec<JournalEntry>> {
    events
        .into_iter()
        .map(|routed| {
            // The same checks as ingest, so what is accepted can be applied.
            ingest::validate(&routed)?;
            let json = to_json(&routed.event, "event")?;
            let row = ingest::event_row(routed.account, &routed.event.id);
            let (event_json, event_sealed) =
                sealer(&routed.tenant)?.store_required(field::JOURNAL_EVENT, &row, &json)?;
            let opened = event_sealed.is_some().then_some(json);
            Ok(JournalEntry {
                event_json,
                event_sealed,
                opened,
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
            "INSERT INTO inbound (seq, tenant, account, event_id, received_at, event, event_sealed) \
             VALUES (max(coalesce((SELECT max(seq) FROM inbound), 0), (SELECT pruned_through FROM identity)) + 1, \
                     ?1, ?2, ?3, ?4, ?5, ?6)",
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
                    entry.event_json,
                    entry.event_sealed,
                ])
                .during(OP)?;
            // Removed with the key if the call rolls back (`on_rollback` above).
            if let Some(json) = &entry.opened {
                state.pending.keep_opened(key, json);
            }
            Ok(Acceptance::Accepted)
        })
        .collect()
}

// Admission control, beside the acceptance it guards.
impl JournalState {
    /// Admits a call's events: at once while fewer than half of `max` wait to be applied; past
    /// that (applying is already running flat out), after waiting up to [`ADMIT_WAIT`] for the
    /// backlog to shrink below half, so that a load the core cannot keep up with slows the
    /// acknowledgements down to what applying sustains instead of filling the journal; and not
    /// at all (a temporary error) while `max` or more wait.
    pub(crate) async fn admit(&self, max: u64) -> Result<()> {
        // First the disk: events that could not be applied must not be acknowledged.
        self.space.check()?;
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
pub(super) const ADMIT_WAIT: Duration = Duration::from_millis(250);
