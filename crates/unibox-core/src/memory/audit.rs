use std::sync::Mutex;

use async_trait::async_trait;

use crate::audit::{AuditRecord, AuditSink};
use crate::{Result, TenantId};

/// Audit records in process memory, readable back per tenant.
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
    records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAuditLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tenant's records, oldest first.
    pub fn records(&self, tenant: &TenantId) -> Vec<AuditRecord> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.iter().filter(|r| &r.tenant == tenant).cloned().collect()
    }
}

#[async_trait]
impl AuditSink for MemoryAuditLog {
    async fn record(&self, record: AuditRecord) -> Result<()> {
        self.records.lock().unwrap_or_else(|p| p.into_inner()).push(record);
        Ok(())
    }
}
