use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::audit::{AuditHash, AuditLog, AuditPage, AuditQuery, AuditRecord, AuditSink, ChainedRecord, Checkpoint};
use crate::inbox::MAX_PAGE_SIZE;
use crate::{Result, TenantId};

/// Audit records in process memory: one hash chain per tenant, with checkpoints, readable back.
/// As an [`AuditSink`] it appends without signing checkpoints; wrap it in an
/// [`AuditTrail`](crate::audit::AuditTrail) for those.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::audit::{AuditOutcome, AuditRecord, AuditSink};
/// use unibox_core::memory::MemoryAuditLog;
/// use unibox_core::{Actor, Timestamp};
/// let log = MemoryAuditLog::new();
/// let actor = Actor::automation("acme".parse().unwrap(), "importer");
/// log.record(AuditRecord::new(&actor, "channel.connect", "account:1", Timestamp::UNIX_EPOCH, AuditOutcome::Success)).await.unwrap();
/// assert_eq!(log.records(actor.tenant()).len(), 1);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryAuditLog {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    chains: HashMap<TenantId, Vec<ChainedRecord>>,
    checkpoints: HashMap<TenantId, Vec<Checkpoint>>,
}

impl MemoryAuditLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // Appends validate nothing that can panic halfway, so a poisoned lock guards whole chains.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tenant's records, oldest first.
    pub fn records(&self, tenant: &TenantId) -> Vec<AuditRecord> {
        self.state()
            .chains
            .get(tenant)
            .map(|chain| chain.iter().map(|r| r.record.clone()).collect())
            .unwrap_or_default()
    }

    /// The tenant's chain as stored, oldest first.
    pub fn chained_records(&self, tenant: &TenantId) -> Vec<ChainedRecord> {
        self.state().chains.get(tenant).cloned().unwrap_or_default()
    }
}

impl State {
    /// Whether the tenant has audit records or checkpoints.
    pub(super) fn holds(&self, tenant: &TenantId) -> bool {
        self.chains.get(tenant).is_some_and(|chain| !chain.is_empty())
            || self.checkpoints.get(tenant).is_some_and(|checkpoints| !checkpoints.is_empty())
    }

    /// Puts a restored chain and its checkpoints in place of the tenant's (empty) ones.
    pub(super) fn restore(&mut self, tenant: &TenantId, chain: Vec<ChainedRecord>, mut checkpoints: Vec<Checkpoint>) {
        checkpoints.sort_by_key(|c| c.seq);
        if !chain.is_empty() {
            self.chains.insert(tenant.clone(), chain);
        }
        if !checkpoints.is_empty() {
            self.checkpoints.insert(tenant.clone(), checkpoints);
        }
    }
}

#[async_trait]
impl AuditSink for MemoryAuditLog {
    async fn record(&self, record: AuditRecord) -> Result<()> {
        self.append(record).await.map(|_| ())
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, record: AuditRecord) -> Result<ChainedRecord> {
        let mut state = self.state();
        let chain = state.chains.entry(record.tenant.clone()).or_default();
        let chained = ChainedRecord::link(chain.last().map(|last| (last.seq, last.hash)), record);
        chain.push(chained.clone());
        Ok(chained)
    }

    async fn head(&self, tenant: &TenantId) -> Result<Option<(u64, AuditHash)>> {
        Ok(self.state().chains.get(tenant).and_then(|chain| chain.last()).map(|last| (last.seq, last.hash)))
    }

    async fn chain(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<ChainedRecord>> {
        let state = self.state();
        let Some(chain) = state.chains.get(tenant) else { return Ok(Vec::new()) };
        // Seqs start at 1 and have no gaps, so the position of seq `after + 1` is `after`.
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(chain.len());
        Ok(chain[start..].iter().take(limit).cloned().collect())
    }

    async fn query(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage> {
        query.validate()?;
        let limit = query.limit.min(MAX_PAGE_SIZE);
        let state = self.state();
        let Some(chain) = state.chains.get(tenant) else { return Ok(AuditPage { items: Vec::new(), next: None }) };
        let mut items: Vec<ChainedRecord> = chain
            .iter()
            .rev()
            .filter(|r| query.before_seq.is_none_or(|before| r.seq < before))
            .filter(|r| query.matches(r))
            .take(limit + 1)
            .cloned()
            .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(AuditPage { items, next })
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()> {
        let mut state = self.state();
        let checkpoints = state.checkpoints.entry(checkpoint.tenant.clone()).or_default();
        checkpoints.push(checkpoint.clone());
        checkpoints.sort_by_key(|c| c.seq);
        Ok(())
    }

    async fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<Checkpoint>> {
        Ok(self.state().checkpoints.get(tenant).cloned().unwrap_or_default())
    }
}

impl MemoryAuditLog {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        let mut state = self.state();
        state.chains.remove(tenant);
        state.checkpoints.remove(tenant);
    }
}
