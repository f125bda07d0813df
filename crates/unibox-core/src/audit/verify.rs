//! Verification: walks a tenant's chain in order and checks every link, every hash and every
//! signed checkpoint, and names the first record where the log was tampered with.

use std::collections::VecDeque;
use std::fmt;

use crate::TenantId;
use crate::audit::{AuditHash, AuditKey, ChainedRecord, Checkpoint};

/// What is wrong with a chain, at the first position where something is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TamperKind {
    /// The record's content does not hash to its stored hash: it was edited.
    Edited,
    /// The record's seq is past the expected one: records before it were deleted.
    Missing {
        /// The seq that should have come.
        expected: u64,
    },
    /// The record's seq is not the next one (a repeat or one from earlier): a record was
    /// inserted, duplicated or moved.
    OutOfOrder {
        /// The seq that should have come.
        expected: u64,
    },
    /// The record does not link to the record before it: something was inserted or rewritten.
    BrokenLink,
    /// The record belongs to another tenant.
    ForeignTenant,
    /// A checkpoint covers records the log no longer has: the end of the log was cut off.
    Truncated {
        /// The last seq the log has.
        last: u64,
    },
    /// The record's hash differs from the one a checkpoint signed: the chain was rewritten and
    /// rehashed.
    CheckpointMismatch,
    /// A checkpoint's signature does not verify under any key given (forged or altered).
    ForgedCheckpoint,
    /// The chain is intact, but the index the log answers queries from leaves this record out
    /// or misstates it, so queries could hide it ([`AuditLog::check_index`](crate::audit::AuditLog::check_index)).
    IndexMismatch,
}

/// Where and how a chain was tampered with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tamper {
    /// The first seq found bad (for a checkpoint problem, the checkpoint's seq).
    pub seq: u64,
    /// What is wrong.
    pub kind: TamperKind,
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            TamperKind::Edited => "was edited".to_string(),
            TamperKind::Missing { expected } => format!("follows a gap: seq {expected} and after were deleted"),
            TamperKind::OutOfOrder { expected } => format!("is out of order (expected seq {expected})"),
            TamperKind::BrokenLink => "does not link to the record before it".to_string(),
            TamperKind::ForeignTenant => "belongs to another tenant".to_string(),
            TamperKind::Truncated { last } => format!("is signed by a checkpoint, but the log ends at seq {last}"),
            TamperKind::CheckpointMismatch => "differs from the signed checkpoint".to_string(),
            TamperKind::ForgedCheckpoint => "has a checkpoint whose signature does not verify".to_string(),
            TamperKind::IndexMismatch => "is left out or misstated by the query index".to_string(),
        };
        write!(f, "audit record {} {what}", self.seq)
    }
}

/// The result of verifying a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditVerification {
    /// Records checked.
    pub records: u64,
    /// The last record's seq and hash, if any.
    pub head: Option<(u64, AuditHash)>,
    /// Checkpoints whose signature and hash were checked.
    pub checkpoints: usize,
    /// The first problem found, or `None` when the chain is intact.
    pub tamper: Option<Tamper>,
}

impl AuditVerification {
    /// Whether no problem was found.
    pub fn is_intact(&self) -> bool {
        self.tamper.is_none()
    }
}

/// Verifies a chain fed to it record by record, in stored order, so a chain of any length is
/// checked in constant memory.
///
/// ```
/// use unibox_core::audit::{AuditKey, AuditOutcome, AuditRecord, ChainVerifier, ChainedRecord};
/// use unibox_core::{Actor, Timestamp};
/// let actor = Actor::automation("acme".parse().unwrap(), "auto-reply");
/// let key = AuditKey::new("k1", vec![1; 32]).unwrap();
/// let mut chain = Vec::new();
/// for i in 0..3 {
///     let record = AuditRecord::new(&actor, "auto_reply.triggered", format!("conversation:{i}"), Timestamp::from_unix_seconds(i), AuditOutcome::Success);
///     chain.push(ChainedRecord::link(chain.last().map(|r: &ChainedRecord| (r.seq, r.hash)), record));
/// }
/// let checkpoint = key.sign(actor.tenant(), 3, chain[2].hash, Timestamp::from_unix_seconds(9));
/// let mut verifier = ChainVerifier::new(actor.tenant().clone(), vec![checkpoint], &[&key]);
/// for record in &chain { verifier.push(record); }
/// assert!(verifier.finish().is_intact());
/// ```
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    tenant: TenantId,
    keys: Vec<&'k AuditKey>,
    checkpoints: VecDeque<Checkpoint>,
    checked_checkpoints: usize,
    next_seq: u64,
    prev: AuditHash,
    records: u64,
    tamper: Option<Tamper>,
}

