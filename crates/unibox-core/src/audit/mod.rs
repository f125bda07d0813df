//! The audit port: every hub action is recorded with who, what, which and how it ended,
//! never with secrets or message bodies.
//!
//! - [`AuditSink`]: where the hub sends records ([`TracingAuditSink`] by default).
//! - [`AuditLog`]: a durable store that keeps one hash chain per tenant (memory and SQLite).
//! - [`AuditTrail`]: the sink that appends to an [`AuditLog`], signs periodic
//!   [`Checkpoint`]s with an [`AuditKey`], and [verifies](AuditTrail::verify) a tenant's trail:
//!   an edited, deleted, reordered or inserted record, or a log cut short, is found and located.
//! - [`actions`]: the vocabulary of action names; [`targets`]: how targets are named.

pub mod actions;
mod chain;
mod checkpoint;
mod log;
pub mod targets;
mod trail;
mod verify;

use std::fmt;

pub use chain::{AuditHash, ChainedRecord, record_hash};
pub use checkpoint::{AuditKey, Checkpoint};
pub use log::{AuditLog, AuditPage, AuditQuery, actor_name};
pub use trail::{AuditTrail, DEFAULT_CHECKPOINT_EVERY};
pub use verify::{AuditVerification, ChainVerifier, Tamper, TamperKind, verify_chain};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Actor, Result, TenantId, Timestamp};

/// How an audited action ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It happened.
    Success,
    /// The policy refused it.
    Denied {
        /// The denial's message.
        reason: String,
    },
    /// It was allowed but failed.
    Failed {
        /// The error kind's name.
        error: String,
    },
}

/// One audit record.
///
/// ```
/// use unibox_core::audit::{AuditOutcome, AuditRecord};
/// use unibox_core::{Actor, Role, Timestamp};
/// let actor = Actor::user("acme".parse().unwrap(), "agent-7".parse().unwrap(), Role::Agent);
/// let record = AuditRecord::new(&actor, "message.send", "conversation:0190...", Timestamp::from_unix_seconds(1), AuditOutcome::Success);
/// assert_eq!(record.tenant.as_str(), "acme");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// Who acted (with their role at the time).
    pub actor: Actor,
    /// The action, as a dotted verb (`message.send`, `channel.connect`).
    pub action: String,
    /// What it was applied to (`conversation:<id>`).
    pub target: String,
    /// When.
    pub at: Timestamp,
    /// How it ended.
    pub outcome: AuditOutcome,
}

impl AuditRecord {
    /// A record of `actor` doing `action` to `target`.
    pub fn new(actor: &Actor, action: &str, target: impl Into<String>, at: Timestamp, outcome: AuditOutcome) -> Self {
        AuditRecord {
            tenant: actor.tenant().clone(),
            actor: actor.clone(),
            action: action.to_string(),
            target: target.into(),
            at,
            outcome,
        }
    }
}

/// Where audit records go.
#[async_trait]
pub trait AuditSink: Send + Sync + fmt::Debug + 'static {
    /// Appends a record durably.
    async fn record(&self, record: AuditRecord) -> Result<()>;
}

/// Writes audit records to `tracing` at INFO level (target `unibox::audit`). The default sink
/// of a [`Hub`](crate::Hub) until a durable one is configured.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingAuditSink;

#[async_trait]
impl AuditSink for TracingAuditSink {
    async fn record(&self, record: AuditRecord) -> Result<()> {
        let outcome = match &record.outcome {
            AuditOutcome::Success => "success".to_string(),
            AuditOutcome::Denied { reason } => format!("denied: {reason}"),
            AuditOutcome::Failed { error } => format!("failed: {error}"),
        };
        tracing::info!(
            target: "unibox::audit",
            tenant = %record.tenant,
            actor = %record.actor,
            action = %record.action,
            target_id = %record.target,
            at = %record.at,
            outcome = %outcome,
        );
        Ok(())
    }
}
