//! Retention and erasure for SQLite: [`SqliteLifecycle`], the
//! [`DataLifecycle`](unibox_core::lifecycle::DataLifecycle) part of
//! [`SqliteStore`](crate::SqliteStore).
//!
//! Every delete statement of retention and erasure is in this folder: `retention.rs` (expired
//! messages and notes, the logs), `erasure.rs` (a contact, a tenant), and `tables.rs`, the list
//! of tables each operation covers, checked against the schema by a test.
//!
//! Space: new files are created with `auto_vacuum = INCREMENTAL` and older files are switched
//! (one `VACUUM`) when opened (see `connection.rs`); after a purge or erasure
//! [`reclaim_space`](SqliteLifecycle) runs `PRAGMA incremental_vacuum`, prunes applied rows from
//! the inbound journal and truncates both write-ahead logs, so deleted bytes are in no file
//! (`secure_delete` zeroes freed pages; the search index deletes securely too).

mod erasure;
mod retention;
mod tables;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_core::lifecycle::{
    DataLifecycle, ErasureStep, ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef,
};
use unibox_core::{ContactId, Result, TenantId, Timestamp};
use unibox_vault::Vault;

use crate::SqliteInbox;
use crate::error::SqlResultExt;

/// Retention and erasure over a [`SqliteInbox`] and its token [`Vault`] (crypto-shredding),
/// handed to the hub as `Store::lifecycle` by [`SqliteStore`](crate::SqliteStore).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::lifecycle::DataLifecycle;
/// use unibox_store_sqlite::SqliteStore;
/// use unibox_vault::{Keyring, StoreKeys};
/// let dir = tempfile::tempdir().unwrap();
/// let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1))?)?;
/// let store = SqliteStore::open(dir.path().join("inbox.db"), keys).await?;
/// let lifecycle = store.lifecycle();
/// assert!(lifecycle.tenants().await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqliteLifecycle {
    inbox: Arc<SqliteInbox>,
    vault: Vault,
}

impl SqliteLifecycle {
    /// Lifecycle work over `inbox`, shredding keys in `vault`.
    pub fn new(inbox: Arc<SqliteInbox>, vault: Vault) -> Self {
        SqliteLifecycle { inbox, vault }
    }
}

impl fmt::Debug for SqliteLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLifecycle").field("inbox", &self.inbox).finish_non_exhaustive()
    }
}

#[async_trait]
impl DataLifecycle for SqliteLifecycle {
    async fn tenants(&self) -> Result<Vec<TenantId>> {
        const OP: &str = "sqlite.lifecycle.tenants";
        self.inbox
            .read(OP, |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT tenant FROM accounts UNION SELECT tenant FROM privacy_requests \
                         WHERE status_name <> 'completed' ORDER BY 1",
                    )
                    .during(OP)?;
                let rows = statement.query_map([], |row| row.get::<_, String>(0)).during(OP)?;
                let mut tenants = Vec::new();
                for row in rows {
                    let name = row.during(OP)?;
                    tenants.push(TenantId::new(&name).map_err(|_| crate::error::corrupt(OP, "tenant id"))?);
                }
                Ok(tenants)
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
        let tenant = tenant.clone();
        self.inbox
            .read("sqlite.lifecycle.expired", move |conn| retention::expired(conn, &tenant, kind, before, after, limit))
            .await
    }

    async fn delete_records(&self, tenant: &TenantId, records: &[RecordRef]) -> Result<u64> {
        let (tenant, records) = (tenant.clone(), records.to_vec());
        self.inbox.wait_applied("sqlite.lifecycle.delete_records").await?;
        self.inbox
            .writer
            .write("sqlite.lifecycle.delete_records", move |conn| retention::delete_records(conn, &tenant, &records))
            .await
    }

    async fn purge_logs(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        limit: usize,
        dry_run: bool,
    ) -> Result<PurgeCounts> {
        const OP: &str = "sqlite.lifecycle.purge_logs";
        let tenant = tenant.clone();
        if dry_run {
            return self.inbox.read(OP, move |conn| retention::purge_logs(conn, &tenant, before, limit, true)).await;
        }
        self.inbox.wait_applied(OP).await?;
        self.inbox.writer.write(OP, move |conn| retention::purge_logs(conn, &tenant, before, limit, false)).await
    }

    async fn erase_contact(&self, tenant: &TenantId, contact: ContactId, limit: usize) -> Result<ErasureStep> {
        const OP: &str = "sqlite.lifecycle.erase_contact";
        let tenant = tenant.clone();
        self.inbox.wait_applied(OP).await?;
        // Under the tenant's sealer: the contact's identities and the payloads naming them are
        // sealed in a sealed inbox, and are opened to be matched.
        self.inbox
            .write_sealed(OP, &tenant.clone(), move |conn| erasure::erase_contact(conn, &tenant, contact, limit))
            .await
    }

    async fn delete_tenant(&self, tenant: &TenantId, limit: usize) -> Result<ErasureStep> {
        const OP: &str = "sqlite.lifecycle.delete_tenant";
        self.inbox.forget_known_accounts(tenant);
        let owned = tenant.clone();
        self.inbox.wait_applied(OP).await?;
        self.inbox.writer.write(OP, move |conn| erasure::delete_tenant(conn, &owned, limit)).await
    }

    async fn shred_tenant(&self, tenant: &TenantId) -> Result<()> {
        self.vault.shred_tenant(tenant).await.map(|_| ())
    }

    async fn reclaim_space(&self) -> Result<()> {
        const OP: &str = "sqlite.lifecycle.reclaim_space";
        self.inbox.scrub_journal(OP).await?;
        self.inbox
            .writer
            .read(OP, |conn| {
                // The pragma frees pages as it is stepped: step it to the end.
                let mut statement = conn.prepare("PRAGMA incremental_vacuum").during(OP)?;
                let mut rows = statement.query([]).during(OP)?;
                while rows.next().during(OP)?.is_some() {}
                Ok(())
            })
            .await?;
        self.inbox.purge_write_ahead_log(OP).await;
        Ok(())
    }
}
