//! [`LifecycleJob`]: retention purges and deletion requests, carried out in small batches.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::audit::{AuditOutcome, actions};
use crate::channel::hex;
use crate::hub::Hub;
use crate::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use crate::{Actor, ContactId, Error, ErrorKind, Result, TenantId, Timestamp};

use super::policy::{DEFAULT_DELETION_WINDOW, RetentionPolicies};
use super::port::{DataLifecycle, ExpiredCursor, PurgeCounts, RecordKind, RecordRef};

/// The automation lifecycle work acts as in audit records.
pub const LIFECYCLE_WORKER: &str = "unibox-lifecycle";

/// The platform name of requests an operator opens (not a platform's callback).
pub const OPERATOR_PLATFORM: &str = "operator";

/// Rows per batch unless configured: small enough that ingest waits for a batch no longer
/// than for one of its own group commits.
pub const DEFAULT_BATCH: usize = 500;

/// What one [`LifecycleJob::run_once`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecycleReport {
    /// What retention purged, over every tenant.
    pub purged: PurgeCounts,
    /// The deletion requests completed.
    pub completed: Vec<DeletionRequest>,
}

/// Enforces [`RetentionPolicies`] and carries out deletion requests (tenant deletion, contact
/// erasure, Meta's data-deletion callback), over a hub's store: every step a small batch, a
/// pause between batches so ingest keeps going, time from the hub's clock.
///
/// Nothing runs until asked: [`run_once`](Self::run_once) does one pass, [`spawn`](Self::spawn)
/// repeats it every [`interval`](Self::interval) until stopped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::lifecycle::{LifecycleJob, RetentionPolicies};
/// let hub = unibox_core::Hub::builder(unibox_core::memory::MemoryStore::new()).build();
/// let job = LifecycleJob::new(&hub, RetentionPolicies::default())?;
/// let dry = job.purge(&"acme".parse()?, true).await?;
/// assert_eq!(dry.total(), 0);
/// let worker = job.spawn();
/// worker.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct LifecycleJob {
    hub: Hub,
    lifecycle: Arc<dyn DataLifecycle>,
    requests: Arc<dyn DeletionRequestStore>,
    policies: RetentionPolicies,
    batch: usize,
    pause: Duration,
    interval: Duration,
    deletion_window: Duration,
}

impl LifecycleJob {
    /// A job over `hub`'s store under `policies`. `Configuration` when the store keeps no
    /// lifecycle part or no deletion requests.
    pub fn new(hub: &Hub, policies: RetentionPolicies) -> Result<Self> {
        let missing = |part: &str| {
            Error::new(ErrorKind::Configuration, format!("the store has no {part}; retention and erasure need it"))
                .with_operation("lifecycle.new")
        };
        let lifecycle = hub.store().lifecycle.clone().ok_or_else(|| missing("lifecycle part"))?;
        let requests = hub.store().deletion_requests.clone().ok_or_else(|| missing("deletion request store"))?;
        Ok(LifecycleJob {
            hub: hub.clone(),
            lifecycle,
            requests,
            policies,
            batch: DEFAULT_BATCH,
            pause: Duration::from_millis(5),
            interval: Duration::from_secs(60 * 60),
            deletion_window: DEFAULT_DELETION_WINDOW,
        })
    }

    /// Rows per batch (at least 1; default [`DEFAULT_BATCH`]).
    pub fn batch(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// The pause between batches (default 5 ms), during which ingest has the store.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// How often [`spawn`](Self::spawn) runs a pass (default hourly).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// By when after it was requested a deletion must be complete (default 30 days): a request
    /// still pending after it is logged as overdue at every pass.
    pub fn deletion_window(mut self, window: Duration) -> Self {
        self.deletion_window = window;
        self
    }

    /// When a request is due: its arrival plus the deletion window.
    pub fn due_by(&self, request: &DeletionRequest) -> Timestamp {
        request.requested_at.saturating_add(self.deletion_window)
    }

    async fn breathe(&self) {
        if self.pause.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(self.pause).await;
        }
    }

