//! The sealed-blob format: a versioned header naming the cipher, a key commitment, and an AEAD
//! (XChaCha20-Poly1305 or AES-256-GCM-SIV, see [`Cipher`]) with associated data that binds the
//! blob to where it belongs.
//!
//! ```text
//! offset  size  field
//! 0       1     format: 1 = XChaCha20-Poly1305, 2 = AES-256-GCM-SIV
//! 1       4     key id, big-endian (data-key generation, or key-encryption-key version)
//! 5       N     nonce, random per seal (N = 24 for format 1, 12 for format 2)
//! 5+N     32    commitment = HMAC-SHA256(commit key, "unibox-vault/v1/commit" ‖ bytes 0..5+N)
//! 37+N    n+16  ciphertext and tag
//! ```
//!
//! The associated data is `"unibox-vault/v1"`, then the tenant, the subject (channel account id
//! or data-key generation) and the purpose, each length-prefixed, then header bytes 0..5+N. It
//! is rebuilt from where the blob is read, never stored, so a blob copied into another row,
//! tenant or purpose fails to open, and so does one whose key id or format byte was edited.
//!
//! Neither AEAD is key-committing: a blob can be crafted to open under two keys. The
//! commitment is checked in constant time before the AEAD runs, and a different key (its
//! HKDF-derived commit key) cannot produce the same commitment.

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Generate, Key};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unibox_core::{Result, TenantId};
use zeroize::Zeroizing;

use crate::primitives::{self, KEY_LEN, TAG_LEN, unopenable};
use crate::{Cipher, Purpose};

const COMMIT_LEN: usize = 32;
const AAD_LABEL: &[u8] = b"unibox-vault/v1";
const COMMIT_LABEL: &[u8] = b"unibox-vault/v1/commit";
const HKDF_SALT: &[u8] = b"unibox-vault/v1/hkdf";

/// The header length (format, key id, nonce) of a blob sealed with `cipher`.
const fn header_len(cipher: Cipher) -> usize {
    1 + 4 + cipher.nonce_len()
}

/// Bytes a blob sealed with `cipher` adds to its plaintext.
pub(crate) const fn overhead(cipher: Cipher) -> usize {
    header_len(cipher) + COMMIT_LEN + TAG_LEN
}

/// Where a blob belongs: bound into its associated data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) subject: &'a str,
    pub(crate) purpose: Purpose,
}

/// The AEAD instance of one derived key.
enum Aead {
    XChaCha(primitives::XChaChaKey),
    Aes(Box<Aes256GcmSiv>),
}

/// The keys for one (root key, purpose, cipher): an encryption key and a commitment key, both
/// derived with HKDF-SHA256, zeroized on drop.
pub(crate) struct SealingKey {
    key_id: u32,
    purpose: Purpose,
    cipher: Cipher,
    aead: Aead,
    /// HMAC-SHA256 keyed with the commitment key, its key block already absorbed: each
    /// commitment costs two compressions instead of four.
    commit: Hmac<Sha256>,
}

impl SealingKey {
    /// Derives the keys of `purpose` for `cipher` from a 32-byte root key known by `key_id`.
    pub(crate) fn derive(root: &[u8; KEY_LEN], key_id: u32, purpose: Purpose, cipher: Cipher) -> Result<Self> {
        let mut enc = Zeroizing::new([0u8; KEY_LEN]);
        let mut commit = Zeroizing::new([0u8; KEY_LEN]);
        let suffix = cipher.key_label_suffix();
        let info = |what: &str| format!("unibox-vault/v1/{}/{what}{suffix}", purpose.as_str());
        primitives::hkdf_sha256(root, Some(HKDF_SALT), info("encrypt").as_bytes(), enc.as_mut())?;
        primitives::hkdf_sha256(root, Some(HKDF_SALT), info("commit").as_bytes(), commit.as_mut())?;
        let commit = <Hmac<Sha256> as KeyInit>::new_from_slice(commit.as_ref())
            .map_err(|_| unibox_core::Error::new(unibox_core::ErrorKind::Unexpected, "HMAC accepts any key length"))?;
        let aead = match cipher {
            Cipher::XChaCha20Poly1305 => Aead::XChaCha(primitives::xchacha_cipher(enc.as_ref())?),
            Cipher::Aes256GcmSiv => Aead::Aes(Box::new(primitives::aes_gcm_siv_cipher(enc.as_ref())?)),
        };
        Ok(SealingKey { key_id, purpose, cipher, aead, commit })
    }

