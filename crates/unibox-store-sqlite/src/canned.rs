//! Canned replies, one row per (tenant, shortcut).

use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::workflow::CannedReply;
use unibox_core::{Result, TenantId, Timestamp};

use crate::error::SqlResultExt;
use crate::queries::not_found;

pub(crate) fn save(conn: &Connection, reply: &CannedReply) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO canned_replies (tenant, shortcut, body, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (tenant, shortcut) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .during("sqlite.save_canned_reply")?
    .execute(params![reply.tenant.as_str(), reply.shortcut, reply.body, reply.updated_at.as_unix_millis()])
    .during("sqlite.save_canned_reply")?;
    Ok(())
}

fn from_row(row: &Row<'_>, tenant: &TenantId) -> rusqlite::Result<CannedReply> {
    Ok(CannedReply {
        tenant: tenant.clone(),
        shortcut: row.get(0)?,
        body: row.get(1)?,
        updated_at: Timestamp::from_unix_millis(row.get(2)?),
    })
}

pub(crate) fn list(conn: &Connection, tenant: &TenantId) -> Result<Vec<CannedReply>> {
    const OP: &str = "sqlite.canned_replies";
    let mut statement = conn
        .prepare_cached("SELECT shortcut, body, updated_at FROM canned_replies WHERE tenant = ?1 ORDER BY shortcut")
        .during(OP)?;
    let rows = statement.query_map(params![tenant.as_str()], |row| from_row(row, tenant)).during(OP)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
    const OP: &str = "sqlite.canned_reply";
    conn.prepare_cached("SELECT shortcut, body, updated_at FROM canned_replies WHERE tenant = ?1 AND shortcut = ?2")
        .during(OP)?
        .query_row(params![tenant.as_str(), shortcut], |row| from_row(row, tenant))
        .optional()
        .during(OP)?
        .ok_or_else(|| not_found("canned reply", OP))
}

pub(crate) fn delete(conn: &Connection, tenant: &TenantId, shortcut: &str) -> Result<()> {
    const OP: &str = "sqlite.delete_canned_reply";
    let deleted = conn
        .prepare_cached("DELETE FROM canned_replies WHERE tenant = ?1 AND shortcut = ?2")
        .during(OP)?
        .execute(params![tenant.as_str(), shortcut])
        .during(OP)?;
    if deleted == 0 {
        return Err(not_found("canned reply", OP));
    }
    Ok(())
}
