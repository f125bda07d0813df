//! The audit chain and its checkpoints, verbatim: the records keep their seq and hashes, so the
//! imported chain still verifies.

use std::collections::HashSet;

use unibox_core::audit::{ChainedRecord, Checkpoint};
use unibox_core::{Error, ErrorKind, Result};

use super::OP;
use super::batch::{batches, part};
use crate::audit::rows::Columns;
use crate::error::PgResultExt;
use crate::pool::Tx;

/// The audit records and checkpoints of an export, as rows of `audit_log` and
/// `audit_checkpoints`.
#[derive(Default)]
pub(super) struct Audit {
    seq: Vec<i64>,
    at: Vec<i64>,
    actor_type: Vec<&'static str>,
    actor: Vec<String>,
    role: Vec<Option<String>>,
    action: Vec<String>,
    target: Vec<String>,
    outcome: Vec<&'static str>,
    detail: Vec<Option<String>>,
    prev_hash: Vec<Vec<u8>>,
    hash: Vec<Vec<u8>>,
    checkpoint_keys: HashSet<(u64, String)>,
    checkpoint_seq: Vec<i64>,
    checkpoint_hash: Vec<Vec<u8>>,
    checkpoint_at: Vec<i64>,
    checkpoint_key_id: Vec<String>,
    checkpoint_signature: Vec<Vec<u8>>,
}

impl Audit {
    /// The next record of the chain: the chain starts at seq 1 and has no gaps.
    pub(super) fn push(&mut self, chained: &ChainedRecord) -> Result<()> {
        if chained.seq != self.seq.len() as u64 + 1 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the audit records do not form a chain from seq 1 without gaps",
            ));
        }
        let columns = Columns::of(chained, OP)?;
        self.seq.push(columns.seq);
        self.at.push(columns.at);
        self.actor_type.push(columns.actor_type);
        self.actor.push(columns.actor.to_owned());
        self.role.push(columns.role.map(str::to_owned));
        self.action.push(columns.action.to_owned());
        self.target.push(columns.target.to_owned());
        self.outcome.push(columns.outcome);
        self.detail.push(columns.detail.map(str::to_owned));
        self.prev_hash.push(chained.prev_hash.as_bytes().to_vec());
        self.hash.push(chained.hash.as_bytes().to_vec());
        Ok(())
    }

    pub(super) fn push_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let seq = i64::try_from(checkpoint.seq)
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "the checkpoint's seq is out of range"))?;
        if !self.checkpoint_keys.insert((checkpoint.seq, checkpoint.key_id.clone())) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "another checkpoint of the export has this seq and key id",
            ));
        }
        self.checkpoint_seq.push(seq);
        self.checkpoint_hash.push(checkpoint.hash.as_bytes().to_vec());
        self.checkpoint_at.push(checkpoint.at.as_unix_millis());
        self.checkpoint_key_id.push(checkpoint.key_id.clone());
        self.checkpoint_signature.push(checkpoint.signature.to_vec());
        Ok(())
    }

    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let records = tx
            .prepare_cached(
                "INSERT INTO audit_log (tenant, seq, at, actor_type, actor, role, action, target, outcome, detail, \
                   prev_hash, hash) \
                 SELECT $1::TEXT, * FROM unnest($2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], \
                   $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BYTEA[], $12::BYTEA[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.seq.len()) {
            tx.execute(
                &records,
                &[
                    &tenant,
                    &part(&self.seq, &rows),
                    &part(&self.at, &rows),
                    &part(&self.actor_type, &rows),
                    &part(&self.actor, &rows),
                    &part(&self.role, &rows),
                    &part(&self.action, &rows),
                    &part(&self.target, &rows),
                    &part(&self.outcome, &rows),
                    &part(&self.detail, &rows),
                    &part(&self.prev_hash, &rows),
                    &part(&self.hash, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        let checkpoints = tx
            .prepare_cached(
                "INSERT INTO audit_checkpoints (tenant, seq, hash, at, key_id, signature) \
                 SELECT $1::TEXT, * FROM unnest($2::BIGINT[], $3::BYTEA[], $4::BIGINT[], $5::TEXT[], $6::BYTEA[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.checkpoint_seq.len()) {
            tx.execute(
                &checkpoints,
                &[
                    &tenant,
                    &part(&self.checkpoint_seq, &rows),
                    &part(&self.checkpoint_hash, &rows),
                    &part(&self.checkpoint_at, &rows),
                    &part(&self.checkpoint_key_id, &rows),
                    &part(&self.checkpoint_signature, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
