use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::metering::{CreditChange, CreditEntry, CreditLedger, check_entries_limit};
use crate::{Result, TenantId};

/// Message credits in process memory: each tenant's entries in a list, appended under one lock.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::memory::MemoryCreditLedger;
/// use unibox_core::metering::{CreditChange, CreditLedger};
/// use unibox_core::Timestamp;
/// let ledger = MemoryCreditLedger::new();
/// let acme: unibox_core::TenantId = "acme".parse().unwrap();
/// ledger.append(CreditChange::purchase(acme.clone(), 100, Timestamp::UNIX_EPOCH)).await.unwrap();
/// assert_eq!(ledger.balance(&acme).await.unwrap(), 100);
/// assert_eq!(ledger.entries(&acme, 0, 10).await.unwrap().len(), 1);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryCreditLedger {
    tenants: Mutex<HashMap<TenantId, Vec<CreditEntry>>>,
}

impl MemoryCreditLedger {
    /// No credits yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<TenantId, Vec<CreditEntry>>> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl CreditLedger for MemoryCreditLedger {
    async fn append(&self, change: CreditChange) -> Result<CreditEntry> {
        let mut tenants = self.tenants();
        let entries = tenants.entry(change.tenant.clone()).or_default();
        let entry = change.next_entry(entries.last())?;
        entries.push(entry.clone());
        Ok(entry)
    }

    async fn balance(&self, tenant: &TenantId) -> Result<i64> {
        Ok(self.tenants().get(tenant).and_then(|entries| entries.last()).map_or(0, |entry| entry.balance))
    }

    async fn entries(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<CreditEntry>> {
        check_entries_limit(limit)?;
        let tenants = self.tenants();
        let Some(entries) = tenants.get(tenant) else { return Ok(Vec::new()) };
        // Sequences are 1, 2, 3, ...: entry n is at index n - 1.
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(entries.len());
        Ok(entries[start..].iter().take(limit).cloned().collect())
    }
}

impl MemoryCreditLedger {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.tenants().remove(tenant);
    }
}
