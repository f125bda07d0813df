//! Session tokens: random secrets handed to the user's browser, stored only as hashes.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, ErrorKind, Result};

const PREFIX: &str = "ubx_s_";
const RANDOM_BYTES: usize = 32;

/// The bearer secret of a session, as given to the user (a cookie, a header). It is never
/// stored: the store keeps its [`TokenHash`]. It never prints.
///
/// ```
/// use unibox_core::session::SessionToken;
/// let token = SessionToken::generate().unwrap();
/// assert!(token.expose().starts_with("ubx_s_"));
/// assert_eq!(format!("{token:?}"), "SessionToken([redacted])");
/// let again = SessionToken::from(token.expose().to_string());
/// assert_eq!(again.hash(), token.hash());
/// ```
pub struct SessionToken(SecretString);

impl SessionToken {
    /// A new token: 256 bits from the operating system's random source.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; RANDOM_BYTES];
        getrandom::fill(&mut bytes).map_err(|err| {
            Error::new(ErrorKind::Unexpected, format!("the operating system's random source failed: {err}"))
                .with_operation("session.token")
        })?;
        let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        Ok(SessionToken(SecretString::from(token)))
    }

    /// The token text, to hand to the user. Keep it out of logs and URLs.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The hash the store keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.expose_secret().as_bytes()).into())
    }
}

impl From<String> for SessionToken {
    /// Wraps a token presented by a user.
    fn from(token: String) -> Self {
        SessionToken(SecretString::from(token))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// The SHA-256 of a session token: what stores index sessions by. A token has 256 random
/// bits, so a plain hash (no salt, no stretching) cannot be reversed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// From a stored blob, which must be 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; 32]>::try_from(bytes)
            .map(TokenHash)
            .map_err(|_| Error::new(ErrorKind::Storage, "a session token hash is not 32 bytes long"))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash is not secret, but it is a lookup key: print a prefix only.
        write!(f, "TokenHash({:02x}{:02x}{:02x}{:02x}...)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}
