//! [`DataLifecycle`] for the memory store: every memory part forgets what retention or an
//! erasure removes.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;

use crate::lifecycle::{DataLifecycle, ErasureStep, ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef};
use crate::memory::{
    MemoryAgentRoster, MemoryAnalytics, MemoryAuditLog, MemoryCatalog, MemoryCreditLedger, MemoryDeletionRequests,
    MemoryInbox, MemoryOrderStore, MemorySessionStore, MemorySyncCursors, MemoryTokenStore, MemoryUsageMeter,
};
use crate::{ContactId, Result, TenantId, Timestamp};

/// The memory store's lifecycle part (built by [`MemoryStore::new`](crate::memory::MemoryStore::new)).
/// Each call works under the parts' own locks and finishes in one step, so batches are not
/// needed: `limit` bounds only the log purge.
#[derive(Debug)]
pub(crate) struct MemoryLifecycle {
    pub(crate) inbox: Arc<MemoryInbox>,
    pub(crate) tokens: Arc<MemoryTokenStore>,
    pub(crate) audit: Arc<MemoryAuditLog>,
    pub(crate) roster: Arc<MemoryAgentRoster>,
    pub(crate) analytics: Arc<MemoryAnalytics>,
    pub(crate) meter: Arc<MemoryUsageMeter>,
    pub(crate) credits: Arc<MemoryCreditLedger>,
    pub(crate) sessions: Arc<MemorySessionStore>,
    pub(crate) deletion_requests: Arc<MemoryDeletionRequests>,
    pub(crate) orders: Arc<MemoryOrderStore>,
    pub(crate) sync_cursors: Arc<MemorySyncCursors>,
    pub(crate) catalog: Arc<MemoryCatalog>,
}

#[async_trait]
impl DataLifecycle for MemoryLifecycle {
    async fn tenants(&self) -> Result<Vec<TenantId>> {
        let mut tenants = self.inbox.lifecycle_tenants();
        tenants.extend(self.deletion_requests.tenants_with_pending());
        tenants.sort();
        tenants.dedup();
        Ok(tenants)
    }

    async fn expired(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        before: Timestamp,
        after: Option<ExpiredCursor>,
        limit: usize,
    ) -> Result<Vec<ExpiredRecord>> {
        Ok(self.inbox.expired(tenant, kind, before, after, limit))
    }

    async fn delete_records(&self, tenant: &TenantId, records: &[RecordRef]) -> Result<u64> {
        Ok(self.inbox.delete_records(tenant, records))
    }

    async fn purge_logs(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        limit: usize,
        dry_run: bool,
    ) -> Result<PurgeCounts> {
        Ok(self.inbox.purge_logs(tenant, before, limit, dry_run))
    }

    async fn erase_contact(&self, tenant: &TenantId, contact: ContactId, _limit: usize) -> Result<ErasureStep> {
        let conversations: HashSet<_> = self.inbox.conversations_of(tenant, contact);
        let (identities, mut rows) = self.inbox.erase_contact(tenant, contact);
        rows += self.orders.forget(tenant, Some(&identities));
        self.analytics.forget(tenant, Some(&conversations));
        self.deletion_requests.forget_links(tenant, Some(contact));
        Ok(ErasureStep { rows, done: true })
    }

    async fn delete_tenant(&self, tenant: &TenantId, _limit: usize) -> Result<ErasureStep> {
        let mut rows = self.inbox.delete_tenant(tenant);
        rows += self.orders.forget(tenant, None);
        self.tokens.forget_tenant(tenant);
        self.audit.forget_tenant(tenant);
        self.roster.forget_tenant(tenant);
        self.analytics.forget(tenant, None);
        self.meter.forget_tenant(tenant);
        self.credits.forget_tenant(tenant);
        self.sessions.forget_tenant(tenant);
        self.deletion_requests.forget_links(tenant, None);
        self.sync_cursors.forget_tenant(tenant);
        self.catalog.forget_tenant(tenant);
        Ok(ErasureStep { rows, done: true })
    }

    async fn shred_tenant(&self, tenant: &TenantId) -> Result<()> {
        // Memory tokens are not sealed: forgetting them is what makes them unreadable.
        self.tokens.forget_tenant(tenant);
        Ok(())
    }

    async fn reclaim_space(&self) -> Result<()> {
        Ok(())
    }
}
