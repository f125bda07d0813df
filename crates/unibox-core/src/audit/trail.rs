//! [`AuditTrail`]: the audit sink that chains records into an [`AuditLog`], signs periodic
//! checkpoints and verifies a tenant's trail.

use std::sync::Arc;

use async_trait::async_trait;

use crate::audit::{
    AuditKey, AuditLog, AuditPage, AuditQuery, AuditRecord, AuditSink, AuditVerification, ChainVerifier, Checkpoint,
    Tamper, TamperKind,
};
use crate::{Clock, Result, SystemClock, TenantId};

/// How many records a checkpoint covers by default.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 1_000;

const VERIFY_PAGE: usize = 500;

/// A tamper-evident audit trail: every record is appended to a per-tenant hash chain, and every
/// [`checkpoint_every`](AuditTrail::checkpoint_every) records the chain's head is signed with
/// the trail's [`AuditKey`]. [`verify`](AuditTrail::verify) detects any edited, deleted,
/// reordered or inserted record, and a log cut short of a checkpoint. Plug it into a
/// [`Hub`](crate::Hub) as its audit sink.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use unibox_core::audit::{AuditKey, AuditOutcome, AuditRecord, AuditSink, AuditTrail};
/// use unibox_core::memory::MemoryAuditLog;
/// use unibox_core::{Actor, Role, Timestamp};
///
/// let key = AuditKey::new("audit-2026", vec![42; 32]).unwrap();
/// let trail = AuditTrail::new(Arc::new(MemoryAuditLog::new()), key).checkpoint_every(2);
/// let admin = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Admin);
/// for target in ["account:1", "account:2", "account:3"] {
///     let record = AuditRecord::new(&admin, "channel.connect", target, Timestamp::from_unix_seconds(1), AuditOutcome::Success);
///     trail.record(record).await.unwrap();
/// }
/// let verification = trail.verify(admin.tenant()).await.unwrap();
/// assert!(verification.is_intact());
/// assert_eq!((verification.records, verification.checkpoints), (3, 1));
/// # });
/// ```
#[derive(Debug)]
pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
    key: AuditKey,
    old_keys: Vec<AuditKey>,
    every: u64,
    clock: Arc<dyn Clock>,
}

impl AuditTrail {
    /// A trail over `log`, signing checkpoints with `key` every
    /// [`DEFAULT_CHECKPOINT_EVERY`] records.
    pub fn new(log: Arc<dyn AuditLog>, key: AuditKey) -> Self {
        AuditTrail { log, key, old_keys: Vec::new(), every: DEFAULT_CHECKPOINT_EVERY, clock: Arc::new(SystemClock) }
    }

    /// Signs a checkpoint every `records` records (at least 1).
    pub fn checkpoint_every(mut self, records: u64) -> Self {
        self.every = records.max(1);
        self
    }

    /// The clock checkpoints are dated with.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A retired key, still accepted when verifying checkpoints it signed.
    pub fn retired_key(mut self, key: AuditKey) -> Self {
        self.old_keys.push(key);
        self
    }

    /// The log underneath.
    pub fn log(&self) -> &Arc<dyn AuditLog> {
        &self.log
    }

    /// Signs the current head of `tenant`'s chain now (for example at shutdown, or on a timer
    /// so a quiet tenant's latest records are covered too). `None` if the chain is empty.
    pub async fn checkpoint_now(&self, tenant: &TenantId) -> Result<Option<Checkpoint>> {
        let Some((seq, hash)) = self.log.head(tenant).await? else { return Ok(None) };
        let checkpoint = self.key.sign(tenant, seq, hash, self.clock.now());
        self.log.save_checkpoint(&checkpoint).await?;
        Ok(Some(checkpoint))
    }

    /// Records matching `query`, newest first.
    pub async fn query(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage> {
        query.validate()?;
        self.log.query(tenant, query).await
    }

    /// Verifies `tenant`'s whole chain and checkpoints, page by page, then the log's query
    /// index ([`AuditLog::check_index`]).
    pub async fn verify(&self, tenant: &TenantId) -> Result<AuditVerification> {
        let checkpoints = self.log.checkpoints(tenant).await?;
        let keys: Vec<&AuditKey> = std::iter::once(&self.key).chain(&self.old_keys).collect();
        let mut verifier = ChainVerifier::new(tenant.clone(), checkpoints, &keys);
        let mut after = 0;
        loop {
            let page = self.log.chain(tenant, after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else { break };
            // Page by the stored order; a seq that goes backwards (reordered rows) must not
            // make the walk loop forever.
            let next_after = last.seq.max(after + 1);
            let mut go_on = true;
            for record in &page {
                go_on = verifier.push(record);
                if !go_on {
                    break;
                }
            }
            if !go_on || page.len() < VERIFY_PAGE {
                break;
            }
            after = next_after;
        }
        let mut verification = verifier.finish();
        if verification.is_intact()
            && let Some(seq) = self.log.check_index(tenant).await?
        {
            verification.tamper = Some(Tamper { seq, kind: TamperKind::IndexMismatch });
        }
        Ok(verification)
    }
}

#[async_trait]
impl AuditSink for AuditTrail {
    async fn record(&self, record: AuditRecord) -> Result<()> {
        let tenant = record.tenant.clone();
        let chained = self.log.append(record).await?;
        if chained.seq.is_multiple_of(self.every) {
            let checkpoint = self.key.sign(&tenant, chained.seq, chained.hash, self.clock.now());
            self.log.save_checkpoint(&checkpoint).await?;
        }
        Ok(())
    }
}