    /// Seals `plaintext` for `binding` under a fresh random nonce.
    pub(crate) fn seal(&self, binding: Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        debug_assert_eq!(binding.purpose, self.purpose);
        let header_len = header_len(self.cipher);
        let mut blob = Vec::with_capacity(plaintext.len() + overhead(self.cipher));
        blob.push(self.cipher.format_byte());
        blob.extend_from_slice(&self.key_id.to_be_bytes());
        blob.resize(header_len, 0);
        crate::nonces::fill(&mut blob[5..header_len])?;
        let commitment = self.commitment(&blob[..header_len]).finalize().into_bytes();
        blob.extend_from_slice(&commitment);
        let sealed = with_associated_data(binding, &blob[..header_len], |aad| {
            let nonce = &blob[5..header_len];
            match &self.aead {
                Aead::XChaCha(cipher) => primitives::xchacha_seal(cipher, nonce, aad, plaintext),
                Aead::Aes(cipher) => primitives::aes_gcm_siv_seal(cipher, nonce, aad, plaintext),
            }
        })?;
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens a blob sealed for `binding`: checks the header, then the commitment (constant
    /// time), then the AEAD. Every failure is the same opaque error.
    pub(crate) fn open(&self, binding: Binding<'_>, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let (cipher, key_id) = header(blob)?;
        if binding.purpose != self.purpose || cipher != self.cipher || key_id != self.key_id {
            return Err(unopenable());
        }
        let (header, rest) = blob.split_at(header_len(cipher));
        let (commitment, sealed) = rest.split_at(COMMIT_LEN);
        // Constant time, before the AEAD: a blob made to open under another key stops here.
        self.commitment(header).verify_slice(commitment).map_err(|_| unopenable())?;
        with_associated_data(binding, header, |aad| match &self.aead {
            Aead::XChaCha(aead) => primitives::xchacha_open(aead, &header[5..], aad, sealed),
            Aead::Aes(aead) => primitives::aes_gcm_siv_open(aead, &header[5..], aad, sealed),
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

/// The cipher and key id in a blob's header (which data key or key-encryption key sealed it,
/// and how). Anything too short for its format, or of an unknown format, is unopenable.
pub(crate) fn header(blob: &[u8]) -> Result<(Cipher, u32)> {
    match blob {
        [format, a, b, c, d, ..] => match Cipher::from_format_byte(*format) {
            Some(cipher) if blob.len() >= overhead(cipher) => Ok((cipher, u32::from_be_bytes([*a, *b, *c, *d]))),
            _ => Err(unopenable()),
        },
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
        let key = SealingKey::derive(&[7u8; 32], 3, Purpose::TOKENS, Cipher::XChaCha20Poly1305).unwrap();
        let acme = tenant("acme");
        let here = Binding { tenant: &acme, subject: "account-1", purpose: Purpose::TOKENS };
        let blob = key.seal(here, b"EAAG-token").unwrap();
        assert_eq!(blob.len(), 10 + overhead(Cipher::XChaCha20Poly1305));
        assert_eq!(header(&blob).unwrap(), (Cipher::XChaCha20Poly1305, 3));
        assert_eq!(key.open(here, &blob).unwrap().as_slice(), b"EAAG-token");
        let elsewhere = Binding { subject: "account-2", ..here };
        assert!(key.open(elsewhere, &blob).is_err());
    }

    #[test]
    fn long_subjects_take_the_heap_path_and_still_bind() {
        let key = SealingKey::derive(&[7u8; 32], 1, Purpose::TOKENS, Cipher::XChaCha20Poly1305).unwrap();
        let acme = tenant("acme");
        let (long, longer) = ("s".repeat(300), "s".repeat(301));
        let here = Binding { tenant: &acme, subject: &long, purpose: Purpose::TOKENS };
        let blob = key.seal(here, b"value").unwrap();
        assert_eq!(key.open(here, &blob).unwrap().as_slice(), b"value");
        assert!(key.open(Binding { subject: &longer, ..here }, &blob).is_err());
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let key = SealingKey::derive(&[7u8; 32], 1, Purpose::TOKENS, Cipher::XChaCha20Poly1305).unwrap();
        let acme = tenant("acme");
        let here = Binding { tenant: &acme, subject: "a", purpose: Purpose::TOKENS };
        assert_ne!(key.seal(here, b"x").unwrap(), key.seal(here, b"x").unwrap());
    }

    #[test]
    fn an_aes_blob_names_its_cipher_and_opens_only_under_aes_where_it_was_sealed() {
        let aes = SealingKey::derive(&[7u8; 32], 5, Purpose::TOKENS, Cipher::Aes256GcmSiv).unwrap();
        let chacha = SealingKey::derive(&[7u8; 32], 5, Purpose::TOKENS, Cipher::XChaCha20Poly1305).unwrap();
        let acme = tenant("acme");
        let here = Binding { tenant: &acme, subject: "account-1", purpose: Purpose::TOKENS };
        let blob = aes.seal(here, b"line-channel-token").unwrap();
        assert_eq!(blob.len(), 18 + overhead(Cipher::Aes256GcmSiv));
        assert_eq!(blob[0], 2);
        assert_eq!(header(&blob).unwrap(), (Cipher::Aes256GcmSiv, 5));
        assert_eq!(aes.open(here, &blob).unwrap().as_slice(), b"line-channel-token");
        assert!(aes.open(Binding { subject: "account-2", ..here }, &blob).is_err());
        // The same root key, the other cipher: refused, and so is the blob relabelled as format 1.
        assert!(chacha.open(here, &blob).is_err());
        let mut relabelled = blob.clone();
        relabelled[0] = 1;
        assert!(chacha.open(here, &relabelled).is_err());
        assert!(aes.open(here, &relabelled).is_err());
    }

    #[test]
    fn unknown_formats_and_short_blobs_have_no_header() {
        let mut blob = vec![3u8; 200];
        assert!(header(&blob).is_err(), "format 3 is unknown");
        blob[0] = 2;
        assert!(header(&blob[..overhead(Cipher::Aes256GcmSiv) - 1]).is_err());
        assert!(header(&blob[..overhead(Cipher::Aes256GcmSiv)]).is_ok());
        blob[0] = 1;
        assert!(header(&blob[..overhead(Cipher::XChaCha20Poly1305) - 1]).is_err());
        assert!(header(&[]).is_err());
    }
}
