//! The change log: one small row per change, appended in the transaction of the change.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::changes::{
    Change, ChangeKind, ChangeLog, InboxEvent, Position, check_read_limit, ingest_change, trimmed_error,
};
use unibox_core::inbox::IngestOutcome;
use unibox_core::{ConversationId, Error, ErrorKind, MessageId, Result, TenantId, Timestamp};

use crate::SqliteInbox;
use crate::error::{SqlResultExt, corrupt};

/// Appends one change; returns its position.
pub(crate) fn append(conn: &Connection, change: &Change) -> Result<Position> {
    const OP: &str = "sqlite.changes.append";
    conn.prepare_cached(
        "INSERT INTO changes (tenant, at, kind, conversation, message, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .during(OP)?
    .execute(params![
        change.tenant.as_str(),
        change.at.as_unix_millis(),
        change.kind.as_str(),
        change.conversation.as_ref().map(|c| c.as_bytes()),
        change.message.as_ref().map(|m| m.as_bytes()),
        change.detail,
    ])
    .during(OP)?;
    Ok(Position::new(u64::try_from(conn.last_insert_rowid()).unwrap_or(0)))
}

/// Logs what ingesting one event changed (nothing for a duplicate); called by ingest for every
/// event, in its savepoint. `kind` is the event kind's name, `received_at` in Unix milliseconds.
pub(crate) fn log_ingest(
    conn: &Connection,
    tenant: &TenantId,
    received_at: i64,
    kind: &str,
    outcome: &IngestOutcome,
) -> Result<()> {
    if let Some(change) = ingest_change(tenant, Timestamp::from_unix_millis(received_at), kind, outcome) {
        append(conn, &change)?;
    }
    Ok(())
}

fn read(conn: &Connection, tenant: &TenantId, after: Position, limit: usize) -> Result<Vec<InboxEvent>> {
    const OP: &str = "sqlite.changes.read";
    if let Some(kept_after) = trimmed_through(conn, tenant)?
        && after < kept_after
    {
        return Err(trimmed_error(after, kept_after).with_operation(OP));
    }
    let after = i64::try_from(after.value()).unwrap_or(i64::MAX);
    let mut statement = conn
        .prepare_cached(
            "SELECT position, at, kind, conversation, message, detail FROM changes \
             WHERE tenant = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
        )
        .during(OP)?;
    let rows = statement
        .query_map(params![tenant.as_str(), after, limit as i64], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<[u8; 16]>>(3)?,
                row.get::<_, Option<[u8; 16]>>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })
        .during(OP)?;
    let mut events = Vec::new();
    for row in rows {
        let (position, at, kind, conversation, message, detail) = row.during(OP)?;
        let kind: ChangeKind = kind.parse().map_err(|_| corrupt(OP, "change kind"))?;
        let mut change = Change::new(tenant.clone(), Timestamp::from_unix_millis(at), kind)
            .maybe_conversation(conversation.map(ConversationId::from_bytes));
        change.message = message.map(MessageId::from_bytes);
        change.detail = detail;
        events.push(InboxEvent { position: Position::new(u64::try_from(position).unwrap_or(0)), change });
    }
    Ok(events)
}

fn trimmed_through(conn: &Connection, tenant: &TenantId) -> Result<Option<Position>> {
    let through: Option<i64> = conn
        .prepare_cached("SELECT through FROM change_trims WHERE tenant = ?1")
        .during("sqlite.changes.read")?
        .query_row([tenant.as_str()], |row| row.get(0))
        .optional()
        .during("sqlite.changes.read")?;
    Ok(through.map(|p| Position::new(u64::try_from(p).unwrap_or(0))))
}

fn head(conn: &Connection, tenant: &TenantId) -> Result<Position> {
    let latest: Option<i64> = conn
        .prepare_cached("SELECT max(position) FROM changes WHERE tenant = ?1")
        .during("sqlite.changes.head")?
        .query_row([tenant.as_str()], |row| row.get(0))
        .during("sqlite.changes.head")?;
    match latest {
        Some(position) => Ok(Position::new(u64::try_from(position).unwrap_or(0))),
        None => Ok(trimmed_through(conn, tenant)?.unwrap_or(Position::START)),
    }
}

fn trim(conn: &Connection, tenant: &TenantId, before: Timestamp) -> Result<u64> {
    const OP: &str = "sqlite.changes.trim";
    let last: Option<i64> = conn
        .prepare_cached("SELECT max(position) FROM changes WHERE tenant = ?1 AND at < ?2")
        .during(OP)?
        .query_row(params![tenant.as_str(), before.as_unix_millis()], |row| row.get(0))
        .during(OP)?;
    let Some(last) = last else { return Ok(0) };
    let deleted = conn
        .prepare_cached("DELETE FROM changes WHERE tenant = ?1 AND at < ?2")
        .during(OP)?
        .execute(params![tenant.as_str(), before.as_unix_millis()])
        .during(OP)?;
    conn.prepare_cached(
        "INSERT INTO change_trims (tenant, through) VALUES (?1, ?2) \
         ON CONFLICT (tenant) DO UPDATE SET through = max(through, excluded.through)",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), last])
    .during(OP)?;
    Ok(deleted as u64)
}

#[async_trait]
impl ChangeLog for SqliteInbox {
    async fn append(&self, changes: Vec<Change>) -> Result<Position> {
        if changes.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "nothing to append"));
        }
        self.writer
            .write("sqlite.changes.append", move |conn| {
                let mut last = Position::START;
                for change in &changes {
                    last = append(conn, change)?;
                }
                Ok(last)
            })
            .await
    }

    async fn read(&self, tenant: &TenantId, after: Position, limit: usize) -> Result<Vec<InboxEvent>> {
        check_read_limit(limit)?;
        let tenant = tenant.clone();
        self.read("sqlite.changes.read", move |conn| read(conn, &tenant, after, limit)).await
    }

    async fn head(&self, tenant: &TenantId) -> Result<Position> {
        let tenant = tenant.clone();
        self.read("sqlite.changes.head", move |conn| head(conn, &tenant)).await
    }

    async fn trim(&self, tenant: &TenantId, before: Timestamp) -> Result<u64> {
        let tenant = tenant.clone();
        self.writer.write("sqlite.changes.trim", move |conn| trim(conn, &tenant, before)).await
    }
}
