//! [`AuditLog`] for [`SqliteInbox`]: the per-tenant hash chains in the inbox file (tables
//! `audit_log` and `audit_checkpoints`, schema version 4; `audit_index`, version 8).
//!
//! Appends are jobs of the writer thread: a job reads the head of the tenant's chain, links the
//! records and inserts them inside the group-commit transaction, so appends of one tenant are
//! serialized without a lock and concurrent appends share one disk flush. `Ok` means durable.
//! Appends waiting at the same time share one job ([`AuditAppends`]).
//!
//! `audit_log` has only its primary key, so an append writes to the end of one B-tree. The
//! fields queries filter on (actor, target, action, time) are indexed a block of
//! [`INDEX_BLOCK`] records at a time: the append that completes a block copies the block into
//! `audit_index`, in the same transaction. Indexing each record as it came rewrote a page of
//! the actor and target indexes for every distinct actor and target of each group commit, most
//! of an append's disk writes; a block rewrites each such page once. A query reads the indexed
//! records through `audit_index` and the records after the last block (fewer than
//! [`INDEX_BLOCK`]) from `audit_log` directly.

mod appends;

pub(crate) use appends::AuditAppends;

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

/// [`COLUMNS`] of `audit_log AS l`, for the query that finds records through `audit_index`.
const JOINED_COLUMNS: &str =
    "l.seq, l.at, l.actor_type, l.actor, l.role, l.action, l.target, l.outcome, l.detail, l.prev_hash, l.hash";

/// How many records `audit_index` takes at a time; a query reads fewer than this many records
/// of a tenant without the index. Larger blocks write fewer index pages per append and make
/// queries scan a longer tail: with 64 appenders, blocks of 1,024 took a quarter less CPU time
/// per append than blocks of 256, and a tail of 960 records added about 65 µs to a query.
pub(crate) const INDEX_BLOCK: u64 = 1024;

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
    let row: Option<(i64, Result<AuditHash>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1")
        .during(operation)?
        .query_row([tenant.as_str()], |row| Ok((row.get(0)?, AuditHash::from_slice(row.get_ref(1)?.as_blob()?))))
        .optional()
        .during(operation)?;
    row.map(|(seq, hash)| Ok((u64::try_from(seq).map_err(|_| corrupt(operation, "audit seq"))?, hash?))).transpose()
}

pub(crate) fn insert(conn: &Connection, chained: &ChainedRecord, operation: &'static str) -> Result<()> {
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

/// Indexes the records of `tenant`'s chain after the last indexed one, up to `seq`.
pub(crate) fn index_block(conn: &Connection, tenant: &TenantId, seq: i64, operation: &'static str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_index (tenant, seq, at, actor, action, target) \
         SELECT tenant, seq, at, actor, action, target FROM audit_log \
         WHERE tenant = ?1 AND seq <= ?2 \
         AND seq > (SELECT coalesce(max(seq), 0) FROM audit_index WHERE tenant = ?1)",
    )
    .during(operation)?
    .execute(params![tenant.as_str(), seq])
    .during(operation)?;
    Ok(())
}

/// The last indexed seq of `tenant`'s chain (0: none).
fn indexed_up_to(conn: &Connection, tenant: &TenantId, operation: &'static str) -> Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM audit_index WHERE tenant = ?1")
        .during(operation)?
        .query_row([tenant.as_str()], |row| row.get(0))
        .during(operation)
}

/// A query as SQL: `?1` is the tenant, `?2` the last indexed seq, then the filters' values,
/// then the row limit.
struct QuerySql {
    tenant: TenantId,
    /// The records after the last indexed one, from `audit_log` (by its primary key).
    tail: String,
    /// The indexed records, found through `audit_index` (by whichever of its indexes fits).
    indexed: String,
    /// The filters' values, `?3` onwards.
    values: Vec<rusqlite::types::Value>,
}

impl QuerySql {
    /// Every filter is tenant-scoped (`?1`) and compares `audit_index`'s copy of the fields,
    /// which is the same as `audit_log`'s.
    fn new(tenant: &TenantId, query: &AuditQuery) -> Self {
        use rusqlite::types::Value;
        // Each filter starts with its column, so it can be qualified with a table alias.
        let mut filters: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut add = |filter: &str, value: Value| {
            values.push(value);
            filters.push(format!("{filter} ?{}", values.len() + 2));
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
        let limit = values.len() + 3;
        let clauses = |alias: &str| filters.iter().map(|filter| format!(" AND {alias}{filter}")).collect::<String>();
        let tail = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE tenant = ?1 AND seq > ?2{} ORDER BY seq DESC LIMIT ?{limit}",
            clauses("")
        );
        // CROSS JOIN: `audit_index` drives, so its indexes choose the records.
        let indexed = format!(
            "SELECT {JOINED_COLUMNS} FROM audit_index AS i CROSS JOIN audit_log AS l \
             ON l.tenant = i.tenant AND l.seq = i.seq \
             WHERE i.tenant = ?1 AND i.seq <= ?2{} ORDER BY i.seq DESC LIMIT ?{limit}",
            clauses("i.")
        );
        QuerySql { tenant: tenant.clone(), tail, indexed, values }
    }

