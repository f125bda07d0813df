//! The sealed-blob format: a versioned header, a key commitment, and XChaCha20-Poly1305 with
//! associated data that binds the blob to where it belongs.
//!
//! ```text
//! offset  size  field
//! 0       1     format version (1)
//! 1       4     key id, big-endian (data-key generation, or key-encryption-key version)
//! 5       24    nonce, random per seal
//! 29      32    commitment = HMAC-SHA256(commit key, "unibox-vault/v1/commit" ‖ bytes 0..29)
//! 61      n+16  ciphertext and Poly1305 tag
//! ```
//!
//! The associated data is `"unibox-vault/v1"`, then the tenant, the subject (channel account id
//! or data-key generation) and the purpose, each length-prefixed, then header bytes 0..29. It is
//! rebuilt from where the blob is read, never stored, so a blob copied into another row, tenant
//! or purpose fails to open, and so does one whose key id was edited.
//!
//! XChaCha20-Poly1305 alone is not key-committing: a blob can be crafted to open under two
//! keys. The commitment is checked in constant time before the AEAD runs, and a different key
//! (its HKDF-derived commit key) cannot produce the same commitment.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Generate, Key};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unibox_core::{Result, TenantId};
use zeroize::Zeroizing;

use crate::Purpose;
use crate::primitives::{self, KEY_LEN, NONCE_LEN, TAG_LEN, unopenable};

/// The only format version written so far.
pub(crate) const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
const COMMIT_LEN: usize = 32;
/// Bytes a sealed blob adds to its plaintext.
pub(crate) const OVERHEAD: usize = HEADER_LEN + COMMIT_LEN + TAG_LEN;
const AAD_LABEL: &[u8] = b"unibox-vault/v1";
const COMMIT_LABEL: &[u8] = b"unibox-vault/v1/commit";
const HKDF_SALT: &[u8] = b"unibox-vault/v1/hkdf";

/// Where a blob belongs: bound into its associated data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) subject: &'a str,
    pub(crate) purpose: Purpose,
}

/// The keys for one (root key, purpose): an encryption key and a commitment key, both derived
/// with HKDF-SHA256, zeroized on drop.
pub(crate) struct SealingKey {
    key_id: u32,
    purpose: Purpose,
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA256 keyed with the commitment key, its key block already absorbed: each
    /// commitment costs two compressions instead of four.
    commit: Hmac<Sha256>,
}

impl SealingKey {
    /// Derives the keys of `purpose` from a 32-byte root key known by `key_id`.
    pub(crate) fn derive(root: &[u8; KEY_LEN], key_id: u32, purpose: Purpose) -> Result<Self> {
        let mut enc = Zeroizing::new([0u8; KEY_LEN]);
        let mut commit = Zeroizing::new([0u8; KEY_LEN]);
        let info = |what: &str| format!("unibox-vault/v1/{}/{what}", purpose.as_str());
        primitives::hkdf_sha256(root, Some(HKDF_SALT), info("encrypt").as_bytes(), enc.as_mut())?;
        primitives::hkdf_sha256(root, Some(HKDF_SALT), info("commit").as_bytes(), commit.as_mut())?;
        let commit = <Hmac<Sha256> as KeyInit>::new_from_slice(commit.as_ref())
            .map_err(|_| unibox_core::Error::new(unibox_core::ErrorKind::Unexpected, "HMAC accepts any key length"))?;
        Ok(SealingKey { key_id, purpose, cipher: primitives::xchacha_cipher(enc.as_ref())?, commit })
    }