    /// Purges what `tenant`'s policy says is due, batch by batch, then reclaims the space; with
    /// `dry_run` only counts what would go and deletes nothing.
    pub async fn purge(&self, tenant: &TenantId, dry_run: bool) -> Result<PurgeCounts> {
        let policy = self.policies.for_tenant(tenant);
        let now = self.hub.clock().now();
        let before = policy.newest_cutoff(now);
        let mut counts = PurgeCounts::default();
        for kind in [RecordKind::Message, RecordKind::Note] {
            let mut cursor: Option<ExpiredCursor> = None;
            loop {
                let listed = self.lifecycle.expired(tenant, kind, before, cursor, self.batch).await?;
                let Some(last) = listed.last() else { break };
                cursor = Some(ExpiredCursor::after(last));
                let due: Vec<RecordRef> =
                    listed.iter().filter(|record| policy.is_due(record, now)).map(|record| record.record).collect();
                let gone = if dry_run || due.is_empty() {
                    due.len() as u64
                } else {
                    self.lifecycle.delete_records(tenant, &due).await?
                };
                match kind {
                    RecordKind::Message => counts.messages += gone,
                    RecordKind::Note => counts.notes += gone,
                }
                if listed.len() < self.batch {
                    break;
                }
                self.breathe().await;
            }
        }
        let logs_before = policy.oldest_cutoff(now);
        if dry_run {
            counts += self.lifecycle.purge_logs(tenant, logs_before, self.batch, true).await?;
        } else {
            loop {
                let step = self.lifecycle.purge_logs(tenant, logs_before, self.batch, false).await?;
                counts += step;
                if step.total() == 0 {
                    break;
                }
                self.breathe().await;
            }
        }
        if !dry_run && counts.total() > 0 {
            self.lifecycle.reclaim_space().await?;
            let actor = Actor::automation(tenant.clone(), LIFECYCLE_WORKER);
            self.hub
                .audit_after_the_fact(&actor, actions::DATA_PURGE, format!("tenant:{tenant}"), AuditOutcome::Success)
                .await;
            tracing::info!(target: "unibox::privacy", %tenant, messages = counts.messages, notes = counts.notes,
                events = counts.events, pending_actions = counts.pending_actions, changes = counts.changes, "retention purge");
        }
        Ok(counts)
    }

    /// Deletes the tenant: destroys its data keys at once (tokens, and every sealed value, are
    /// unreadable from this moment), drops its cached webhook routes, and records a
    /// [`PrivacyRequestKind::TenantDeletion`] request that the next pass carries out, row by
    /// row, and marks completed. Asking again while one is pending returns the pending one.
    pub async fn request_tenant_deletion(&self, tenant: &TenantId) -> Result<DeletionRequest> {
        if let Some(pending) = self
            .requests
            .pending(tenant)
            .await?
            .into_iter()
            .find(|request| request.kind == PrivacyRequestKind::TenantDeletion)
        {
            return Ok(pending);
        }
        self.lifecycle.shred_tenant(tenant).await?;
        self.hub.forget_routes_of(tenant);
        let request = self.open(tenant, PrivacyRequestKind::TenantDeletion, Vec::new()).await?;
        tracing::info!(target: "unibox::privacy", %tenant, code = %request.confirmation_code, "tenant deletion requested; keys shredded");
        Ok(request)
    }

