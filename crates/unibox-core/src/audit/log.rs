//! The [`AuditLog`] port: a tenant-scoped, append-only, hash-chained store of audit records.

use std::fmt;

use async_trait::async_trait;

use crate::audit::{AuditHash, AuditRecord, ChainedRecord, Checkpoint};
use crate::inbox::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::{Error, ErrorKind, Principal, Result, TenantId, Timestamp};

/// A search of one tenant's audit records, newest first, by keyset pages on `seq`.
///
/// ```
/// use unibox_core::audit::AuditQuery;
/// use unibox_core::Timestamp;
/// let query = AuditQuery::new().actor("agent-7").action("message.send").since(Timestamp::from_unix_seconds(0)).limit(20);
/// assert!(query.validate().is_ok());
/// assert!(AuditQuery::new().limit(0).validate().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records by this actor (a user id or an automation's name).
    pub actor: Option<String>,
    /// Only records about this target (`conversation:<id>`).
    pub target: Option<String>,
    /// Only this action (`message.send`).
    pub action: Option<String>,
    /// Only records at or after this time.
    pub since: Option<Timestamp>,
    /// Only records before this time.
    pub until: Option<Timestamp>,
    /// Page size, 1 to 500; 0 means the default of 50.
    pub limit: usize,
    /// Continue with records older than this seq (the `next` of the previous page).
    pub before_seq: Option<u64>,
}

impl AuditQuery {
    /// Every record, newest first.
    pub fn new() -> Self {
        AuditQuery { limit: DEFAULT_PAGE_SIZE, ..AuditQuery::default() }
    }
    /// Only this actor.
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }
    /// Only this target.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    /// Only this action.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }
    /// Only at or after `since`.
    pub fn since(mut self, since: Timestamp) -> Self {
        self.since = Some(since);
        self
    }
    /// Only before `until`.
    pub fn until(mut self, until: Timestamp) -> Self {
        self.until = Some(until);
        self
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue after a page.
    pub fn before_seq(mut self, seq: Option<u64>) -> Self {
        self.before_seq = seq;
        self
    }
    /// Checks the page size.
    pub fn validate(&self) -> Result<()> {
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("page size must be 1 to {MAX_PAGE_SIZE}, got {}", self.limit),
            ));
        }
        Ok(())
    }
    /// Whether `record` matches the filters (not the page position). Backends that filter in
    /// memory use it; SQL backends must agree with it.
    pub fn matches(&self, record: &ChainedRecord) -> bool {
        let r = &record.record;
        self.actor.as_deref().is_none_or(|actor| actor_name(&r.actor) == actor)
            && self.target.as_deref().is_none_or(|target| r.target == target)
            && self.action.as_deref().is_none_or(|action| r.action == action)
            && self.since.is_none_or(|since| r.at >= since)
            && self.until.is_none_or(|until| r.at < until)
    }
}

/// The name an actor is queried by: a user's id or an automation's name.
pub fn actor_name(actor: &crate::Actor) -> &str {
    match actor.principal() {
        Principal::User { id, .. } => id.as_str(),
        Principal::Automation { name } => name,
    }
}

/// A page of audit records, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPage {
    /// The records.
    pub items: Vec<ChainedRecord>,
    /// Pass as [`AuditQuery::before_seq`] for the next page; `None` on the last.
    pub next: Option<u64>,
}

/// Where audit records are kept: one hash chain per tenant.
///
/// Implementations must append atomically and in order per tenant: `append` reads the head of
/// the tenant's chain, links the record with [`ChainedRecord::link`] and stores it, with no
/// other append of that tenant in between, and returns only once it is durable.
/// `unibox_testkit::audit` checks an implementation.
#[async_trait]
pub trait AuditLog: Send + Sync + fmt::Debug + 'static {
    /// Appends `record` to its tenant's chain and returns it linked.
    async fn append(&self, record: AuditRecord) -> Result<ChainedRecord>;

    /// The head of a tenant's chain (last seq and hash), or `None` if it is empty.
    async fn head(&self, tenant: &TenantId) -> Result<Option<(u64, AuditHash)>>;

    /// Up to `limit` records with seq greater than `after`, in chain order, exactly as stored
    /// (verification must see what is there, tampered or not).
    async fn chain(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<ChainedRecord>>;

    /// Records matching `query`, newest first.
    async fn query(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage>;

    /// Stores a signed checkpoint.
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()>;

    /// A tenant's checkpoints, oldest first.
    async fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<Checkpoint>>;

    /// For a log that answers [`query`](Self::query) from an index kept beside the chain: the
    /// seq of the first record the index leaves out or misstates, which queries could hide
    /// although the chain verifies. `None` when the index agrees with the chain, or when there
    /// is no such index (the default). [`AuditTrail::verify`](crate::audit::AuditTrail::verify)
    /// calls it once the chain is found intact.
    async fn check_index(&self, tenant: &TenantId) -> Result<Option<u64>> {
        let _ = tenant;
        Ok(None)
    }
}