impl<'k> ChainVerifier<'k> {
    /// A verifier for `tenant`'s chain from its first record, with the stored checkpoints and
    /// the keys that may have signed them.
    pub fn new(tenant: TenantId, mut checkpoints: Vec<Checkpoint>, keys: &[&'k AuditKey]) -> Self {
        checkpoints.sort_by_key(|c| c.seq);
        let mut verifier = ChainVerifier {
            tenant,
            keys: keys.to_vec(),
            checkpoints: VecDeque::new(),
            checked_checkpoints: 0,
            next_seq: 1,
            prev: AuditHash::GENESIS,
            records: 0,
            tamper: None,
        };
        for checkpoint in checkpoints {
            if checkpoint.tenant != verifier.tenant || !verifier.keys.iter().any(|key| key.verifies(&checkpoint)) {
                verifier.fail(checkpoint.seq, TamperKind::ForgedCheckpoint);
            }
            verifier.checkpoints.push_back(checkpoint);
        }
        verifier
    }

    fn fail(&mut self, seq: u64, kind: TamperKind) {
        // Keep the earliest problem: that is where the log stopped being trustworthy.
        if self.tamper.as_ref().is_none_or(|t| seq < t.seq) {
            self.tamper = Some(Tamper { seq, kind });
        }
    }

    /// Checks the next record. Returns false once a problem was found before this record
    /// (further records cannot change the verdict).
    pub fn push(&mut self, record: &ChainedRecord) -> bool {
        if self.tamper.as_ref().is_some_and(|t| t.seq < self.next_seq) {
            return false;
        }
        self.records += 1;
        let expected = self.next_seq;
        if record.record.tenant != self.tenant || record.record.actor.tenant() != &self.tenant {
            self.fail(expected, TamperKind::ForeignTenant);
        } else if record.seq > expected {
            self.fail(expected, TamperKind::Missing { expected });
        } else if record.seq < expected {
            self.fail(expected, TamperKind::OutOfOrder { expected });
        } else if record.prev_hash != self.prev {
            self.fail(expected, TamperKind::BrokenLink);
        } else if !record.hash_matches() {
            self.fail(expected, TamperKind::Edited);
        }
        while let Some(checkpoint) = self.checkpoints.front() {
            if checkpoint.seq > record.seq {
                break;
            }
            if checkpoint.seq == record.seq && checkpoint.hash != record.hash {
                self.fail(record.seq, TamperKind::CheckpointMismatch);
            }
            self.checked_checkpoints += 1;
            self.checkpoints.pop_front();
        }
        self.prev = record.hash;
        self.next_seq = expected + 1;
        true
    }

    /// The verdict, once every record was pushed.
    pub fn finish(mut self) -> AuditVerification {
        let last = self.next_seq - 1;
        if let Some(checkpoint) = self.checkpoints.front().cloned() {
            self.fail(checkpoint.seq.min(last + 1), TamperKind::Truncated { last });
        }
        AuditVerification {
            records: self.records,
            head: (last > 0).then_some((last, self.prev)),
            checkpoints: self.checked_checkpoints,
            tamper: self.tamper,
        }
    }
}

/// Verifies a whole chain held in memory; see [`ChainVerifier`].
pub fn verify_chain(
    tenant: &TenantId,
    records: &[ChainedRecord],
    checkpoints: Vec<Checkpoint>,
    keys: &[&AuditKey],
) -> AuditVerification {
    let mut verifier = ChainVerifier::new(tenant.clone(), checkpoints, keys);
    for record in records {
        if !verifier.push(record) {
            break;
        }
    }
    verifier.finish()
}
