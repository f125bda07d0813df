//! The background worker that delivers queued sends.

use std::future::Future;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::audit::AuditOutcome;
use crate::outbox::{JobState, Lease};
use crate::{DeliveryStatus, Error, ErrorKind, Hub, Result};

/// What one round of a worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRound {
    /// Jobs claimed.
    pub claimed: usize,
    /// Messages the platform accepted.
    pub sent: usize,
    /// Jobs queued again for a later attempt.
    pub retrying: usize,
    /// Messages that failed for good.
    pub failed: usize,
    /// Messages whose delivery is unknown and must be checked by a person.
    pub unknown: usize,
}

/// Delivers the jobs of the hub's [`Outbox`](crate::outbox::Outbox): claims due jobs in batches,
/// attempts them concurrently through their channel (paced by the platform's rate limits),
/// and records each outcome. Run one or more per process; leases keep them from delivering
/// the same job twice, also across processes sharing one store. After a crash, jobs whose
/// lease ran out are claimed again: a job that had not started is sent, one that was in flight
/// is resent only where the platform deduplicates
/// ([`Capabilities::idempotent_send`](crate::channel::Capabilities::idempotent_send)) and
/// otherwise marked [`JobState::Unknown`] for a person to check.
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub) {
/// use unibox_core::delivery::DeliveryWorker;
/// let worker = DeliveryWorker::new(hub).spawn();
/// // ... serve webhooks and sends ...
/// worker.shutdown().await;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DeliveryWorker {
    hub: Hub,
    batch: usize,
    poll_interval: Duration,
}

impl DeliveryWorker {
    /// A worker for `hub`'s outbox: batches of 32, polling every 250 ms when idle (sends through
    /// the same hub wake it at once).
    pub fn new(hub: Hub) -> Self {
        DeliveryWorker { hub, batch: 32, poll_interval: Duration::from_millis(250) }
    }

    /// How many jobs one round claims and attempts concurrently (1 to 500).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.clamp(1, crate::inbox::MAX_PAGE_SIZE);
        self
    }

    /// How long an idle worker waits before looking for due jobs again (jobs queued by another
    /// process, retries coming due).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Claims one batch of due jobs and delivers them; returns what happened.
    /// `Unsupported` when the hub's inbox has no outbox.
    pub async fn run_once(&self) -> Result<DeliveryRound> {
        let outbox = self.hub.inbox().outbox().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "this inbox has no outbox; sends are attempted once, inline")
                .with_operation("delivery.worker")
        })?;
        let now = self.hub.clock().now();
        let lease = Lease::until(now.saturating_add(self.hub.delivery().options.lease));
        let jobs = outbox.claim(now, lease, self.batch).await.map_err(|e| e.with_operation("delivery.claim"))?;
        let mut round = DeliveryRound { claimed: jobs.len(), ..DeliveryRound::default() };
        let mut attempts = JoinSet::new();
        for job in jobs {
            let hub = self.hub.clone();
            attempts.spawn(async move {
                let result = hub.deliver(job.clone(), lease.id).await;
                (job, result)
            });
        }
        while let Some(joined) = attempts.join_next().await {
            let Ok((job, result)) = joined else {
                round.failed += 1;
                continue;
            };
            let message = job.message;
            let failed = |error: &Error| AuditOutcome::Failed { error: error.kind().as_str().to_string() };
            match result {
                Ok(delivered) if delivered.delivery == DeliveryStatus::Queued => round.retrying += 1,
                Ok(_) => {
                    round.sent += 1;
                    self.hub.audit_delivery_end(&job, AuditOutcome::Success).await;
                }
                Err(error) if error.kind() == ErrorKind::DeliveryUnknown => {
                    round.unknown += 1;
                    self.hub.audit_delivery_end(&job, failed(&error)).await;
                }
                Err(error) => {
                    // A lost lease or a store failure leaves the job for a later claim.
                    match outbox.job(&job.tenant, message).await.map(|job| job.state) {
                        Ok(JobState::Failed) => {
                            round.failed += 1;
                            self.hub.audit_delivery_end(&job, failed(&error)).await;
                        }
                        _ => {
                            tracing::warn!(target: "unibox::delivery", %error, %message, "attempt not recorded; the job will be claimed again");
                            round.retrying += 1;
                        }
                    }
                }
            }
        }
        Ok(round)
    }

    /// Runs rounds until `shutdown` completes, waiting between empty rounds until a send of
    /// this hub queues work or the poll interval passes. Store failures are logged and retried.
    pub async fn run_until(&self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let woken = self.hub.delivery().work.notified();
            let busy = match self.run_once().await {
                Ok(round) => round.claimed > 0,
                Err(error) => {
                    tracing::error!(target: "unibox::delivery", %error, "delivery round failed");
                    if error.kind() == ErrorKind::Unsupported {
                        return;
                    }
                    false
                }
            };
            if busy {
                // Yield so shutdown is noticed even under constant load.
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::task::yield_now() => continue,
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = woken => {}
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// Runs the worker on a tokio task until [`WorkerHandle::shutdown`].
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            self.run_until(async move {
                let _ = stopped.await;
            })
            .await;
        });
        WorkerHandle { stop: Some(stop), task }
    }
}

/// A running [`DeliveryWorker`]; dropping it stops the worker after its current round.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    pub(crate) fn new(stop: oneshot::Sender<()>, task: tokio::task::JoinHandle<()>) -> Self {
        WorkerHandle { stop: Some(stop), task }
    }

    /// Stops the worker after its current round and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
