//! [`AuditLog`] for [`SqliteInbox`]: the per-tenant hash chains in the inbox file (tables
//! `audit_log` and `audit_checkpoints`, schema version 4).
//!
//! An append is a job of the writer thread: it reads the head of the tenant's chain, links the
//! record and inserts it inside the group-commit transaction, so appends of one tenant are
//! serialized without a lock and concurrent appends share one disk flush. `Ok` means durable.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::audit::{
    AuditHash, AuditLog, AuditOutcome, AuditPage, AuditQuery, AuditRecord, ChainedRecord, Checkpoint,
};
use unibox_core::inbox::MAX_PAGE_SIZE;
use unibox_core::{Actor, Error, ErrorKind, Principal, Result, TenantId, Timestamp};

use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

const COLUMNS: &str = "seq, at, actor_type, actor, role, action, target, outcome, detail, prev_hash, hash";

struct AuditRow {
    seq: i64,
    at: i64,
    actor_type: String,
    actor: String,
    role: Option<String>,
    action: String,
    target: String,
    outcome: String,
    detail: Option<String>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: row.get(0)?,
        at: row.get(1)?,
        actor_type: row.get(2)?,
        actor: row.get(3)?,
        role: row.get(4)?,
        action: row.get(5)?,
        target: row.get(6)?,
        outcome: row.get(7)?,
        detail: row.get(8)?,
        prev_hash: row.get(9)?,
        hash: row.get(10)?,
    })
}

/// A stored row back as a record, exactly as stored: verification must see tampered rows as
/// they are, so only rows that cannot be represented at all are errors.
fn record_from(tenant: &TenantId, row: AuditRow, operation: &'static str) -> Result<ChainedRecord> {
    let actor = match (row.actor_type.as_str(), &row.role) {
        ("user", Some(role)) => Actor::user(
            tenant.clone(),
            row.actor.parse().map_err(|_| corrupt(operation, "audit actor"))?,
            role.parse().map_err(|_| corrupt(operation, "audit role"))?,
        ),
        ("automation", _) => Actor::automation(tenant.clone(), row.actor),
        _ => return Err(corrupt(operation, "audit actor type")),
    };
    let detail = row.detail.unwrap_or_default();
    let outcome = match row.outcome.as_str() {
        "success" => AuditOutcome::Success,
        "denied" => AuditOutcome::Denied { reason: detail },
        "failed" => AuditOutcome::Failed { error: detail },
        _ => return Err(corrupt(operation, "audit outcome")),
    };
    Ok(ChainedRecord {
        seq: u64::try_from(row.seq).map_err(|_| corrupt(operation, "audit seq"))?,
        record: AuditRecord {
            tenant: tenant.clone(),
            actor,
            action: row.action,
            target: row.target,
            at: Timestamp::from_unix_millis(row.at),
            outcome,
        },
        prev_hash: AuditHash::from_slice(&row.prev_hash).map_err(|e| e.with_operation(operation))?,
        hash: AuditHash::from_slice(&row.hash).map_err(|e| e.with_operation(operation))?,
    })
}

