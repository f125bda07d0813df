//! Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226), for the optional second
//! factor. Compatible with authenticator apps (SHA-1, 6 digits, 30-second steps by default).

use std::fmt;

use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use subtle::ConstantTimeEq;

use crate::{Error, ErrorKind, Result, Timestamp};

/// The HMAC of the TOTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1: what authenticator apps use.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    fn as_str(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
}

/// A TOTP generator and verifier for one user's shared secret. The secret never prints.
///
/// ```
/// use unibox_core::session::{Totp, TotpAlgorithm};
/// use unibox_core::Timestamp;
/// // RFC 6238, appendix B.
/// let totp = Totp::new(b"12345678901234567890".to_vec(), TotpAlgorithm::Sha1, 8).unwrap();
/// assert_eq!(totp.code_at(Timestamp::from_unix_seconds(59)), "94287082");
/// assert!(totp.verify("94287082", Timestamp::from_unix_seconds(59), 1).is_some());
/// assert!(!format!("{totp:?}").contains("1234"));
/// ```
pub struct Totp {
    secret: SecretSlice<u8>,
    algorithm: TotpAlgorithm,
    digits: u32,
    step_seconds: u64,
}

impl Totp {
    /// A TOTP over `secret` (at least 16 bytes) with `digits` (6 to 8) and 30-second steps.
    pub fn new(secret: Vec<u8>, algorithm: TotpAlgorithm, digits: u32) -> Result<Self> {
        if secret.len() < 16 {
            return Err(Error::new(ErrorKind::InvalidInput, "a TOTP secret must be at least 16 bytes (128 bits)"));
        }
        if !(6..=8).contains(&digits) {
            return Err(Error::new(ErrorKind::InvalidInput, "a TOTP code has 6 to 8 digits"));
        }
        Ok(Totp { secret: SecretSlice::from(secret), algorithm, digits, step_seconds: 30 })
    }

    /// The authenticator-app default: SHA-1, 6 digits, 30 seconds, from a base32 secret (as in
    /// an `otpauth://` URI; case, spaces and padding are ignored).
    pub fn from_base32(secret: &str) -> Result<Self> {
        Self::new(base32_decode(secret)?, TotpAlgorithm::Sha1, 6)
    }

    /// A new random 160-bit secret with the authenticator-app defaults.
    pub fn generate() -> Result<Self> {
        let mut secret = vec![0u8; 20];
        getrandom::fill(&mut secret).map_err(|err| {
            Error::new(ErrorKind::Unexpected, format!("the operating system's random source failed: {err}"))
        })?;
        Self::new(secret, TotpAlgorithm::Sha1, 6)
    }

    /// The `otpauth://` URI an authenticator app scans (as a QR code). It contains the secret.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> SecretString {
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        SecretString::from(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
            encode(issuer),
            encode(account),
            base32_encode(self.secret.expose_secret()),
            encode(issuer),
            self.algorithm.as_str(),
            self.digits,
            self.step_seconds
        ))
    }

    /// The time step of `at`.
    pub fn step_at(&self, at: Timestamp) -> u64 {
        u64::try_from(at.as_unix_seconds()).unwrap_or(0) / self.step_seconds
    }

    /// The code at `at`, zero-padded.
    pub fn code_at(&self, at: Timestamp) -> String {
        self.code_for_step(self.step_at(at))
    }

    fn code_for_step(&self, step: u64) -> String {
        let value = hotp(self.algorithm, self.secret.expose_secret(), step) % 10u32.pow(self.digits);
        format!("{value:0width$}", width = self.digits as usize)
    }

    /// Checks `code` at `at`, accepting the `window` steps before and after (clock drift); the
    /// matching step, or `None`. Comparisons are constant-time.
    pub fn verify(&self, code: &str, at: Timestamp, window: u64) -> Option<u64> {
        let code = code.trim();
        if code.len() != self.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = self.step_at(at);
        let mut found = None;
        // Every candidate is computed and compared, so timing does not tell which one matched.
        for step in now.saturating_sub(window)..=now.saturating_add(window) {
            let matches: bool = self.code_for_step(step).as_bytes().ct_eq(code.as_bytes()).into();
            if matches && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &"[redacted]")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("step_seconds", &self.step_seconds)
            .finish()
    }
}

macro_rules! hmac_of {
    ($digest:ty, $key:expr, $message:expr) => {{
        // HMAC takes keys of any length, so keying cannot fail.
        let mut mac = <hmac::Hmac<$digest> as KeyInit>::new_from_slice($key).unwrap_or_else(|_| unreachable!());
        mac.update($message);
        mac.finalize().into_bytes().to_vec()
    }};
}

/// HOTP (RFC 4226 §5.3): dynamic truncation of HMAC(secret, counter).
fn hotp(algorithm: TotpAlgorithm, secret: &[u8], counter: u64) -> u32 {
    let message = counter.to_be_bytes();
    let mac = match algorithm {
        TotpAlgorithm::Sha1 => hmac_of!(sha1::Sha1, secret, &message),
        TotpAlgorithm::Sha256 => hmac_of!(sha2::Sha256, secret, &message),
        TotpAlgorithm::Sha512 => hmac_of!(sha2::Sha512, secret, &message),
    };
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]])
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn base32_decode(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=' && *c != '-') {
        let c = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == c).ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput, "a TOTP secret is base32: letters A to Z and digits 2 to 7")
        })?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar");
        assert!(base32_decode("MZXW1").is_err());
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn rfc_4226_hotp_vectors() {
        // RFC 4226 appendix D: secret "12345678901234567890", counters 0 to 9, six digits.
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp(TotpAlgorithm::Sha1, b"12345678901234567890", counter as u64) % 1_000_000, code);
        }
    }
}
