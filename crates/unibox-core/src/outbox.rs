//! The [`Outbox`] port: durable send jobs, recorded in the same transaction as the outbound
//! message they deliver, and leased to one worker at a time.
//!
//! The life of a job:
//!
//! ```text
//! enqueue ──> Queued ──claim──> (leased) ──begin_attempt──> InFlight ──finish_attempt──> Sent
//!               ^                                             │                         Failed
//!               └──────────── Retry { at } ───────────────────┘                         Unknown
//! ```
//!
//! A lease says who may attempt the job and until when. A job whose lease ran out is claimed
//! again: if it was `Queued`, nothing was sent; if it was `InFlight`, the previous attempt may
//! have reached the platform, and the claimer must check
//! [`Capabilities::idempotent_send`](crate::channel::Capabilities::idempotent_send) before
//! resending (the delivery worker marks it [`JobState::Unknown`] otherwise).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use uuid::Uuid;

use crate::inbox::OutboundDraft;
use crate::{ChannelAccountId, ConversationId, Error, ErrorKind, Message, MessageId, Result, TenantId, Timestamp};

/// Identifies one claim of a job: only its holder may attempt or reschedule the job.
///
/// ```
/// use unibox_core::outbox::LeaseId;
/// let lease = LeaseId::new();
/// assert_ne!(lease, LeaseId::new());
/// assert_eq!(lease.to_string().parse::<LeaseId>().unwrap(), lease);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseId(Uuid);

impl LeaseId {
    /// A new, unique lease id.
    pub fn new() -> Self {
        LeaseId(Uuid::now_v7())
    }

    /// The id as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// From a UUID (a backend reading it back).
    pub fn from_uuid(id: Uuid) -> Self {
        LeaseId(id)
    }

    /// The 16 bytes of the UUID, for storage.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// From the 16 bytes of the UUID (a backend reading it back).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        LeaseId(Uuid::from_bytes(bytes))
    }
}

impl Default for LeaseId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.simple())
    }
}

impl fmt::Debug for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseId({})", self.0.simple())
    }
}

impl FromStr for LeaseId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Uuid::try_parse(s).map(LeaseId).map_err(|_| Error::new(ErrorKind::InvalidInput, "invalid lease id"))
    }
}

/// A claim on a job: its id and when it runs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it.
    pub id: LeaseId,
    /// When it runs out; afterwards another worker may claim the job.
    pub until: Timestamp,
}

impl Lease {
    /// A new lease until `until`.
    pub fn until(until: Timestamp) -> Self {
        Lease { id: LeaseId::new(), until }
    }
}

/// Where a send job stands.
///
/// ```
/// use unibox_core::outbox::JobState;
/// assert_eq!("in_flight".parse::<JobState>().unwrap(), JobState::InFlight);
/// assert!(JobState::Unknown.is_final());
/// assert!(!JobState::Queued.is_final());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its due time (first attempt or a retry); nothing of it reached the platform,
    /// or the platform said it was not accepted.
    Queued,
    /// An attempt started and has not finished; if its lease runs out, the attempt may or may
    /// not have reached the platform.
    InFlight,
    /// The platform accepted the message and returned its id.
    Sent,
    /// The message will not be delivered; the reason is in [`OutboxJob::last_error`].
    Failed,
    /// An attempt may have reached the platform, and the platform offers no way to resend
    /// safely: check with the platform before resending. Never retried automatically.
    Unknown,
}

impl JobState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::InFlight => "in_flight",
            JobState::Sent => "sent",
            JobState::Failed => "failed",
            JobState::Unknown => "unknown",
        }
    }

    /// True for states no worker acts on any more.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Sent | JobState::Failed | JobState::Unknown)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "queued" => JobState::Queued,
            "in_flight" => JobState::InFlight,
            "sent" => JobState::Sent,
            "failed" => JobState::Failed,
            "unknown" => JobState::Unknown,
            other => return Err(Error::new(ErrorKind::InvalidInput, format!("unknown job state {other:?}"))),
        })
    }
}