fn head(conn: &Connection, tenant: &TenantId, operation: &'static str) -> Result<Option<(u64, AuditHash)>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1")
        .during(operation)?
        .query_row([tenant.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .during(operation)?;
    row.map(|(seq, hash)| {
        Ok((u64::try_from(seq).map_err(|_| corrupt(operation, "audit seq"))?, AuditHash::from_slice(&hash)?))
    })
    .transpose()
}

fn insert(conn: &Connection, chained: &ChainedRecord, operation: &'static str) -> Result<()> {
    let r = &chained.record;
    let (actor_type, actor, role) = match r.actor.principal() {
        Principal::User { id, role } => ("user", id.as_str(), Some(role.as_str())),
        Principal::Automation { name } => ("automation", name.as_str(), None),
    };
    let (outcome, detail) = match &r.outcome {
        AuditOutcome::Success => ("success", None),
        AuditOutcome::Denied { reason } => ("denied", Some(reason.as_str())),
        AuditOutcome::Failed { error } => ("failed", Some(error.as_str())),
    };
    let seq = i64::try_from(chained.seq).map_err(|_| corrupt(operation, "audit seq"))?;
    conn.prepare_cached(
        "INSERT INTO audit_log (tenant, seq, at, actor_type, actor, role, action, target, outcome, detail, \
         prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .during(operation)?
    .execute(params![
        r.tenant.as_str(),
        seq,
        r.at.as_unix_millis(),
        actor_type,
        actor,
        role,
        r.action,
        r.target,
        outcome,
        detail,
        chained.prev_hash.as_bytes().as_slice(),
        chained.hash.as_bytes().as_slice(),
    ])
    .during(operation)?;
    Ok(())
}

/// Builds the query's WHERE clause and parameters; every filter is tenant-scoped.
fn query_sql(query: &AuditQuery) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE tenant = ?1");
    let mut values: Vec<Value> = Vec::new();
    let mut add = |clause: &str, value: Value| {
        values.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", values.len() + 1));
    };
    if let Some(actor) = &query.actor {
        add("actor =", Value::Text(actor.clone()));
    }
    if let Some(target) = &query.target {
        add("target =", Value::Text(target.clone()));
    }
    if let Some(action) = &query.action {
        add("action =", Value::Text(action.clone()));
    }
    if let Some(since) = query.since {
        add("at >=", Value::Integer(since.as_unix_millis()));
    }
    if let Some(until) = query.until {
        add("at <", Value::Integer(until.as_unix_millis()));
    }
    if let Some(before) = query.before_seq {
        add("seq <", Value::Integer(i64::try_from(before).unwrap_or(i64::MAX)));
    }
    values.push(Value::Integer(i64::try_from(query.limit.min(MAX_PAGE_SIZE) + 1).unwrap_or(i64::MAX)));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", values.len() + 1));
    (sql, values)
}

#[async_trait]
impl AuditLog for SqliteInbox {
    async fn append(&self, record: AuditRecord) -> Result<ChainedRecord> {
        const OP: &str = "sqlite.audit.append";
        if record.actor.tenant() != &record.tenant {
            return Err(Error::new(ErrorKind::InvalidInput, "an audit record's actor acts in another tenant")
                .with_operation(OP));
        }
        self.writer
            .write(OP, move |conn| {
                let chained = ChainedRecord::link(head(conn, &record.tenant, OP)?, record);
                insert(conn, &chained, OP)?;
                Ok(chained)
            })
            .await
    }

    async fn head(&self, tenant: &TenantId) -> Result<Option<(u64, AuditHash)>> {
        const OP: &str = "sqlite.audit.head";
        let tenant = tenant.clone();
        self.read(OP, move |conn| head(conn, &tenant, OP)).await
    }

    async fn chain(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<ChainedRecord>> {
        const OP: &str = "sqlite.audit.chain";
        let tenant = tenant.clone();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(OP, move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM audit_log WHERE tenant = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                ))
                .during(OP)?
                .query_map(params![tenant.as_str(), after, limit], read_row)
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            rows.into_iter().map(|row| record_from(&tenant, row, OP)).collect()
        })
        .await
    }

    async fn query(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage> {
        const OP: &str = "sqlite.audit.query";
        query.validate()?;
        let tenant = tenant.clone();
        let limit = query.limit.min(MAX_PAGE_SIZE);
        let (sql, values) = query_sql(query);
        self.read(OP, move |conn| {
            let mut params: Vec<rusqlite::types::Value> = vec![rusqlite::types::Value::Text(tenant.to_string())];
            params.extend(values);
            let rows = conn
                .prepare_cached(&sql)
                .during(OP)?
                .query_map(rusqlite::params_from_iter(params), read_row)
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            let mut items = rows.into_iter().map(|row| record_from(&tenant, row, OP)).collect::<Result<Vec<_>>>()?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|r| r.seq)
            } else {
                None
            };
            Ok(AuditPage { items, next })
        })
        .await
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()> {
        const OP: &str = "sqlite.audit.save_checkpoint";
        let checkpoint = checkpoint.clone();
        let seq = i64::try_from(checkpoint.seq).map_err(|_| corrupt(OP, "checkpoint seq"))?;
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO audit_checkpoints (tenant, seq, hash, at, key_id, signature) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .during(OP)?
                .execute(params![
                    checkpoint.tenant.as_str(),
                    seq,
                    checkpoint.hash.as_bytes().as_slice(),
                    checkpoint.at.as_unix_millis(),
                    checkpoint.key_id,
                    checkpoint.signature.as_slice(),
                ])
                .during(OP)?;
                Ok(())
            })
            .await
    }

    async fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<Checkpoint>> {
        const OP: &str = "sqlite.audit.checkpoints";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE tenant = ?1 ORDER BY seq, key_id",
                )
                .during(OP)?
                .query_map([tenant.as_str()], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Vec<u8>>(4)?,
                    ))
                })
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            rows.into_iter()
                .map(|(seq, hash, at, key_id, signature)| {
                    Ok(Checkpoint {
                        tenant: tenant.clone(),
                        seq: u64::try_from(seq).map_err(|_| corrupt(OP, "checkpoint seq"))?,
                        hash: AuditHash::from_slice(&hash)?,
                        at: Timestamp::from_unix_millis(at),
                        key_id,
                        signature: <[u8; 32]>::try_from(signature.as_slice())
                            .map_err(|_| corrupt(OP, "checkpoint signature"))?,
                    })
                })
                .collect()
        })
        .await
    }
}