    /// Records an operator's request to erase `contacts` (every contact of the person: one per
    /// channel identity the inbox did not merge), carried out by the next pass.
    /// `InvalidInput` when `contacts` is empty.
    pub async fn request_contact_erasure(
        &self,
        tenant: &TenantId,
        contacts: Vec<ContactId>,
    ) -> Result<DeletionRequest> {
        if contacts.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "a contact erasure names at least one contact")
                .with_operation("lifecycle.request_contact_erasure"));
        }
        self.open(tenant, PrivacyRequestKind::ContactErasure, contacts).await
    }

    async fn open(
        &self,
        tenant: &TenantId,
        kind: PrivacyRequestKind,
        contacts: Vec<ContactId>,
    ) -> Result<DeletionRequest> {
        let mut code = [0u8; 12];
        getrandom::fill(&mut code)
            .map_err(|e| Error::new(ErrorKind::Unexpected, format!("the system random generator failed: {e}")))?;
        let now = self.hub.clock().now();
        self.requests
            .open(DeletionRequest {
                tenant: tenant.clone(),
                confirmation_code: hex::encode(&code),
                kind,
                platform: OPERATOR_PLATFORM.to_owned(),
                platform_user_id: String::new(),
                contacts,
                status: DeletionStatus::Received,
                requested_at: now,
                updated_at: now,
            })
            .await
    }

    /// Carries out `tenant`'s pending deletion requests (tenant deletions, contact erasures and
    /// platform data-deletion requests that name contacts) and returns the ones completed.
    /// Deauthorizations, and data-deletion requests naming no contact (an operator must find
    /// the contacts first), stay pending.
    pub async fn process_requests(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>> {
        let mut completed = Vec::new();
        for request in self.requests.pending(tenant).await? {
            let actionable = match request.kind {
                PrivacyRequestKind::TenantDeletion => true,
                PrivacyRequestKind::DataDeletion | PrivacyRequestKind::ContactErasure => !request.contacts.is_empty(),
                PrivacyRequestKind::Deauthorization => false,
            };
            let now = self.hub.clock().now();
            if !actionable {
                if request.kind == PrivacyRequestKind::DataDeletion && now > self.due_by(&request) {
                    tracing::warn!(target: "unibox::privacy", %tenant, code = %request.confirmation_code,
                        "a data-deletion request names no contact and is past its deletion window: an operator must map it");
                }
                continue;
            }
            let code = request.confirmation_code.clone();
            self.requests.set_status(tenant, &code, DeletionStatus::InProgress, now).await?;
            match self.carry_out(&request).await {
                Ok(()) => {
                    let done = self.hub.clock().now();
                    if done > self.due_by(&request) {
                        tracing::warn!(target: "unibox::privacy", %tenant, code = %code, "deletion completed after its window");
                    }
                    completed.push(self.requests.set_status(tenant, &code, DeletionStatus::Completed, done).await?);
                }
                Err(error) => {
                    let failed = DeletionStatus::Failed { reason: format!("{}: {}", error.kind(), error.message()) };
                    self.requests.set_status(tenant, &code, failed, self.hub.clock().now()).await?;
                    return Err(error);
                }
            }
        }
        Ok(completed)
    }

    /// Starts [`process_requests`](Self::process_requests) for `tenant` in the background (on
    /// the current tokio runtime) and returns at once: what a platform's callback calls so an
    /// erasure starts when it is requested, not at the next pass.
    pub fn start_requests(&self, tenant: TenantId) -> JoinHandle<Result<Vec<DeletionRequest>>> {
        let job = self.clone();
        tokio::spawn(async move {
            let outcome = job.process_requests(&tenant).await;
            if let Err(error) = &outcome {
                tracing::error!(target: "unibox::privacy", %tenant, %error, "deletion requests failed; retried at the next pass");
            }
            outcome
        })
    }

    async fn carry_out(&self, request: &DeletionRequest) -> Result<()> {
        let tenant = &request.tenant;
        match request.kind {
            PrivacyRequestKind::TenantDeletion => {
                // Shredded when requested; again in case keys were written since.
                self.lifecycle.shred_tenant(tenant).await?;
                self.hub.forget_routes_of(tenant);
                while !self.lifecycle.delete_tenant(tenant, self.batch).await?.done {
                    self.breathe().await;
                }
            }
            _ => {
                // Analytics count the messages first: the tallies stay, anonymous.
                self.hub.project_to_head(tenant).await?;
                for contact in &request.contacts {
                    while !self.lifecycle.erase_contact(tenant, *contact, self.batch).await?.done {
                        self.breathe().await;
                    }
                }
                // The fact, not the person: the request's opaque code and how many contacts.
                let actor = Actor::automation(tenant.clone(), LIFECYCLE_WORKER);
                let target = format!("deletion_request:{}", request.confirmation_code);
                self.hub.audit_after_the_fact(&actor, actions::DATA_ERASE, target, AuditOutcome::Success).await;
            }
        }
        self.lifecycle.reclaim_space().await
    }

    /// One pass: every tenant's pending deletion requests, then retention for every tenant not
    /// being deleted.
    pub async fn run_once(&self) -> Result<LifecycleReport> {
        let mut report = LifecycleReport::default();
        for tenant in self.lifecycle.tenants().await? {
            let completed = self.process_requests(&tenant).await?;
            let deleted = completed.iter().any(|r| r.kind == PrivacyRequestKind::TenantDeletion);
            report.completed.extend(completed);
            let deleting =
                self.requests.pending(&tenant).await?.iter().any(|r| r.kind == PrivacyRequestKind::TenantDeletion);
            if !deleted && !deleting {
                report.purged += self.purge(&tenant, false).await?;
            }
        }
        Ok(report)
    }

    /// Runs [`run_once`](Self::run_once) now and then every [`interval`](Self::interval) on the
    /// current tokio runtime, until the handle is shut down or dropped. A failed pass is logged
    /// and retried at the next one.
    pub fn spawn(self) -> LifecycleWorker {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    outcome = self.run_once() => {
                        if let Err(error) = outcome {
                            tracing::error!(target: "unibox::privacy", %error, "lifecycle pass failed; retried at the next pass");
                        }
                    }
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(self.interval) => {}
                }
            }
        });
        LifecycleWorker { stop: Some(stop), task: Some(task) }
    }
}

/// A running [`LifecycleJob`], from [`LifecycleJob::spawn`]. Dropping it stops the job
/// without waiting.
#[derive(Debug)]
pub struct LifecycleWorker {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl LifecycleWorker {
    /// Stops the job and waits until it has stopped (a batch being written finishes first).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LifecycleWorker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
