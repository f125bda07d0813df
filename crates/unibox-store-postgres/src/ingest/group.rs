//! Group commit: the `ingest` calls a process makes at the same time share one transaction.
//!
//! Why: every ingest transaction ends by appending to the tenant's change log, which holds the
//! tenant's head row until the commit is durable (so positions commit in order), and notifies
//! the bus, which PostgreSQL orders with a database-wide lock held through the commit. Two
//! ingest transactions therefore never share a WAL flush: one call per transaction stored
//! about one event per `fsync` (about 300 events/s here). Calls waiting together now commit
//! together.
//!
//! How: a call queues its prepared events and waits. One task at a time (spawned, so a caller
//! that goes away cannot strand the others) takes everything queued, up to [`MAX_EVENTS`], and
//! stores it in one transaction, each call inside its own savepoint: a call that fails is
//! rolled back to its savepoint and answered with its error, the others still commit. Each
//! call's events are all stored or none, as before, and a caller hears `Ok` only once the
//! transaction holding its events is committed. What changes: a call whose caller stops waiting
//! may still be stored (the webhook's redelivery is then recognised as a duplicate).
//!
//! What: the group's new messages are stored set-based ([`fast`]: one statement per table for
//! all of them); every other call (amendments, waiting changes found, ids shared within the
//! group, other event kinds) goes through the per-event path, each in its savepoint. Should a
//! set-based statement fail, the set-based part is rolled back to its savepoint and its calls are
//! stored one by one too, so a failing call still fails alone.
//!
//! Locks: a group first takes every advisory lock its events need (platform messages' and
//! customers' keys) in one statement, in the order of the keys' hashes, so two processes' groups
//! take the locks they share in the same order; calls are stored in one order in every process
//! (tenant, account, first message's customer). A group rolled back by a deadlock or a
//! serialization failure all the same is stored again, up to [`ATTEMPTS`] times.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use unibox_core::changes::ingest_change;
use unibox_core::inbox::IngestOutcome;
use unibox_core::{Error, ErrorKind, Result, Retry, TenantId, Timestamp};

use super::{OP, fast, store};
use crate::error::PgResultExt;
use crate::pool::{Db, Tx, lock_keys_in_order};
use crate::sealing::Seal;
use unibox_core::ingest::{PreparedAction as Action, PreparedEvent};

/// The most events one group transaction takes (a call is never split; a larger call goes alone).
pub(crate) const MAX_EVENTS: usize = 1_024;

/// One tenant's events of a call, with their positions in the call.
pub(crate) type TenantEvents = (TenantId, Seal, Vec<(usize, PreparedEvent)>);

/// A call waiting for its group.
struct Call {
    groups: Vec<TenantEvents>,
    count: usize,
    reply: oneshot::Sender<Result<Vec<IngestOutcome>>>,
}

impl Call {
    /// The order calls are stored in: tenant, account, then the first message's customer.
    fn order(&self) -> (&str, uuid::Uuid, &str, &str) {
        let Some((tenant, _, events)) = self.groups.first() else { return ("", uuid::Uuid::nil(), "", "") };
        let Some((_, event)) = events.first() else { return (tenant.as_str(), uuid::Uuid::nil(), "", "") };
        match &event.action {
            Action::Message(message) => {
                (tenant.as_str(), event.account.as_uuid(), message.customer_kind.as_str(), message.customer_id.as_str())
            }
            _ => (tenant.as_str(), event.account.as_uuid(), "", ""),
        }
    }
}

#[derive(Default)]
struct Queue {
    calls: Vec<Call>,
    /// A task is storing groups; it takes what is queued before it stops.
    leading: bool,
}

