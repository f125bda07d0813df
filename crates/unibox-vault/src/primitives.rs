//! The primitives under every sealed blob, exactly as the vault calls them: XChaCha20-Poly1305
//! (HChaCha20 from RustCrypto's `chacha20`, then ChaCha20-Poly1305 from aws-lc-rs),
//! AES-256-GCM-SIV and HKDF-SHA256. They are public (but hidden from the docs) only so the Wycheproof vectors run
//! through the production code path; use [`Vault`](crate::Vault), not these.

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
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

/// An XChaCha20-Poly1305 key. Sealing derives the per-nonce subkey with HChaCha20 (the
/// `chacha20` crate) and runs ChaCha20-Poly1305 with it in aws-lc-rs (assembly), which is
/// XChaCha20-Poly1305 as draft-irtf-cfrg-xchacha defines it, byte for byte.
pub struct XChaChaKey(Zeroizing<[u8; KEY_LEN]>);

/// Builds the AEAD from a 32-byte key; any other length is refused.
pub fn xchacha_cipher(key: &[u8]) -> Result<XChaChaKey> {
    let key: [u8; KEY_LEN] =
        key.try_into().map_err(|_| Error::new(ErrorKind::InvalidInput, "an XChaCha20-Poly1305 key is 32 bytes"))?;
    Ok(XChaChaKey(Zeroizing::new(key)))
}

/// The ChaCha20-Poly1305 key and nonce of one XChaCha20-Poly1305 nonce.
fn subkey(key: &XChaChaKey, nonce: &[u8]) -> Option<(aws_lc_rs::aead::LessSafeKey, aws_lc_rs::aead::Nonce)> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    let (prefix, suffix) = nonce.split_at(16);
    let input = chacha20::cipher::array::Array::<u8, chacha20::cipher::consts::U16>::try_from(prefix).ok()?;
    let root = chacha20::Key::try_from(key.0.as_slice()).ok()?;
    let mut derived = Zeroizing::new([0u8; KEY_LEN]);
    derived.copy_from_slice(&chacha20::hchacha::<chacha20::R20>(&root, &input));
    let unbound = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::CHACHA20_POLY1305, derived.as_ref()).ok()?;
    let mut inner = [0u8; 12];
    inner[4..].copy_from_slice(suffix);
    Some((aws_lc_rs::aead::LessSafeKey::new(unbound), aws_lc_rs::aead::Nonce::assume_unique_for_key(inner)))
}

/// Encrypts `message` with associated data `aad`; returns ciphertext followed by the tag.
pub fn xchacha_seal(cipher: &XChaChaKey, nonce_bytes: &[u8], aad: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    let (key, nonce) = subkey(cipher, nonce_bytes)
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "an XChaCha20-Poly1305 nonce is 24 bytes"))?;
    let mut out = Vec::with_capacity(message.len() + TAG_LEN);
    out.extend_from_slice(message);
    key.seal_in_place_append_tag(nonce, aws_lc_rs::aead::Aad::from(aad), &mut out)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "the message is too long to seal"))?;
    Ok(out)
}

/// Decrypts ciphertext-and-tag; any mismatch (tag, nonce, associated data, key) is one opaque error.
pub fn xchacha_open(cipher: &XChaChaKey, nonce_bytes: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (key, nonce) = subkey(cipher, nonce_bytes).ok_or_else(unopenable)?;
    let mut buffer = Zeroizing::new(sealed.to_vec());
    let len = key.open_in_place(nonce, aws_lc_rs::aead::Aad::from(aad), &mut buffer).map_err(|_| unopenable())?.len();
    buffer.truncate(len);
    Ok(buffer)
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
