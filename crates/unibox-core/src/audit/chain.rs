//! The hash chain: each record's hash covers its canonical encoding and the previous record's
//! hash, so changing, removing, inserting or reordering any record breaks every later link.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{AuditOutcome, AuditRecord};
use crate::{Error, ErrorKind, Principal, Result};

/// A SHA-256 hash in the audit chain. Displays as lowercase hex.
///
/// ```
/// use unibox_core::audit::AuditHash;
/// assert_eq!(AuditHash::GENESIS.to_string(), "0".repeat(64));
/// let parsed: AuditHash = "ab".repeat(32).parse().unwrap();
/// assert_eq!(parsed.as_bytes()[0], 0xab);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuditHash(pub [u8; 32]);

impl AuditHash {
    /// The "previous hash" of a tenant's first record.
    pub const GENESIS: AuditHash = AuditHash([0; 32]);

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From a stored blob, which must be 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; 32]>::try_from(bytes)
            .map(AuditHash)
            .map_err(|_| Error::new(ErrorKind::Storage, "an audit hash is not 32 bytes long"))
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditHash({self})")
    }
}

impl std::str::FromStr for AuditHash {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::new(ErrorKind::InvalidInput, "an audit hash is 64 hexadecimal digits");
        if s.len() != 64 || !s.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(AuditHash(bytes))
    }
}

/// A record as stored: its position in the tenant's chain and the hashes that link it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedRecord {
    /// The position in the tenant's chain: 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// The record.
    pub record: AuditRecord,
    /// The hash of the record before (the [`AuditHash::GENESIS`] for the first).
    pub prev_hash: AuditHash,
    /// `link(prev_hash, seq, record)`.
    pub hash: AuditHash,
}

impl ChainedRecord {
    /// Links `record` after the record at `prev` (`None`: the first record of the chain).
    ///
    /// ```
    /// use unibox_core::audit::{AuditOutcome, AuditRecord, ChainedRecord};
    /// use unibox_core::{Actor, Timestamp};
    /// let actor = Actor::automation("acme".parse().unwrap(), "auto-reply");
    /// let record = AuditRecord::new(&actor, "auto_reply.triggered", "conversation:1", Timestamp::UNIX_EPOCH, AuditOutcome::Success);
    /// let first = ChainedRecord::link(None, record.clone());
    /// let second = ChainedRecord::link(Some((first.seq, first.hash)), record);
    /// assert_eq!((first.seq, second.seq), (1, 2));
    /// assert_eq!(second.prev_hash, first.hash);
    /// assert_ne!(second.hash, first.hash);
    /// ```
    pub fn link(prev: Option<(u64, AuditHash)>, record: AuditRecord) -> Self {
        let (prev_seq, prev_hash) = prev.unwrap_or((0, AuditHash::GENESIS));
        let seq = prev_seq + 1;
        let hash = record_hash(&prev_hash, seq, &record);
        ChainedRecord { seq, record, prev_hash, hash }
    }

    /// Whether the stored hash is the hash of the stored content.
    pub fn hash_matches(&self) -> bool {
        record_hash(&self.prev_hash, self.seq, &self.record) == self.hash
    }
}

/// The hash of a record at `seq` after `prev`: SHA-256 over a domain tag, the previous hash
/// and the canonical encoding.
pub fn record_hash(prev: &AuditHash, seq: u64, record: &AuditRecord) -> AuditHash {
    let mut hasher = Sha256::new();
    hasher.update(b"unibox.audit.record.v1\0");
    hasher.update(prev.0);
    hasher.update(seq.to_be_bytes());
    encode_record(record, &mut |bytes| hasher.update(bytes));
    AuditHash(hasher.finalize().into())
}

/// The canonical encoding: every field in a fixed order, strings length-prefixed, so no two
/// different records encode alike.
fn encode_record(record: &AuditRecord, out: &mut dyn FnMut(&[u8])) {
    let mut field = |bytes: &[u8]| {
        out(&(bytes.len() as u64).to_be_bytes());
        out(bytes);
    };
    field(record.tenant.as_str().as_bytes());
    field(record.actor.tenant().as_str().as_bytes());
    match record.actor.principal() {
        Principal::User { id, role } => {
            field(b"user");
            field(id.as_str().as_bytes());
            field(role.as_str().as_bytes());
        }
        Principal::Automation { name } => {
            field(b"automation");
            field(name.as_bytes());
            field(b"");
        }
    }
    field(record.action.as_bytes());
    field(record.target.as_bytes());
    field(&record.at.as_unix_millis().to_be_bytes());
    match &record.outcome {
        AuditOutcome::Success => {
            field(b"success");
            field(b"");
        }
        AuditOutcome::Denied { reason } => {
            field(b"denied");
            field(reason.as_bytes());
        }
        AuditOutcome::Failed { error } => {
            field(b"failed");
            field(error.as_bytes());
        }
    }
}
