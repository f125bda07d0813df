//! The primitives under every sealed blob, exactly as the vault calls them: XChaCha20-Poly1305,
//! AES-256-GCM-SIV and HKDF-SHA256. They are public (but hidden from the docs) only so the Wycheproof vectors run
//! through the production code path; use [`Vault`](crate::Vault), not these.

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use unibox_core::{Error, ErrorKind, Result};
use zeroize::Zeroizing;

/// XChaCha20-Poly1305's key, nonce and tag sizes.
pub const KEY_LEN: usize = 32;
/// The extended nonce: 24 random bytes, safe to draw at random for every message.
pub const NONCE_LEN: usize = 24;
/// The tag appended to every ciphertext (Poly1305 and POLYVAL-based GCM-SIV alike).
pub const TAG_LEN: usize = 16;
/// AES-256-GCM-SIV's nonce: 96 bits, drawn at random per value.
pub const AES_NONCE_LEN: usize = 12;

/// Why a blob did not open. One message for every cause, so an attacker learns nothing from it.
pub(crate) fn unopenable() -> Error {
    Error::new(
        ErrorKind::Storage,
        "a sealed value could not be opened: it was altered, copied from another row or tenant, or its key is gone",
    )
    .permanent()
}

/// Builds the AEAD from a 32-byte key; any other length is refused.
pub fn xchacha_cipher(key: &[u8]) -> Result<XChaCha20Poly1305> {
    XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "an XChaCha20-Poly1305 key is 32 bytes"))
}

fn nonce(nonce: &[u8]) -> Result<XNonce> {
    XNonce::try_from(nonce).map_err(|_| Error::new(ErrorKind::InvalidInput, "an XChaCha20-Poly1305 nonce is 24 bytes"))
}

/// Encrypts `message` with associated data `aad`; returns ciphertext followed by the tag.
pub fn xchacha_seal(cipher: &XChaCha20Poly1305, nonce_bytes: &[u8], aad: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    cipher
        .encrypt(&nonce(nonce_bytes)?, Payload { msg: message, aad })
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "the message is too long to seal"))
}

/// Decrypts ciphertext-and-tag; any mismatch (tag, nonce, associated data, key) is one opaque error.
pub fn xchacha_open(
    cipher: &XChaCha20Poly1305,
    nonce_bytes: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let nonce = nonce(nonce_bytes).map_err(|_| unopenable())?;
    cipher.decrypt(&nonce, Payload { msg: sealed, aad }).map(Zeroizing::new).map_err(|_| unopenable())
}

/// Builds AES-256-GCM-SIV from a 32-byte key; AES-128 keys (16 bytes) and every other length
/// are refused: the vault states "AES-256" and means it.
pub fn aes_gcm_siv_cipher(key: &[u8]) -> Result<Aes256GcmSiv> {
    Aes256GcmSiv::new_from_slice(key)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "an AES-256-GCM-SIV key is 32 bytes"))
}

fn aes_nonce(nonce: &[u8]) -> Result<aes_gcm_siv::Nonce> {
    aes_gcm_siv::Nonce::try_from(nonce)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "an AES-256-GCM-SIV nonce is 12 bytes"))
}

/// Encrypts `message` with associated data `aad` under AES-256-GCM-SIV; returns ciphertext
/// followed by the tag.
pub fn aes_gcm_siv_seal(cipher: &Aes256GcmSiv, nonce_bytes: &[u8], aad: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    cipher
        .encrypt(&aes_nonce(nonce_bytes)?, Payload { msg: message, aad })
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "the message is too long to seal"))
}

/// Decrypts AES-256-GCM-SIV ciphertext-and-tag; any mismatch is one opaque error.
pub fn aes_gcm_siv_open(
    cipher: &Aes256GcmSiv,
    nonce_bytes: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let nonce = aes_nonce(nonce_bytes).map_err(|_| unopenable())?;
    cipher.decrypt(&nonce, Payload { msg: sealed, aad }).map(Zeroizing::new).map_err(|_| unopenable())
}

/// HKDF-SHA256 (RFC 5869): fills `output` from input key material, salt and info. Fails when
/// more than 255 × 32 bytes are asked for.
pub fn hkdf_sha256(ikm: &[u8], salt: Option<&[u8]>, info: &[u8], output: &mut [u8]) -> Result<()> {
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, output)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "HKDF-SHA256 yields at most 8160 bytes"))
}
