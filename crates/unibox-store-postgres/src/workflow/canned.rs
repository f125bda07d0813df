//! Canned replies, one row per (tenant, shortcut).

use tokio_postgres::Row;
use unibox_core::workflow::CannedReply;
use unibox_core::{Result, TenantId, Timestamp};

use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::reads::not_found;

pub(crate) async fn save(tx: &Tx<'_>, reply: &CannedReply) -> Result<()> {
    const OP: &str = "postgres.save_canned_reply";
    tx.execute(
        "INSERT INTO canned_replies (tenant, shortcut, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, shortcut) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        &[&reply.tenant.as_str(), &reply.shortcut, &reply.body, &reply.updated_at.as_unix_millis()],
    )
    .await
    .during(OP)?;
    Ok(())
}

fn from_row(row: &Row, tenant: &TenantId) -> CannedReply {
    CannedReply {
        tenant: tenant.clone(),
        shortcut: row.get(0),
        body: row.get(1),
        updated_at: Timestamp::from_unix_millis(row.get(2)),
    }
}

pub(crate) async fn list(tx: &Tx<'_>, tenant: &TenantId) -> Result<Vec<CannedReply>> {
    const OP: &str = "postgres.canned_replies";
    let rows = tx
        .query(
            "SELECT shortcut, body, updated_at FROM canned_replies WHERE tenant = $1 ORDER BY shortcut",
            &[&tenant.as_str()],
        )
        .await
        .during(OP)?;
    Ok(rows.iter().map(|row| from_row(row, tenant)).collect())
}

pub(crate) async fn get(tx: &Tx<'_>, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
    const OP: &str = "postgres.canned_reply";
    tx.query_opt(
        "SELECT shortcut, body, updated_at FROM canned_replies WHERE tenant = $1 AND shortcut = $2",
        &[&tenant.as_str(), &shortcut],
    )
    .await
    .during(OP)?
    .map(|row| from_row(&row, tenant))
    .ok_or_else(|| not_found("canned reply", OP))
}

pub(crate) async fn delete(tx: &Tx<'_>, tenant: &TenantId, shortcut: &str) -> Result<()> {
    const OP: &str = "postgres.delete_canned_reply";
    let deleted = tx
        .execute("DELETE FROM canned_replies WHERE tenant = $1 AND shortcut = $2", &[&tenant.as_str(), &shortcut])
        .await
        .during(OP)?;
    if deleted == 0 {
        return Err(not_found("canned reply", OP));
    }
    Ok(())
}
