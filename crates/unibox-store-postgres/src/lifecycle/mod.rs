//! Retention and erasure for PostgreSQL: [`PostgresLifecycle`], the
//! [`DataLifecycle`](unibox_core::lifecycle::DataLifecycle) part of
//! [`PostgresStore`](crate::PostgresStore).
//!
//! Every delete statement of retention and erasure is in this folder: `retention.rs` (expired
//! messages and notes, the logs), `erasure.rs` (a contact, a tenant), and `tables.rs`, the list
//! of tables each operation covers, checked against the schema by a test. Each call is one short
//! transaction scoped to its tenant (row-level security applies), deleting at most about the
//! batch it is given, so ingest from other connections keeps going between batches.
//!
//! Three things cross what the application role may do, each through an owner's function of
//! migration 17 (`0044_lifecycle.sql`): listing the tenants, deleting a tenant's append-only
//! message credits (only while its tenant deletion is pending) and removing its accounts from
//! the webhook routing registry.
//!
//! Space: PostgreSQL returns the space of deleted rows to its tables through autovacuum (the
//! default configuration runs it); `VACUUM` needs the table owner and cannot run in a
//! transaction, so [`reclaim_space`](DataLifecycle::reclaim_space) leaves it to autovacuum. The
//! deleted rows' bytes stay in the data files and the write-ahead log until vacuumed pages are
//! reused and WAL segments recycled; the sealed values among them are unreadable once the
//! tenant's keys are shredded.

mod erasure;
mod retention;
mod tables;
#[cfg(all(test, feature = "testing"))]
mod tests;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_core::lifecycle::{
    DataLifecycle, ErasureStep, ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef,
};
use unibox_core::{ContactId, Result, TenantId, Timestamp};
use unibox_vault::Vault;

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::sealing::Access;

/// Retention and erasure over a [`PostgresInbox`] and its token [`Vault`] (crypto-shredding
/// goes through the vault, which caches the tenant's keys), handed to the hub as
/// `Store::lifecycle` by [`PostgresStore`](crate::PostgresStore).
///
/// ```no_run
/// # async fn start() -> unibox_core::Result<()> {
/// use unibox_core::lifecycle::DataLifecycle;
/// use unibox_store_postgres::{PostgresOptions, PostgresStore};
/// use unibox_vault::StoreKeys;
/// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?;
/// let store = PostgresStore::connect(&options, StoreKeys::from_env("UNIBOX_VAULT_KEYS")?).await?;
/// let tenants = store.lifecycle().tenants().await?;
/// # drop(tenants);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresLifecycle {
    inbox: Arc<PostgresInbox>,
    vault: Arc<Vault>,
}

impl PostgresLifecycle {
    /// Lifecycle work over `inbox`, shredding keys in `vault` (the vault whose data keys the
    /// inbox seals with).
    pub fn new(inbox: Arc<PostgresInbox>, vault: Arc<Vault>) -> Self {
        PostgresLifecycle { inbox, vault }
    }
}

impl fmt::Debug for PostgresLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLifecycle").field("inbox", &self.inbox).finish_non_exhaustive()
    }
}

#[async_trait]
impl DataLifecycle for PostgresLifecycle {
    async fn tenants(&self) -> Result<Vec<TenantId>> {
        const OP: &str = "postgres.lifecycle.tenants";
        self.inbox
            .db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    // The one listing across tenants, through the owner's function.
                    let rows = tx.query("SELECT tenant FROM unibox_lifecycle_tenants()", &[]).await.during(OP)?;
                    rows.iter()
                        .map(|row| TenantId::new(row.get::<_, &str>(0)).map_err(|_| corrupt(OP, "tenant id")))
                        .collect()
                })
            })
            .await
    }

    async fn expired(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        before: Timestamp,
        after: Option<ExpiredCursor>,
        limit: usize,
    ) -> Result<Vec<ExpiredRecord>> {
        const OP: &str = "postgres.lifecycle.expired";
        let owner = tenant.clone();
        self.inbox
            .db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { retention::expired(tx, &owner, kind, before, after, limit).await })
            })
            .await
    }

    async fn delete_records(&self, tenant: &TenantId, records: &[RecordRef]) -> Result<u64> {
        const OP: &str = "postgres.lifecycle.delete_records";
        let (owner, records) = (tenant.clone(), records.to_vec());
        self.inbox
            .db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { retention::delete_records(tx, &owner, &records).await })
            })
            .await
    }

    async fn purge_logs(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        limit: usize,
        dry_run: bool,
    ) -> Result<PurgeCounts> {
        const OP: &str = "postgres.lifecycle.purge_logs";
        let owner = tenant.clone();
        self.inbox
            .db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { retention::purge_logs(tx, &owner, before, limit, dry_run).await })
            })
            .await
    }

    async fn erase_contact(&self, tenant: &TenantId, contact: ContactId, limit: usize) -> Result<ErasureStep> {
        const OP: &str = "postgres.lifecycle.erase_contact";
        // The contact's identities are sealed, and the payloads naming them too: opened with
        // the tenant's seal (read: an erasure never creates a key).
        let seal = self.inbox.keys.seal(tenant, Access::Read).await?;
        let owner = tenant.clone();
        self.inbox
            .db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { erasure::erase_contact(tx, &seal, &owner, contact, limit).await })
            })
            .await
    }

    async fn delete_tenant(&self, tenant: &TenantId, limit: usize) -> Result<ErasureStep> {
        const OP: &str = "postgres.lifecycle.delete_tenant";
        let owner = tenant.clone();
        self.inbox
            .db
            .tenant_tx(OP, tenant, move |tx| Box::pin(async move { erasure::delete_tenant(tx, &owner, limit).await }))
            .await
    }

    async fn shred_tenant(&self, tenant: &TenantId) -> Result<()> {
        self.vault.shred_tenant(tenant).await.map(|_| ())
    }

    /// Nothing to do on PostgreSQL: autovacuum returns the deleted rows' space to their tables
    /// (`VACUUM` needs the tables' owner and cannot run inside a transaction, and the
    /// application role is neither). Keep autovacuum on, as PostgreSQL's default is.
    async fn reclaim_space(&self) -> Result<()> {
        Ok(())
    }
}