/// One outbound message's delivery job. Backends build new ones with [`OutboxJob::new`] and
/// restore stored ones field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxJob {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The message to deliver; its id is the platform idempotency key where one exists.
    pub message: MessageId,
    /// The message's conversation.
    pub conversation: ConversationId,
    /// The account it is sent from.
    pub account: ChannelAccountId,
    /// Where the job stands.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// When the next attempt may start.
    pub due_at: Timestamp,
    /// The current claim, if any (it may have run out).
    pub lease: Option<Lease>,
    /// The sender is a human agent (selects the platform's human-agent tag).
    pub human_agent: bool,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
    /// When the job was enqueued.
    pub created_at: Timestamp,
}

impl OutboxJob {
    /// A new queued job for a message, due at once. Backends build jobs here so they agree.
    pub fn new(tenant: TenantId, message: &Message, options: &EnqueueOptions, now: Timestamp) -> Self {
        OutboxJob {
            tenant,
            message: message.id,
            conversation: message.conversation,
            account: message.account,
            state: JobState::Queued,
            attempts: 0,
            due_at: now,
            lease: options.lease,
            human_agent: options.human_agent,
            last_error: None,
            created_at: now,
        }
    }

    /// True when `lease` holds this job.
    pub fn is_held_by(&self, lease: LeaseId) -> bool {
        self.lease.is_some_and(|held| held.id == lease)
    }

    /// True when a worker may claim the job at `now`: it is queued or in flight, due, and not
    /// held by a live lease.
    pub fn is_claimable(&self, now: Timestamp) -> bool {
        matches!(self.state, JobState::Queued | JobState::InFlight)
            && self.due_at <= now
            && self.lease.is_none_or(|lease| lease.until <= now)
    }
}

/// How a job is enqueued.
///
/// ```
/// use unibox_core::outbox::{EnqueueOptions, Lease};
/// use unibox_core::Timestamp;
/// let options = EnqueueOptions::new().human_agent(true).leased(Lease::until(Timestamp::from_unix_seconds(60)));
/// assert!(options.human_agent && options.lease.is_some());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnqueueOptions {
    /// The sender is a human agent.
    pub human_agent: bool,
    /// Enqueue the job already claimed by the caller, so it can attempt the first send itself
    /// without a worker taking it meanwhile.
    pub lease: Option<Lease>,
}

impl EnqueueOptions {
    /// Not by a human agent, not leased.
    pub fn new() -> Self {
        Self::default()
    }
    /// Marks the sender as a human agent.
    pub fn human_agent(mut self, human_agent: bool) -> Self {
        self.human_agent = human_agent;
        self
    }
    /// Enqueues the job claimed by `lease`.
    pub fn leased(mut self, lease: Lease) -> Self {
        self.lease = Some(lease);
        self
    }
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The platform accepted the message: the message becomes `Sent` with the platform's id.
    Sent {
        /// The platform's id for the message.
        platform_message_id: String,
    },
    /// The attempt certainly did not deliver the message (or the platform deduplicates a
    /// resend): the message is `Queued` again and the job is due at `at`.
    Retry {
        /// When to try again.
        at: Timestamp,
        /// Why this attempt did not succeed.
        reason: String,
    },
    /// The message will not be delivered: it becomes `Failed` with the reason, and the
    /// platform's code and the kind when known.
    Failed {
        /// Why, in words an agent understands.
        reason: String,
        /// The platform's own error code, when it gave one.
        code: Option<String>,
        /// What went wrong, when known.
        kind: Option<crate::ErrorKind>,
    },
    /// The attempt may have reached the platform and cannot be resent safely: the message stays
    /// `Sending` and the job becomes [`JobState::Unknown`].
    Unknown {
        /// What happened.
        reason: String,
    },
}

