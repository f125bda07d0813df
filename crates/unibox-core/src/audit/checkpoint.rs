//! Signed checkpoints: every so often the head of a tenant's chain (its last seq and hash) is
//! signed with a key the application holds. A checkpoint catches what the chain alone cannot:
//! records cut off the end, or a chain rewritten and rehashed from some point on.

use std::fmt;

use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::audit::AuditHash;
use crate::{Error, ErrorKind, Result, TenantId, Timestamp};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The key that signs checkpoints (HMAC-SHA256), with an id so keys can be rotated: a
/// checkpoint names the key that signed it. At least 32 bytes; never printed.
///
/// ```
/// use unibox_core::audit::AuditKey;
/// let key = AuditKey::new("audit-2026", vec![7u8; 32]).unwrap();
/// assert_eq!(key.id(), "audit-2026");
/// assert!(!format!("{key:?}").contains("7, 7"));
/// assert!(AuditKey::new("short", vec![7u8; 16]).is_err());
/// ```
pub struct AuditKey {
    id: String,
    // The keyed HMAC state, prepared once; it is derived from the secret, so it is never printed.
    mac: HmacSha256,
}

impl AuditKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// A key with an id (1 to 64 bytes) and secret bytes (at least [`MIN_LEN`](Self::MIN_LEN)).
    pub fn new(id: impl Into<String>, secret: Vec<u8>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > 64 {
            return Err(Error::new(ErrorKind::InvalidInput, "an audit key id is 1 to 64 bytes long"));
        }
        if secret.len() < Self::MIN_LEN {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("an audit key must be at least {} bytes of random data", Self::MIN_LEN),
            ));
        }
        let secret = SecretSlice::from(secret);
        let mac = <HmacSha256 as KeyInit>::new_from_slice(secret.expose_secret())
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "the audit key cannot key HMAC-SHA256"))?;
        Ok(AuditKey { id, mac })
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// Signs the head of `tenant`'s chain.
    pub fn sign(&self, tenant: &TenantId, seq: u64, hash: AuditHash, at: Timestamp) -> Checkpoint {
        let mut mac = self.mac();
        feed(&mut mac, &self.id, tenant, seq, &hash, at);
        let signature = mac.finalize().into_bytes().into();
        Checkpoint { tenant: tenant.clone(), seq, hash, at, key_id: self.id.clone(), signature }
    }

    /// Whether `checkpoint` was signed by this key (constant-time comparison).
    pub fn verifies(&self, checkpoint: &Checkpoint) -> bool {
        if checkpoint.key_id != self.id {
            return false;
        }
        let mut mac = self.mac();
        feed(&mut mac, &checkpoint.key_id, &checkpoint.tenant, checkpoint.seq, &checkpoint.hash, checkpoint.at);
        mac.verify_slice(&checkpoint.signature).is_ok()
    }
}

fn feed(mac: &mut HmacSha256, key_id: &str, tenant: &TenantId, seq: u64, hash: &AuditHash, at: Timestamp) {
    mac.update(b"unibox.audit.checkpoint.v1\0");
    for part in [key_id.as_bytes(), tenant.as_str().as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&seq.to_be_bytes());
    mac.update(&hash.0);
    mac.update(&at.as_unix_millis().to_be_bytes());
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("id", &self.id).field("secret", &"[redacted]").finish()
    }
}

/// A signed statement "the chain of `tenant` had `seq` records, the last with `hash`, at `at`".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The tenant.
    pub tenant: TenantId,
    /// The seq of the last record covered.
    pub seq: u64,
    /// That record's hash.
    pub hash: AuditHash,
    /// When it was signed.
    pub at: Timestamp,
    /// The id of the key that signed it.
    pub key_id: String,
    /// HMAC-SHA256 over the fields above.
    pub signature: [u8; 32],
}
