//! The token vault's storage: [`SealedTokenBackend`] for [`PostgresInbox`].
//!
//! Sealed token sets, refresh leases and wrapped data keys are tenant rows (tables `vault_*`,
//! migration 1); only ciphertext reaches PostgreSQL. The compare-and-swap and the lease are
//! single statements, atomic across every connection and process sharing the database. The
//! one query across tenants, the stale keys of a rotation, goes through the owner's
//! `unibox_stale_data_keys` function.
//!
//! A revoke or shred deletes or overwrites the rows at once; PostgreSQL keeps the old row
//! versions in the table's pages (and its write-ahead log) until `VACUUM` and checkpoints
//! reclaim them, as with any deleted data: only ciphertext is ever in them.

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::{
    ChannelAccountId, Result, SealedSlot, SealedTokenBackend, SealedTokens, TenantId, Timestamp, WrappedDataKey,
};

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;

fn version(value: i64, operation: &'static str) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(operation, "vault key version"))
}

fn revision(value: i64, operation: &'static str) -> Result<u64> {
    u64::try_from(value).map_err(|_| corrupt(operation, "vault token revision"))
}

/// A data key from a row of (generation, kek_version, wrapped) starting at column `from`.
fn key_from_row(tenant: TenantId, row: &Row, from: usize, operation: &'static str) -> Result<WrappedDataKey> {
    Ok(WrappedDataKey {
        tenant,
        generation: version(row.get(from), operation)?,
        kek_version: version(row.get(from + 1), operation)?,
        wrapped: row.get(from + 2),
    })
}

fn millis(at: Option<Timestamp>) -> Option<i64> {
    at.map(Timestamp::as_unix_millis)
}