    /// Up to `limit` rows of `sql` (`tail` or `indexed`) with records up to `indexed` indexed.
    fn rows(&self, conn: &Connection, sql: &str, indexed: i64, limit: usize) -> Result<Vec<AuditRow>> {
        use rusqlite::types::Value;
        const OP: &str = "sqlite.audit.query";
        let head = [Value::Text(self.tenant.to_string()), Value::Integer(indexed)];
        let limit = Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX));
        let params = head.iter().chain(&self.values).chain(std::iter::once(&limit));
        conn.prepare_cached(sql)
            .during(OP)?
            .query_map(rusqlite::params_from_iter(params), read_row)
            .during(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .during(OP)
    }
}

#[async_trait]
impl AuditLog for SqliteInbox {
    async fn append(&self, record: AuditRecord) -> Result<ChainedRecord> {
        const OP: &str = "sqlite.audit.append";
        if record.actor.tenant() != &record.tenant {
            return Err(Error::new(ErrorKind::InvalidInput, "an audit record's actor acts in another tenant")
                .with_operation(OP));
        }
        self.audit.append(&self.writer, record).await
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
        let limit = query.limit.min(MAX_PAGE_SIZE);
        let sql = QuerySql::new(tenant, query);
        let before = query.before_seq;
        // Without a filter on the indexed fields, `audit_log`'s primary key is the index.
        let unfiltered = query.actor.is_none()
            && query.target.is_none()
            && query.action.is_none()
            && query.since.is_none()
            && query.until.is_none();
        self.read(OP, move |conn| {
            // Records after the indexed ones are newer: they come first. Records stay once
            // written, and a block is indexed in one transaction, so everything up to
            // `indexed` is in the index whatever the two queries see later.
            let indexed = if unfiltered { 0 } else { indexed_up_to(conn, &sql.tenant, OP)? };
            let mut rows = Vec::new();
            if before.is_none_or(|before| i64::try_from(before).unwrap_or(i64::MAX) > indexed + 1) {
                rows = sql.rows(conn, &sql.tail, indexed, limit + 1)?;
            }
            if rows.len() <= limit && indexed > 0 {
                rows.extend(sql.rows(conn, &sql.indexed, indexed, limit + 1 - rows.len())?);
            }
            let mut items =
                rows.into_iter().map(|row| record_from(&sql.tenant, row, OP)).collect::<Result<Vec<_>>>()?;
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

    async fn check_index(&self, tenant: &TenantId) -> Result<Option<u64>> {
        const OP: &str = "sqlite.audit.check_index";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            // An index row that is not its record's fields, or a record up to the last indexed
            // one without an index row: either way queries would answer wrongly.
            let first: Option<i64> = conn
                .prepare_cached(
                    "SELECT min(seq) FROM ( \
                       SELECT i.seq FROM audit_index AS i LEFT JOIN audit_log AS l \
                         ON l.tenant = i.tenant AND l.seq = i.seq \
                       WHERE i.tenant = ?1 AND (l.seq IS NULL OR l.at IS NOT i.at OR l.actor IS NOT i.actor \
                         OR l.action IS NOT i.action OR l.target IS NOT i.target) \
                       UNION ALL \
                       SELECT l.seq FROM audit_log AS l \
                       WHERE l.tenant = ?1 \
                         AND l.seq <= (SELECT coalesce(max(seq), 0) FROM audit_index WHERE tenant = ?1) \
                         AND NOT EXISTS (SELECT 1 FROM audit_index AS i WHERE i.tenant = l.tenant AND i.seq = l.seq))",
                )
                .during(OP)?
                .query_row([tenant.as_str()], |row| row.get(0))
                .during(OP)?;
            first.map(|seq| u64::try_from(seq).map_err(|_| corrupt(OP, "audit seq"))).transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `sql` as SQLite's `EXPLAIN QUERY PLAN` details, one per step.
    fn plan(conn: &Connection, sql: &str, values: usize) -> Vec<String> {
        let params: Vec<rusqlite::types::Value> = (0..values).map(|_| rusqlite::types::Value::Integer(1)).collect();
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = statement.query_map(rusqlite::params_from_iter(params), |row| row.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>().unwrap()
    }

    /// A filter on actor, target or action is answered by its index of `audit_index`, and the
    /// tail by `audit_log`'s primary key: nothing scans a table. (A time window is left to the
    /// planner: walking the primary key newest first stops after a page of matches, the time
    /// index would have to sort the whole window.)
    #[test]
    fn queries_use_an_index_for_each_filter() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let tenant: TenantId = "acme".parse().unwrap();
        let at = Timestamp::from_unix_seconds(1);
        let cases = [
            (AuditQuery::new().actor("ann"), "audit_index_by_actor"),
            (AuditQuery::new().target("conversation:1"), "audit_index_by_target"),
            (AuditQuery::new().action("message.send"), "audit_index_by_action"),
            (AuditQuery::new().since(at).until(at), ""),
            (AuditQuery::new().actor("ann").before_seq(Some(9)), "audit_index_by_actor"),
        ];
        for (query, index) in cases {
            let sql = QuerySql::new(&tenant, &query);
            let values = sql.values.len() + 3;
            let indexed = plan(&conn, &sql.indexed, values);
            assert!(indexed[0].starts_with("SEARCH i USING") && indexed[0].contains(index), "{query:?}: {indexed:?}");
            assert!(indexed[1].contains("PRIMARY KEY"), "{query:?}: {indexed:?}");
            let tail = plan(&conn, &sql.tail, values);
            assert!(tail[0].contains("audit_log USING PRIMARY KEY (tenant=? AND seq>?"), "{query:?}: {tail:?}");
        }
    }
}
