//! Audit records as rows of `audit_log` and back, exactly as the SQLite store writes them.

use tokio_postgres::Row;
use unibox_core::audit::{AuditHash, AuditOutcome, AuditRecord, ChainedRecord, Checkpoint};
use unibox_core::{Actor, Principal, Result, TenantId, Timestamp};

use crate::error::corrupt;

/// The columns [`record_from`] reads, in order.
pub(super) const COLUMNS: &str = "seq, at, actor_type, actor, role, action, target, outcome, detail, prev_hash, hash";

/// The columns of a record besides its tenant, as [`insert`](super) writes them.
pub(crate) struct Columns<'r> {
    pub(crate) seq: i64,
    pub(crate) at: i64,
    pub(crate) actor_type: &'static str,
    pub(crate) actor: &'r str,
    pub(crate) role: Option<&'r str>,
    pub(crate) action: &'r str,
    pub(crate) target: &'r str,
    pub(crate) outcome: &'static str,
    pub(crate) detail: Option<&'r str>,
}

impl<'r> Columns<'r> {
    /// The columns of `chained`.
    pub(crate) fn of(chained: &'r ChainedRecord, operation: &'static str) -> Result<Self> {
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
        Ok(Columns {
            seq: i64::try_from(chained.seq).map_err(|_| corrupt(operation, "audit seq"))?,
            at: r.at.as_unix_millis(),
            actor_type,
            actor,
            role,
            action: &r.action,
            target: &r.target,
            outcome,
            detail,
        })
    }
}

/// A row of [`COLUMNS`] back as a record, exactly as stored: verification must see tampered
/// rows as they are, so only rows that cannot be represented at all are errors.
pub(super) fn record_from(tenant: &TenantId, row: &Row, operation: &'static str) -> Result<ChainedRecord> {
    let actor_type: &str = row.get(2);
    let actor: String = row.get(3);
    let role: Option<String> = row.get(4);
    let actor = match (actor_type, role) {
        ("user", Some(role)) => Actor::user(
            tenant.clone(),
            actor.parse().map_err(|_| corrupt(operation, "audit actor"))?,
            role.parse().map_err(|_| corrupt(operation, "audit role"))?,
        ),
        ("automation", _) => Actor::automation(tenant.clone(), actor),
        _ => return Err(corrupt(operation, "audit actor type")),
    };
    let detail: Option<String> = row.get(8);
    let detail = detail.unwrap_or_default();
    let outcome = match row.get::<_, &str>(7) {
        "success" => AuditOutcome::Success,
        "denied" => AuditOutcome::Denied { reason: detail },
        "failed" => AuditOutcome::Failed { error: detail },
        _ => return Err(corrupt(operation, "audit outcome")),
    };
    Ok(ChainedRecord {
        seq: u64::try_from(row.get::<_, i64>(0)).map_err(|_| corrupt(operation, "audit seq"))?,
        record: AuditRecord {
            tenant: tenant.clone(),
            actor,
            action: row.get(5),
            target: row.get(6),
            at: Timestamp::from_unix_millis(row.get(1)),
            outcome,
        },
        prev_hash: hash(row.get(9), operation)?,
        hash: hash(row.get(10), operation)?,
    })
}

/// A stored hash.
pub(super) fn hash(bytes: &[u8], operation: &'static str) -> Result<AuditHash> {
    AuditHash::from_slice(bytes).map_err(|_| corrupt(operation, "audit hash"))
}

/// A row of `seq, hash, at, key_id, signature` of `audit_checkpoints` back as a checkpoint.
pub(super) fn checkpoint_from(tenant: &TenantId, row: &Row, operation: &'static str) -> Result<Checkpoint> {
    Ok(Checkpoint {
        tenant: tenant.clone(),
        seq: u64::try_from(row.get::<_, i64>(0)).map_err(|_| corrupt(operation, "checkpoint seq"))?,
        hash: hash(row.get(1), operation)?,
        at: Timestamp::from_unix_millis(row.get(2)),
        key_id: row.get(3),
        signature: <[u8; 32]>::try_from(row.get::<_, &[u8]>(4))
            .map_err(|_| corrupt(operation, "checkpoint signature"))?,
    })
}