    /// Seals `plaintext` for `binding` under a fresh random nonce.
    pub(crate) fn seal(&self, binding: Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        debug_assert_eq!(binding.purpose, self.purpose);
        let nonce = chacha20poly1305::XNonce::generate();
        let mut blob = Vec::with_capacity(plaintext.len() + OVERHEAD);
        blob.push(FORMAT_V1);
        blob.extend_from_slice(&self.key_id.to_be_bytes());
        blob.extend_from_slice(&nonce);
        let commitment = self.commitment(&blob[..HEADER_LEN]).finalize().into_bytes();
        blob.extend_from_slice(&commitment);
        let sealed = with_associated_data(binding, &blob[..HEADER_LEN], |aad| {
            primitives::xchacha_seal(&self.cipher, &nonce, aad, plaintext)
        })?;
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens a blob sealed for `binding`: checks the header, then the commitment (constant
    /// time), then the AEAD. Every failure is the same opaque error.
    pub(crate) fn open(&self, binding: Binding<'_>, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if binding.purpose != self.purpose || blob.len() < OVERHEAD || key_id(blob)? != self.key_id {
            return Err(unopenable());
        }
        let (header, rest) = blob.split_at(HEADER_LEN);
        let (commitment, sealed) = rest.split_at(COMMIT_LEN);
        // Constant time, before the AEAD: a blob made to open under another key stops here.
        self.commitment(header).verify_slice(commitment).map_err(|_| unopenable())?;
        with_associated_data(binding, header, |aad| {
            primitives::xchacha_open(&self.cipher, &header[5..HEADER_LEN], aad, sealed)
        })
    }
}

impl SealingKey {
    fn commitment(&self, header: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.commit.clone();
        mac.update(COMMIT_LABEL);
        mac.update(header);
        mac
    }
}

/// The key id in a blob's header (which data key or key-encryption key sealed it).
pub(crate) fn key_id(blob: &[u8]) -> Result<u32> {
    match blob {
        [FORMAT_V1, a, b, c, d, ..] if blob.len() >= OVERHEAD => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(unopenable()),
    }
}

/// 32 random bytes from the operating system's generator: a new data key.
pub(crate) fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let key = Key::<XChaCha20Poly1305>::generate();
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    bytes.copy_from_slice(&key);
    // `key` is an array on the stack; overwrite it rather than leave a copy behind.
    let mut key = key;
    zeroize::Zeroize::zeroize(key.as_mut_slice());
    bytes
}

/// Calls `f` with the associated data of `binding` and `header`: built on the stack for ids of
/// ordinary length (the common case, on every seal and open), on the heap otherwise.
fn with_associated_data<T>(binding: Binding<'_>, header: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    let fields = [binding.tenant.as_str().as_bytes(), binding.subject.as_bytes(), binding.purpose.as_str().as_bytes()];
    let len = AAD_LABEL.len() + fields.iter().map(|field| field.len() + 4).sum::<usize>() + header.len();
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let buffer: &mut [u8] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        buffer[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(AAD_LABEL);
    for field in fields {
        // Lengths fit in u32: ids are short; a prefix keeps ("ab","c") apart from ("a","bc").
        put(&(field.len() as u32).to_be_bytes());
        put(field);
    }
    put(header);
    f(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantId {
        name.parse().unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_where_it_was_sealed() {
        let key = SealingKey::derive(&[7u8; 32], 3, Purpose::TOKENS).unwrap();
        let acme = tenant("acme");
        let here = Binding { tenant: &acme, subject: "account-1", purpose: Purpose::TOKENS };
        let blob = key.seal(here, b"EAAG-token").unwrap();
        assert_eq!(blob.len(), 10 + OVERHEAD);
        assert_eq!(key_id(&blob).unwrap(), 3);
        assert_eq!(key.open(here, &blob).unwrap().as_slice(), b"EAAG-token");
        let elsewhere = Binding { subject: "account-2", ..here };
        assert!(key.open(elsewhere, &blob).is_err());
    }

    #[test]
    fn long_subjects_take_the_heap_path_and_still_bind() {
        let key = SealingKey::derive(&[7u8; 32], 1, Purpose::TOKENS).unwrap();
        let acme = tenant("acme");
        let (long, longer) = ("s".repeat(300), "s".repeat(301));
        let here = Binding { tenant: &acme, subject: &long, purpose: Purpose::TOKENS };
        let blob = key.seal(here, b"value").unwrap();
        assert_eq!(key.open(here, &blob).unwrap().as_slice(), b"value");
        assert!(key.open(Binding { subject: &longer, ..here }, &blob).is_err());
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let key = SealingKey::derive(&[7u8; 32], 1, Purpose::TOKENS).unwrap();
        let acme = tenant("acme");
        let here = Binding { tenant: &acme, subject: "a", purpose: Purpose::TOKENS };
        assert_ne!(key.seal(here, b"x").unwrap(), key.seal(here, b"x").unwrap());
    }
}
