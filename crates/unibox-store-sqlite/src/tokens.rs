//! The token vault's storage: [`SealedTokenBackend`] for [`SqliteInbox`].
//!
//! Sealed token sets, refresh leases and wrapped data keys live in the same file as the inbox
//! (tables `vault_*`, schema version 2). Only ciphertext reaches SQLite. The compare-and-swap
//! and the lease are single statements, so they are atomic across every connection and
//! process sharing the file.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use unibox_core::{
    ChannelAccountId, Result, SealedSlot, SealedTokenBackend, SealedTokens, TenantId, Timestamp, WrappedDataKey,
};

use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

fn version(value: i64, operation: &'static str) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(operation, "vault key version"))
}

fn revision(value: i64, operation: &'static str) -> Result<u64> {
    u64::try_from(value).map_err(|_| corrupt(operation, "vault token revision"))
}

fn key_from_row(tenant: TenantId, row: (i64, i64, Vec<u8>), operation: &'static str) -> Result<WrappedDataKey> {
    let (generation, kek_version, wrapped) = row;
    Ok(WrappedDataKey {
        tenant,
        generation: version(generation, operation)?,
        kek_version: version(kek_version, operation)?,
        wrapped,
    })
}

#[async_trait]
impl SealedTokenBackend for SqliteInbox {
    async fn sealed(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<SealedSlot> {
        const OP: &str = "sqlite.vault.sealed";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT sealed, expires_at, revoked_at, revision FROM vault_tokens WHERE tenant = ?1 AND account = ?2",
                )
                .during(OP)?
                .query_row(params![tenant.as_str(), account.as_bytes()], |row| {
                    Ok((
                        row.get::<_, Option<Vec<u8>>>(0)?,
                        row.get::<_, Option<i64>>(1)?,
                        row.get::<_, Option<i64>>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .optional()
                .during(OP)?;
            Ok(match row {
                None => SealedSlot::Missing,
                Some((_, _, Some(at), _)) => SealedSlot::Revoked { at: Timestamp::from_unix_millis(at) },
                Some((Some(sealed), expires_at, None, rev)) => SealedSlot::Active(SealedTokens {
                    sealed,
                    expires_at: expires_at.map(Timestamp::from_unix_millis),
                    revision: revision(rev, OP)?,
                }),
                Some((None, _, None, _)) => return Err(corrupt(OP, "vault token row")),
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
        const OP: &str = "sqlite.vault.put";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let rev: i64 = conn
                    .prepare_cached(
                        "INSERT INTO vault_tokens (tenant, account, sealed, expires_at, revoked_at, revision)
                         VALUES (?1, ?2, ?3, ?4, NULL, 1)
                         ON CONFLICT (tenant, account) DO UPDATE SET
                             sealed = excluded.sealed, expires_at = excluded.expires_at, revoked_at = NULL,
                             revision = vault_tokens.revision + 1
                         RETURNING revision",
                    )
                    .during(OP)?
                    .query_row(
                        params![tenant.as_str(), account.as_bytes(), sealed, expires_at.map(Timestamp::as_unix_millis)],
                        |row| row.get(0),
                    )
                    .during(OP)?;
                revision(rev, OP)
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
        const OP: &str = "sqlite.vault.swap";
        let tenant = tenant.clone();
        let expected = i64::try_from(expected).map_err(|_| corrupt(OP, "vault token revision"))?;
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE vault_tokens SET sealed = ?4, expires_at = ?5, revision = revision + 1
                         WHERE tenant = ?1 AND account = ?2 AND revision = ?3 AND revoked_at IS NULL",
                    )
                    .during(OP)?
                    .execute(params![
                        tenant.as_str(),
                        account.as_bytes(),
                        expected,
                        sealed,
                        expires_at.map(Timestamp::as_unix_millis)
                    ])
                    .during(OP)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn revoke_sealed(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool> {
        const OP: &str = "sqlite.vault.revoke";
        let tenant = tenant.clone();
        let revoked = self
            .writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE vault_tokens SET sealed = NULL, expires_at = NULL, revoked_at = ?3, revision = revision + 1
                         WHERE tenant = ?1 AND account = ?2 AND revoked_at IS NULL",
                    )
                    .during(OP)?
                    .execute(params![tenant.as_str(), account.as_bytes(), at.as_unix_millis()])
                    .during(OP)?;
                Ok(changed == 1)
            })
            .await?;
        if revoked {
            self.purge_write_ahead_log(OP).await;
        }
        Ok(revoked)
    }

    async fn try_lease(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        const OP: &str = "sqlite.vault.lease";
        let (tenant, holder) = (tenant.clone(), holder.to_string());
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "INSERT INTO vault_leases (tenant, account, holder, until) VALUES (?1, ?2, ?3, ?5)
                         ON CONFLICT (tenant, account) DO UPDATE SET holder = excluded.holder, until = excluded.until
                         WHERE vault_leases.holder = excluded.holder OR vault_leases.until <= ?4",
                    )
                    .during(OP)?
                    .execute(params![
                        tenant.as_str(),
                        account.as_bytes(),
                        holder,
                        now.as_unix_millis(),
                        until.as_unix_millis()
                    ])
                    .during(OP)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn release_lease(&self, tenant: &TenantId, account: ChannelAccountId, holder: &str) -> Result<()> {
        const OP: &str = "sqlite.vault.release";
        let (tenant, holder) = (tenant.clone(), holder.to_string());
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached("DELETE FROM vault_leases WHERE tenant = ?1 AND account = ?2 AND holder = ?3")
                    .during(OP)?
                    .execute(params![tenant.as_str(), account.as_bytes(), holder])
                    .during(OP)?;
                Ok(())
            })
            .await
    }

    async fn data_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedDataKey>> {
        const OP: &str = "sqlite.vault.data_keys";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT generation, kek_version, wrapped FROM vault_data_keys WHERE tenant = ?1 ORDER BY generation",
                )
                .during(OP)?
                .query_map(params![tenant.as_str()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            rows.into_iter().map(|row| key_from_row(tenant.clone(), row, OP)).collect()
        })
        .await
    }

    async fn insert_data_key(&self, key: WrappedDataKey) -> Result<bool> {
        const OP: &str = "sqlite.vault.insert_data_key";
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "INSERT INTO vault_data_keys (tenant, generation, kek_version, wrapped) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (tenant, generation) DO NOTHING",
                    )
                    .during(OP)?
                    .execute(params![key.tenant.as_str(), key.generation, key.kek_version, key.wrapped])
                    .during(OP)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn rewrap_data_key(&self, from_kek_version: u32, key: WrappedDataKey) -> Result<bool> {
        const OP: &str = "sqlite.vault.rewrap";
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE vault_data_keys SET kek_version = ?3, wrapped = ?4
                         WHERE tenant = ?1 AND generation = ?2 AND kek_version = ?5",
                    )
                    .during(OP)?
                    .execute(params![
                        key.tenant.as_str(),
                        key.generation,
                        key.kek_version,
                        key.wrapped,
                        from_kek_version
                    ])
                    .during(OP)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn data_keys_not_wrapped_with(&self, kek_version: u32, limit: usize) -> Result<Vec<WrappedDataKey>> {
        const OP: &str = "sqlite.vault.stale_data_keys";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(OP, move |conn| {
            // The one query across tenants: a rotation is an operator's job over the whole file.
            let rows = conn
                .prepare_cached(
                    "SELECT tenant, generation, kek_version, wrapped FROM vault_data_keys
                     WHERE kek_version <> ?1 ORDER BY tenant, generation LIMIT ?2",
                )
                .during(OP)?
                .query_map(params![kek_version, limit], |row| {
                    Ok((row.get::<_, String>(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
                })
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            rows.into_iter()
                .map(|(tenant, row)| {
                    let tenant: TenantId = tenant.parse().map_err(|_| corrupt(OP, "vault tenant"))?;
                    key_from_row(tenant, row, OP)
                })
                .collect()
        })
        .await
    }

    async fn destroy_tenant_keys(&self, tenant: &TenantId) -> Result<u64> {
        const OP: &str = "sqlite.vault.shred";
        let tenant = tenant.clone();
        let destroyed = self
            .writer
            .write(OP, move |conn| {
                let destroyed = conn
                    .execute("DELETE FROM vault_data_keys WHERE tenant = ?1", params![tenant.as_str()])
                    .during(OP)?;
                conn.execute("DELETE FROM vault_tokens WHERE tenant = ?1", params![tenant.as_str()]).during(OP)?;
                conn.execute("DELETE FROM vault_leases WHERE tenant = ?1", params![tenant.as_str()]).during(OP)?;
                Ok(destroyed as u64)
            })
            .await?;
        self.purge_write_ahead_log(OP).await;
        Ok(destroyed)
    }
}

/// How long a purge waits for readers still looking at older snapshots of the log.
const PURGE_PATIENCE: Duration = Duration::from_secs(2);

impl SqliteInbox {
    /// Copies the write-ahead log into the database file and truncates it to zero bytes, so the
    /// key or ciphertext a shred or revoke just removed survives in neither live file:
    /// `secure_delete` overwrote it in the pages, and the log's older frames still held it.
    /// A reader holding an old snapshot can delay this; after [`PURGE_PATIENCE`] it is logged
    /// and left to the next checkpoint (the shred or revoke itself stands either way).
    pub(crate) async fn purge_write_ahead_log(&self, operation: &'static str) {
        let outcome = self
            .writer
            .read(operation, move |conn| {
                let started = std::time::Instant::now();
                loop {
                    let busy: i64 =
                        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0)).during(operation)?;
                    if busy == 0 {
                        return Ok(true);
                    }
                    if started.elapsed() >= PURGE_PATIENCE {
                        return Ok(false);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
            .await;
        match outcome {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                operation,
                "readers kept the SQLite write-ahead log busy; the removed key or ciphertext stays in it until the next full checkpoint"
            ),
            Err(error) => {
                tracing::warn!(operation, %error, "the SQLite write-ahead log could not be truncated after a shred or revoke")
            }
        }
    }
}