#[async_trait]
impl SealedTokenBackend for PostgresInbox {
    async fn sealed(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<SealedSlot> {
        const OP: &str = "postgres.vault.sealed";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT sealed, expires_at, revoked_at, revision FROM vault_tokens \
                             WHERE tenant = $1 AND account = $2",
                        )
                        .await
                        .during(OP)?;
                    let row = tx.query_opt(&statement, &[&name, &account.as_uuid()]).await.during(OP)?;
                    let Some(row) = row else { return Ok(SealedSlot::Missing) };
                    let (sealed, expires_at, revoked_at, rev): (Option<Vec<u8>>, Option<i64>, Option<i64>, i64) =
                        (row.get(0), row.get(1), row.get(2), row.get(3));
                    Ok(match (sealed, revoked_at) {
                        (_, Some(at)) => SealedSlot::Revoked { at: Timestamp::from_unix_millis(at) },
                        (Some(sealed), None) => SealedSlot::Active(SealedTokens {
                            sealed,
                            expires_at: expires_at.map(Timestamp::from_unix_millis),
                            revision: revision(rev, OP)?,
                        }),
                        (None, None) => return Err(corrupt(OP, "vault token row")),
                    })
                })
            })
            .await
    }

    async fn put_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<u64> {
        const OP: &str = "postgres.vault.put";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO vault_tokens AS t (tenant, account, sealed, expires_at, revoked_at, revision) \
                             VALUES ($1, $2, $3, $4, NULL, 1) \
                             ON CONFLICT (tenant, account) DO UPDATE SET sealed = excluded.sealed, \
                               expires_at = excluded.expires_at, revoked_at = NULL, revision = t.revision + 1 \
                             RETURNING revision",
                        )
                        .await
                        .during(OP)?;
                    let row = tx
                        .query_one(&statement, &[&name, &account.as_uuid(), &sealed, &millis(expires_at)])
                        .await
                        .during(OP)?;
                    revision(row.get(0), OP)
                })
            })
            .await
    }

    async fn swap_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        expected: u64,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<bool> {
        const OP: &str = "postgres.vault.swap";
        let name = tenant.as_str().to_owned();
        let expected = i64::try_from(expected).map_err(|_| corrupt(OP, "vault token revision"))?;
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "UPDATE vault_tokens SET sealed = $4, expires_at = $5, revision = revision + 1 \
                             WHERE tenant = $1 AND account = $2 AND revision = $3 AND revoked_at IS NULL",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(&statement, &[&name, &account.as_uuid(), &expected, &sealed, &millis(expires_at)])
                        .await
                        .during(OP)?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn revoke_sealed(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool> {
        const OP: &str = "postgres.vault.revoke";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "UPDATE vault_tokens SET sealed = NULL, expires_at = NULL, revoked_at = $3, \
                               revision = revision + 1 \
                             WHERE tenant = $1 AND account = $2 AND revoked_at IS NULL",
                        )
                        .await
                        .during(OP)?;
                    let changed =
                        tx.execute(&statement, &[&name, &account.as_uuid(), &at.as_unix_millis()]).await.during(OP)?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn try_lease(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        const OP: &str = "postgres.vault.lease";
        let (name, holder) = (tenant.as_str().to_owned(), holder.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    // One statement: concurrent callers serialize on the row (or on the unique
                    // index while it is being inserted), and exactly one of them wins.
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO vault_leases AS l (tenant, account, holder, until) VALUES ($1, $2, $3, $5) \
                             ON CONFLICT (tenant, account) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                             WHERE l.holder = excluded.holder OR l.until <= $4",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(
                            &statement,
                            &[&name, &account.as_uuid(), &holder, &now.as_unix_millis(), &until.as_unix_millis()],
                        )
                        .await
                        .during(OP)?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn release_lease(&self, tenant: &TenantId, account: ChannelAccountId, holder: &str) -> Result<()> {
        const OP: &str = "postgres.vault.release";
        let (name, holder) = (tenant.as_str().to_owned(), holder.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached("DELETE FROM vault_leases WHERE tenant = $1 AND account = $2 AND holder = $3")
                        .await
                        .during(OP)?;
                    tx.execute(&statement, &[&name, &account.as_uuid(), &holder]).await.during(OP)?;
                    Ok(())
                })
            })
            .await
    }

    async fn data_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedDataKey>> {
        const OP: &str = "postgres.vault.data_keys";
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT generation, kek_version, wrapped FROM vault_data_keys WHERE tenant = $1 \
                             ORDER BY generation",
                        )
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&owner.as_str()]).await.during(OP)?;
                    rows.iter().map(|row| key_from_row(owner.clone(), row, 0, OP)).collect()
                })
            })
            .await
    }

    async fn insert_data_key(&self, key: WrappedDataKey) -> Result<bool> {
        const OP: &str = "postgres.vault.insert_data_key";
        let tenant = key.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO vault_data_keys (tenant, generation, kek_version, wrapped) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, generation) DO NOTHING",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(
                            &statement,
                            &[
                                &key.tenant.as_str(),
                                &i64::from(key.generation),
                                &i64::from(key.kek_version),
                                &key.wrapped,
                            ],
                        )
                        .await
                        .during(OP)?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn rewrap_data_key(&self, from_kek_version: u32, key: WrappedDataKey) -> Result<bool> {
        const OP: &str = "postgres.vault.rewrap";
        let tenant = key.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "UPDATE vault_data_keys SET kek_version = $3, wrapped = $4 \
                             WHERE tenant = $1 AND generation = $2 AND kek_version = $5",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(
                            &statement,
                            &[
                                &key.tenant.as_str(),
                                &i64::from(key.generation),
                                &i64::from(key.kek_version),
                                &key.wrapped,
                                &i64::from(from_kek_version),
                            ],
                        )
                        .await
                        .during(OP)?;
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn data_keys_not_wrapped_with(&self, kek_version: u32, limit: usize) -> Result<Vec<WrappedDataKey>> {
        const OP: &str = "postgres.vault.stale_data_keys";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    // The one query across tenants: a rotation is an operator's job over the
                    // whole database, through the owner's function.
                    let rows = tx
                        .query(
                            "SELECT tenant, generation, kek_version, wrapped FROM unibox_stale_data_keys($1, $2)",
                            &[&i64::from(kek_version), &limit],
                        )
                        .await
                        .during(OP)?;
                    rows.iter()
                        .map(|row| {
                            let tenant: TenantId =
                                row.get::<_, &str>(0).parse().map_err(|_| corrupt(OP, "vault tenant"))?;
                            key_from_row(tenant, row, 1, OP)
                        })
                        .collect()
                })
            })
            .await
    }

    async fn destroy_tenant_keys(&self, tenant: &TenantId) -> Result<u64> {
        const OP: &str = "postgres.vault.shred";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let destroyed =
                        tx.execute("DELETE FROM vault_data_keys WHERE tenant = $1", &[&name]).await.during(OP)?;
                    tx.execute("DELETE FROM vault_tokens WHERE tenant = $1", &[&name]).await.during(OP)?;
                    tx.execute("DELETE FROM vault_leases WHERE tenant = $1", &[&name]).await.during(OP)?;
                    Ok(destroyed)
                })
            })
            .await
    }
}