impl OutboxJob {
    /// Applies an attempt's outcome to the job: its new state, no lease, the next due time of
    /// a retry, and the reason it did not succeed. Backends call it so they agree.
    pub fn finish(&mut self, outcome: AttemptOutcome) {
        self.state = outcome.job_state();
        self.lease = None;
        match outcome {
            AttemptOutcome::Sent { .. } => self.last_error = None,
            AttemptOutcome::Retry { at, reason } => {
                self.due_at = at;
                self.last_error = Some(reason);
            }
            AttemptOutcome::Failed { reason, .. } | AttemptOutcome::Unknown { reason } => {
                self.last_error = Some(reason)
            }
        }
    }
}

impl AttemptOutcome {
    /// A failure known only by its reason.
    pub fn failed(reason: impl Into<String>) -> Self {
        AttemptOutcome::Failed { reason: reason.into(), code: None, kind: None }
    }

    /// The delivery status a `Failed` outcome gives the message (`None` for other outcomes).
    pub fn failed_status(&self) -> Option<crate::DeliveryStatus> {
        match self {
            AttemptOutcome::Failed { reason, code, kind } => {
                Some(crate::DeliveryStatus::Failed { reason: reason.clone(), code: code.clone(), kind: *kind })
            }
            _ => None,
        }
    }

    /// The state the job is in after this outcome.
    pub fn job_state(&self) -> JobState {
        match self {
            AttemptOutcome::Sent { .. } => JobState::Sent,
            AttemptOutcome::Retry { .. } => JobState::Queued,
            AttemptOutcome::Failed { .. } => JobState::Failed,
            AttemptOutcome::Unknown { .. } => JobState::Unknown,
        }
    }
}

/// What a person found out, checking with the platform, about a send whose outcome was
/// [`JobState::Unknown`].
///
/// ```
/// use unibox_core::outbox::Resolution;
/// let found = Resolution::Delivered { platform_message_id: "468789577898262530".into() };
/// assert!(matches!(found, Resolution::Delivered { .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The platform has it: the message becomes `Sent` with the platform's id.
    Delivered {
        /// The platform's id for the message.
        platform_message_id: String,
    },
    /// The platform does not have it: the job is queued again, due at once.
    Resend,
    /// Give up: the message becomes `Failed` with the reason.
    Abandon {
        /// Why, in words an agent understands.
        reason: String,
    },
}

/// The durable send queue of an inbox, a part of the [`Store`](crate::store::Store) bundle.
///
/// A backend that keeps one hands it over as [`Store::outbox`](crate::store::Store::outbox); the
/// hub then records every send as a job in the same transaction as the message, and the
/// [`DeliveryWorker`](crate::delivery::DeliveryWorker) delivers queued jobs. Every method but
/// [`claim`](Outbox::claim) is tenant-scoped; `claim` is the one lookup across tenants, as the
/// worker serves them all.
///
/// `unibox_testkit::inbox` checks that a backend follows these rules.
#[async_trait]
pub trait Outbox: Send + Sync + fmt::Debug {
    /// Records `draft` as a queued outbound message (exactly like
    /// [`OutboundMessages::record_outbound`](crate::inbox::OutboundMessages::record_outbound)) together with its job, in one
    /// transaction. Enqueuing the same draft id again returns the stored message and job.
    async fn enqueue(
        &self,
        tenant: &TenantId,
        draft: OutboundDraft,
        options: EnqueueOptions,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)>;

    /// Claims up to `limit` jobs that are claimable at `now` (see [`OutboxJob::is_claimable`]),
    /// earliest due first, for `lease`. Two concurrent claims never return the same job.
    async fn claim(&self, now: Timestamp, lease: Lease, limit: usize) -> Result<Vec<OutboxJob>>;

