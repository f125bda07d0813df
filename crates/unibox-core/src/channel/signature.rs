//! Constant-time authenticity checks. Every [`SignatureProof`] comes from one of these.
//!
//! Platforms sign webhooks with HMAC-SHA256 (Meta, LINE, Standard Webhooks, marketplaces),
//! HMAC-SHA1 (Twilio) or a shared secret echoed in a header (Telegram).
//!
//! ```
//! use unibox_core::channel::signature;
//! let tag = signature::hmac_sha256(b"key", &[b"message"]);
//! assert!(signature::verify_hmac_sha256(b"key", &[b"message"], &tag).is_ok());
//! assert!(signature::verify_hmac_sha256(b"key", &[b"messagE"], &tag).is_err());
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::channel::SignatureProof;
use crate::{Error, ErrorKind};

fn mismatch() -> Error {
    Error::new(ErrorKind::SignatureInvalid, "the webhook signature does not match")
}

fn mac_sha256(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

fn mac_sha1(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha1> {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// HMAC-SHA256 of the concatenation of `parts` (for signing outbound requests).
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    mac_sha256(key, parts).finalize().into_bytes().into()
}

/// HMAC-SHA1 of the concatenation of `parts`.
pub fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    mac_sha1(key, parts).finalize().into_bytes().into()
}

/// Checks, in constant time, that `expected` is the HMAC-SHA256 of `parts` under `key`.
/// A truncated tag is rejected.
pub fn verify_hmac_sha256(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> Result<SignatureProof, Error> {
    mac_sha256(key, parts).verify_slice(expected).map(|()| SignatureProof::new()).map_err(|_| mismatch())
}

/// Checks, in constant time, that `expected` is the HMAC-SHA1 of `parts` under `key`.
pub fn verify_hmac_sha1(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> Result<SignatureProof, Error> {
    mac_sha1(key, parts).verify_slice(expected).map(|()| SignatureProof::new()).map_err(|_| mismatch())
}

/// Checks, in constant time, that a secret echoed by the platform equals the configured one
/// (Telegram's `X-Telegram-Bot-Api-Secret-Token`, Meta's `hub.verify_token`).
///
/// The comparison does not stop early at the first differing byte; only a length
/// difference is visible in timing, and lengths are not secret.
pub fn secrets_match(given: &[u8], expected: &[u8]) -> Result<SignatureProof, Error> {
    if bool::from(given.ct_eq(expected)) {
        Ok(SignatureProof::new())
    } else {
        Err(Error::new(ErrorKind::SignatureInvalid, "the shared secret does not match"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parts_sign_like_the_concatenation() {
        let whole = hmac_sha256(b"k", &[b"id.1700000000.{}"]);
        let parts = hmac_sha256(b"k", &[b"id", b".", b"1700000000", b".", b"{}"]);
        assert_eq!(whole, parts);
    }

    #[test]
    fn truncated_and_empty_tags_are_rejected() {
        let tag = hmac_sha256(b"k", &[b"m"]);
        assert!(verify_hmac_sha256(b"k", &[b"m"], &tag[..16]).is_err());
        assert!(verify_hmac_sha256(b"k", &[b"m"], &[]).is_err());
        let tag1 = hmac_sha1(b"k", &[b"m"]);
        assert!(verify_hmac_sha1(b"k", &[b"m"], &tag1).is_ok());
        assert!(verify_hmac_sha1(b"k", &[b"m"], &tag1[..19]).is_err());
    }

    #[test]
    fn secrets_must_match_exactly() {
        assert!(secrets_match(b"abc", b"abc").is_ok());
        assert!(secrets_match(b"abc", b"abd").is_err());
        assert!(secrets_match(b"ab", b"abc").is_err());
    }
}
