//! [`AuditLog`] for [`PostgresInbox`]: the per-tenant hash chains (tables `audit_log`,
//! `audit_checkpoints` and `audit_heads`, migration `0020_audit.sql`).
//!
//! An append is one transaction: it locks its tenant's row of `audit_heads`
//! (`SELECT ... FOR UPDATE`, the row created by the tenant's first append), reads the chain's
//! head from `audit_log`, links the record after it and inserts it. Appends of one tenant from
//! any number of pools or processes therefore link one after the other (the chain stays
//! linear), and appends of different tenants never wait for each other. `Ok` means committed.

mod query;
pub(crate) mod rows;

use async_trait::async_trait;
use unibox_core::audit::{AuditHash, AuditLog, AuditPage, AuditQuery, AuditRecord, ChainedRecord, Checkpoint};
use unibox_core::inbox::MAX_PAGE_SIZE;
use unibox_core::{Error, ErrorKind, Result, TenantId};

use self::query::QuerySql;
use self::rows::{COLUMNS, Columns, checkpoint_from, record_from};
use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::pool::Tx;

/// The head of `tenant`'s chain as stored in `audit_log`: its last seq and hash.
async fn head(tx: &Tx<'_>, tenant: &str, operation: &'static str) -> Result<Option<(u64, AuditHash)>> {
    let statement = tx
        .prepare_cached("SELECT seq, hash FROM audit_log WHERE tenant = $1 ORDER BY seq DESC LIMIT 1")
        .await
        .during(operation)?;
    let Some(row) = tx.query_opt(&statement, &[&tenant]).await.during(operation)? else {
        return Ok(None);
    };
    let seq = u64::try_from(row.get::<_, i64>(0)).map_err(|_| corrupt(operation, "audit seq"))?;
    Ok(Some((seq, rows::hash(row.get(1), operation)?)))
}

/// Locks `tenant`'s chain for the rest of the transaction, creating its lock row on the first
/// append (a concurrent first append waits for this one's commit, then finds the row).
pub(crate) async fn lock_chain(tx: &Tx<'_>, tenant: &str, operation: &'static str) -> Result<()> {
    let lock = tx.prepare_cached("SELECT 1 FROM audit_heads WHERE tenant = $1 FOR UPDATE").await.during(operation)?;
    if tx.query_opt(&lock, &[&tenant]).await.during(operation)?.is_some() {
        return Ok(());
    }
    let create = tx
        .prepare_cached("INSERT INTO audit_heads (tenant) VALUES ($1) ON CONFLICT (tenant) DO NOTHING")
        .await
        .during(operation)?;
    tx.execute(&create, &[&tenant]).await.during(operation)?;
    tx.query_one(&lock, &[&tenant]).await.during(operation)?;
    Ok(())
}

/// Inserts `chained` into `audit_log`.
async fn insert(tx: &Tx<'_>, chained: &ChainedRecord, operation: &'static str) -> Result<()> {
    let c = Columns::of(chained, operation)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO audit_log (tenant, seq, at, actor_type, actor, role, action, target, outcome, detail, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .await
        .during(operation)?;
    tx.execute(
        &statement,
        &[
            &chained.record.tenant.as_str(),
            &c.seq,
            &c.at,
            &c.actor_type,
            &c.actor,
            &c.role,
            &c.action,
            &c.target,
            &c.outcome,
            &c.detail,
            &chained.prev_hash.as_bytes().as_slice(),
            &chained.hash.as_bytes().as_slice(),
        ],
    )
    .await
    .during(operation)?;
    Ok(())
}

#[async_trait]
impl AuditLog for PostgresInbox {
    async fn append(&self, record: AuditRecord) -> Result<ChainedRecord> {
        const OP: &str = "postgres.audit.append";
        if record.actor.tenant() != &record.tenant {
            return Err(Error::new(ErrorKind::InvalidInput, "an audit record's actor acts in another tenant")
                .with_operation(OP));
        }
        let tenant = record.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let name = record.tenant.as_str().to_owned();
                    lock_chain(tx, &name, OP).await?;
                    let chained = ChainedRecord::link(head(tx, &name, OP).await?, record);
                    insert(tx, &chained, OP).await?;
                    Ok(chained)
                })
            })
            .await
    }

    async fn head(&self, tenant: &TenantId) -> Result<Option<(u64, AuditHash)>> {
        const OP: &str = "postgres.audit.head";
        let name = tenant.as_str().to_owned();
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { head(tx, &name, OP).await })).await
    }

    async fn chain(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<ChainedRecord>> {
        const OP: &str = "postgres.audit.chain";
        let owned = tenant.clone();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM audit_log WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                        ))
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&owned.as_str(), &after, &limit]).await.during(OP)?;
                    rows.iter().map(|row| record_from(&owned, row, OP)).collect()
                })
            })
            .await
    }

    async fn query(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage> {
        const OP: &str = "postgres.audit.query";
        query.validate()?;
        let limit = query.limit.min(MAX_PAGE_SIZE);
        let sql = QuerySql::new(tenant, query, limit + 1);
        let owned = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx.prepare_cached(&sql.sql).await.during(OP)?;
                    let rows = tx.query(&statement, &sql.params()).await.during(OP)?;
                    let mut items = rows.iter().map(|row| record_from(&owned, row, OP)).collect::<Result<Vec<_>>>()?;
                    let next = if items.len() > limit {
                        items.truncate(limit);
                        items.last().map(|record| record.seq)
                    } else {
                        None
                    };
                    Ok(AuditPage { items, next })
                })
            })
            .await
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()> {
        const OP: &str = "postgres.audit.save_checkpoint";
        let checkpoint = checkpoint.clone();
        let seq = i64::try_from(checkpoint.seq).map_err(|_| corrupt(OP, "checkpoint seq"))?;
        let tenant = checkpoint.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO audit_checkpoints (tenant, seq, hash, at, key_id, signature) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, seq, key_id) DO UPDATE \
                             SET hash = excluded.hash, at = excluded.at, signature = excluded.signature",
                        )
                        .await
                        .during(OP)?;
                    tx.execute(
                        &statement,
                        &[
                            &checkpoint.tenant.as_str(),
                            &seq,
                            &checkpoint.hash.as_bytes().as_slice(),
                            &checkpoint.at.as_unix_millis(),
                            &checkpoint.key_id,
                            &checkpoint.signature.as_slice(),
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(())
                })
            })
            .await
    }

    async fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<Checkpoint>> {
        const OP: &str = "postgres.audit.checkpoints";
        let owned = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE tenant = $1 \
                             ORDER BY seq, key_id",
                        )
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&owned.as_str()]).await.during(OP)?;
                    rows.iter().map(|row| checkpoint_from(&owned, row, OP)).collect()
                })
            })
            .await
    }
}