/// The queue of one process's ingest calls (one per [`PostgresInbox`](crate::PostgresInbox)).
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    /// Events of calls the set-based path stored, and the times it failed and its calls were
    /// stored one by one (read by tests through the `testing` feature).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    set_based_events: AtomicU64,
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    set_based_fallbacks: AtomicU64,
    /// Tests compare the two paths: set, every call is stored one by one.
    per_call_only: AtomicBool,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    #[cfg(feature = "testing")]
    pub(crate) fn store_per_call_only(&self, per_call_only: bool) {
        self.per_call_only.store(per_call_only, Ordering::Relaxed);
    }

    /// Events the set-based path stored, and how often it fell back to storing its calls one by one.
    #[cfg(feature = "testing")]
    pub(crate) fn set_based_counts(&self) -> (u64, u64) {
        (self.set_based_events.load(Ordering::Relaxed), self.set_based_fallbacks.load(Ordering::Relaxed))
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores one call's prepared events (grouped by tenant, `count` in all) with whatever other
    /// calls are waiting, and answers once they are committed.
    pub(crate) async fn store(
        self: &Arc<Self>,
        db: &Db,
        groups: Vec<TenantEvents>,
        count: usize,
    ) -> Result<Vec<IngestOutcome>> {
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut queue = self.queue();
            queue.calls.push(Call { groups, count, reply });
            !std::mem::replace(&mut queue.leading, true)
        };
        if lead {
            let (this, db) = (Arc::clone(self), db.clone());
            tokio::spawn(async move { this.lead(db).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(Error::new(ErrorKind::Unexpected, "the ingest group stopped before answering; try again")
                .with_operation(OP)
                .temporary())
        })
    }

    /// Stores groups until nothing is queued.
    async fn lead(&self, db: Db) {
        // Should storing panic, waiting calls are answered (their senders dropped) and the next
        // call starts a new leader.
        struct Release<'a>(&'a GroupCommit);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut queue = self.0.queue();
                queue.leading = false;
                queue.calls.clear();
            }
        }
        let _release = Release(self);
        loop {
            let calls = {
                let mut queue = self.queue();
                if queue.calls.is_empty() {
                    queue.leading = false;
                    return;
                }
                let mut events = 0;
                let take = queue
                    .calls
                    .iter()
                    .take_while(|call| {
                        events += call.count;
                        events <= MAX_EVENTS
                    })
                    .count()
                    .max(1);
                queue.calls.drain(..take).collect::<Vec<_>>()
            };
            self.commit(&db, calls).await;
        }
    }
}

/// How many times a group whose transaction collided with another (a deadlock or a
/// serialization failure, both rolled back whole) is stored again before its calls hear the error.
const ATTEMPTS: usize = 3;

/// Whether `error` is a collision with a concurrent transaction that rolled the whole group back.
fn collided(error: &Error) -> bool {
    error.context().iter().any(|(key, value)| *key == "sqlstate" && (value == "40P01" || value == "40001"))
}

impl GroupCommit {
    /// Stores `calls` in one transaction and answers each: the group's new messages set-based
    /// ([`fast`]), every other call (and every call, should the fast path fail) in a savepoint of its own.
    async fn commit(&self, db: &Db, mut calls: Vec<Call>) {
        calls.sort_by(|a, b| a.order().cmp(&b.order()));
        let work: Arc<Vec<Vec<TenantEvents>>> =
            Arc::new(calls.iter_mut().map(|call| std::mem::take(&mut call.groups)).collect());
        let counts: Arc<Vec<usize>> = Arc::new(calls.iter().map(|call| call.count).collect());
        let Some(first) = work.first().and_then(|groups| groups.first()).map(|(tenant, ..)| tenant.clone()) else {
            return;
        };
        let mut attempt = 1;
        let result = loop {
            let (work, counts, scope) = (Arc::clone(&work), Arc::clone(&counts), first.clone());
            let set_based = !self.per_call_only.load(Ordering::Relaxed);
            let result = db
                .tenant_tx(OP, &first, move |tx| {
                    Box::pin(async move { store_group(tx, &work, &counts, scope, set_based).await })
                })
                .await;
            match result {
                Err(error) if attempt < ATTEMPTS && collided(&error) => {
                    tracing::debug!(
                        attempt,
                        "an ingest group collided with a concurrent transaction; storing it again"
                    );
                    attempt += 1;
                }
                result => break result,
            }
        };
        match result {
            Ok((answers, paths)) => {
                self.set_based_events.fetch_add(paths.set_based_events, Ordering::Relaxed);
                self.set_based_fallbacks.fetch_add(u64::from(paths.fell_back), Ordering::Relaxed);
                for (call, answer) in calls.into_iter().zip(answers) {
                    let _ = call.reply.send(answer);
                }
            }
            Err(error) => {
                // Nothing of the group was stored: every call hears why.
                for call in calls {
                    let _ = call.reply.send(Err(copy(&error)));
                }
            }
        }
    }
}

/// Takes every advisory lock the group's events need (their platform messages' and customers'),
/// in one statement and in the order of the keys' hashes, before anything is written: two
/// processes' groups then take the locks they share in the same order, whatever their calls,
/// and cannot deadlock on them. Storing takes each again (a no-op for a lock already held).
async fn lock_all(tx: &Tx<'_>, work: &[Vec<TenantEvents>]) -> Result<()> {
    let mut keys = Vec::new();
    for groups in work {
        for (tenant, seal, events) in groups {
            for (_, event) in events {
                store::lock_keys(tenant, seal, event, &mut keys);
            }
        }
    }
    lock_keys_in_order(tx, &keys, OP).await
}