    /// Starts an attempt of a job held by `lease`: the job becomes [`JobState::InFlight`] with
    /// one more attempt, and the message `Sending`, durably, before the platform is called.
    /// `Conflict` when the lease does not hold the job or the job is final.
    async fn begin_attempt(&self, tenant: &TenantId, message: MessageId, lease: LeaseId) -> Result<OutboxJob>;

    /// Records how an attempt ended, and the message's new status, in one transaction.
    ///
    /// [`AttemptOutcome::Sent`] is recorded whoever holds the lease: the platform's answer is
    /// the truth. The other outcomes need the lease to hold a job that is not final (`Conflict`
    /// otherwise), so a worker whose lease ran out cannot undo another's progress; a queued job
    /// may be finished without an attempt (released for later, or failed before sending).
    /// [`AttemptOutcome::Retry`] puts a `Sending` message back to `Queued`.
    async fn finish_attempt(
        &self,
        tenant: &TenantId,
        message: MessageId,
        lease: LeaseId,
        outcome: AttemptOutcome,
    ) -> Result<(Message, OutboxJob)>;

    /// The job of an outbound message; `NotFound` if it has none (or belongs to another tenant).
    async fn job(&self, tenant: &TenantId, message: MessageId) -> Result<OutboxJob>;

    /// Records what a person found out about a [`JobState::Unknown`] send (see [`Resolution`]);
    /// `Conflict` when the job is in another state. `now` is when a resent job is due.
    async fn resolve_unknown(
        &self,
        tenant: &TenantId,
        message: MessageId,
        resolution: Resolution,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)>;

    /// The tenant's jobs in `state`, oldest first, at most `limit` (1 to
    /// [`MAX_PAGE_SIZE`](crate::inbox::MAX_PAGE_SIZE)): for example the
    /// [`JobState::Unknown`] ones an agent must check.
    async fn jobs(&self, tenant: &TenantId, state: JobState, limit: usize) -> Result<Vec<OutboxJob>>;

    /// Ends every [`JobState::Queued`] job of `account` (due now or waiting for a retry, leased
    /// or not) with `outcome`, which must be [`AttemptOutcome::Failed`], and fails its message
    /// the same way, in one transaction; returns how many jobs it ended. A worker holding one
    /// of them then finds it final and sends nothing. Jobs in flight are left to their attempt.
    /// [`Hub::disconnect_account`](crate::Hub::disconnect_account) calls it.
    ///
    /// The default fails with `Unsupported`; the hub then relies on the delivery worker, which
    /// refuses every job of a disconnected account when it comes due.
    async fn fail_queued_of_account(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        outcome: AttemptOutcome,
    ) -> Result<u64> {
        let _ = (tenant, account, outcome);
        Err(Error::new(ErrorKind::Unsupported, "this outbox cannot end an account's queued jobs at once"))
    }
}

/// Checks that an outcome given to [`Outbox::fail_queued_of_account`] is a failure.
pub fn check_failure(outcome: &AttemptOutcome, operation: &'static str) -> Result<()> {
    if matches!(outcome, AttemptOutcome::Failed { .. }) {
        return Ok(());
    }
    Err(Error::new(ErrorKind::InvalidInput, "an account's queued jobs can only be ended as failed")
        .with_operation(operation))
}

/// Checks a listing size the way every backend must.
pub fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > crate::inbox::MAX_PAGE_SIZE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("the limit must be 1 to {}, got {limit}", crate::inbox::MAX_PAGE_SIZE),
        ));
    }
    Ok(())
}

/// The error for resolving a job whose outcome is not unknown.
pub fn not_unknown(operation: &'static str) -> Error {
    Error::new(ErrorKind::Conflict, "only a send whose outcome is unknown can be resolved").with_operation(operation)
}

/// The error for a job the caller does not hold.
pub fn not_held(operation: &'static str) -> Error {
    Error::new(ErrorKind::Conflict, "the send job is not held by this lease (another worker claimed it, or it is done)")
        .with_operation(operation)
}