/// The group's work in its transaction: the answer of each call, in the calls' order.
async fn store_group(
    tx: &Tx<'_>,
    work: &[Vec<TenantEvents>],
    counts: &[usize],
    first: TenantId,
    set_based: bool,
) -> Result<(Vec<Result<Vec<IngestOutcome>>>, Paths)> {
    lock_all(tx, work).await?;
    let mut answers: Vec<Option<Result<Vec<IngestOutcome>>>> = work.iter().map(|_| None).collect();
    let mut changes: Vec<Vec<unibox_core::changes::Change>> = work.iter().map(|_| Vec::new()).collect();
    // The tenant `unibox.tenant` names now; a savepoint's rollback restores it.
    let mut current = first;
    let mut paths = Paths::default();
    let candidates = if set_based { fast::candidates(work) } else { Vec::new() };
    if !candidates.is_empty() {
        tx.batch_execute("SAVEPOINT unibox_ingest_fast").await.during(OP)?;
        let before = current.clone();
        match fast::store_calls(tx, work, &candidates, &mut current).await {
            Ok(stored) => {
                tx.batch_execute("RELEASE SAVEPOINT unibox_ingest_fast").await.during(OP)?;
                for fast::Stored { call, outcomes, changes: mine } in stored {
                    paths.set_based_events += outcomes.len() as u64;
                    answers[call] = Some(Ok(outcomes));
                    changes[call] = mine;
                }
            }
            Err(error) => {
                // Nothing of the fast path stays: each of its calls is stored on its own below, so
                // a failing call fails alone.
                tracing::debug!(kind = ?error.kind(), "the set-based ingest failed; storing its calls one by one");
                tx.batch_execute("ROLLBACK TO SAVEPOINT unibox_ingest_fast; RELEASE SAVEPOINT unibox_ingest_fast")
                    .await
                    .during(OP)?;
                current = before;
                paths.fell_back = true;
            }
        }
    }
    for (call, (groups, count)) in work.iter().zip(counts).enumerate() {
        if answers[call].is_some() {
            continue;
        }
        tx.batch_execute("SAVEPOINT unibox_ingest_call").await.during(OP)?;
        let before = current.clone();
        match store_call(tx, groups, *count, &mut current).await {
            Ok((outcomes, mine)) => {
                tx.batch_execute("RELEASE SAVEPOINT unibox_ingest_call").await.during(OP)?;
                changes[call] = mine;
                answers[call] = Some(Ok(outcomes));
            }
            Err(error) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT unibox_ingest_call; RELEASE SAVEPOINT unibox_ingest_call")
                    .await
                    .during(OP)?;
                current = before;
                answers[call] = Some(Err(error));
            }
        }
    }
    // Last: the change log's head rows are locked after every other lock.
    let changes: Vec<unibox_core::changes::Change> = changes.into_iter().flatten().collect();
    crate::changes::append_all(tx, &changes).await?;
    let answers = answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| {
                Err(Error::new(ErrorKind::Unexpected, "an ingest call was left unanswered").with_operation(OP))
            })
        })
        .collect();
    Ok((answers, paths))
}

/// Which way a group's calls were stored.
#[derive(Default)]
struct Paths {
    /// Events of the calls the set-based path stored.
    set_based_events: u64,
    /// The set-based path failed and its calls were stored one by one.
    fell_back: bool,
}

/// One call's events, tenant by tenant; its outcomes in the call's order, and its changes.
async fn store_call(
    tx: &Tx<'_>,
    groups: &[TenantEvents],
    count: usize,
    current: &mut TenantId,
) -> Result<(Vec<IngestOutcome>, Vec<unibox_core::changes::Change>)> {
    let mut outcomes: Vec<Option<IngestOutcome>> = vec![None; count];
    let mut changes = Vec::new();
    for (tenant, seal, group) in groups {
        if *tenant != *current {
            tx.execute("SELECT set_config('unibox.tenant', $1, true)", &[&tenant.as_str()]).await.during(OP)?;
            *current = tenant.clone();
        }
        let events: Vec<&PreparedEvent> = group.iter().map(|(_, event)| event).collect();
        let stored = store::store_all(tx, tenant, seal, &events).await?;
        for ((position, event), outcome) in group.iter().zip(stored) {
            let at = Timestamp::from_unix_millis(event.received_at);
            changes.extend(ingest_change(tenant, at, event.kind, &outcome));
            outcomes[*position] = Some(outcome);
        }
    }
    Ok((outcomes.into_iter().flatten().collect(), changes))
}

/// The same error for another call of the group (errors are not `Clone`: the source stays with
/// the first).
fn copy(error: &Error) -> Error {
    let mut copy = Error::new(error.kind(), error.message().to_owned()).with_operation(error.operation());
    for (key, value) in error.context() {
        copy = copy.with_context(key, value);
    }
    match error.retry() {
        Retry::Temporary { .. } => copy.temporary(),
        Retry::Persistent => copy.persistent(),
        Retry::Permanent => copy.permanent(),
    }
}
