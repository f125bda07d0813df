//! [`TwilioCredentials`]: what REST calls authenticate with, as kept in the token store.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result, TokenSet};

use crate::config::is_sid;

/// The credentials of Twilio's REST API (HTTP Basic), one of:
///
/// - the account's **Auth Token**, with the Account SID as the user name;
/// - an **API key**: its SID (`SK…`) as the user name and its secret. Twilio recommends keys
///   for REST calls: each can be revoked alone. The Account SID stays in the URL path.
///
/// They live in the token store (the vault) like other adapters' access tokens: store
/// [`to_token_set`](Self::to_token_set) when connecting a number; a send reads them back with
/// [`from_stored`](Self::from_stored). An API key is stored as `SK…:secret` (an Auth Token never
/// contains `:`). Nothing expires, so there is no refresh. `Debug` never shows a secret.
///
/// ```
/// use secrecy::ExposeSecret;
/// use unibox_channel_twilio::TwilioCredentials;
/// let key = TwilioCredentials::api_key("SK0f1e2d3c4b5a69788796a5b4c3d2e1f0", "kT7uV9wX2yZ4aB6cD8eF0gH1iJ3kL5mN").unwrap();
/// let stored = key.to_token_set();
/// assert_eq!(TwilioCredentials::from_stored(&stored.access_token).unwrap(), key);
/// assert!(!format!("{key:?}").contains("kT7uV9wX"));
/// let token = TwilioCredentials::auth_token("9c1f0e2d3b4a59687f6e5d4c3b2a1908");
/// assert_eq!(token.to_token_set().access_token.expose_secret(), "9c1f0e2d3b4a59687f6e5d4c3b2a1908");
/// ```
#[derive(Clone)]
pub enum TwilioCredentials {
    /// The account's Auth Token.
    AuthToken(SecretString),
    /// An API key.
    ApiKey {
        /// The key's SID (`SK…`).
        sid: String,
        /// The key's secret.
        secret: SecretString,
    },
}

impl TwilioCredentials {
    /// The account's Auth Token.
    pub fn auth_token(token: impl Into<SecretString>) -> Self {
        TwilioCredentials::AuthToken(token.into())
    }

    /// An API key: its SID (`SK` and 32 hex digits) and secret.
    pub fn api_key(sid: impl Into<String>, secret: impl Into<SecretString>) -> Result<Self> {
        let sid = sid.into();
        if !is_sid(&sid, "SK") {
            return Err(Error::new(ErrorKind::InvalidInput, "a Twilio API key SID is SK and 32 hex digits"));
        }
        Ok(TwilioCredentials::ApiKey { sid, secret: secret.into() })
    }

    /// What to store in the token store: the Auth Token, or `SK…:secret`.
    pub fn to_token_set(&self) -> TokenSet {
        match self {
            TwilioCredentials::AuthToken(token) => TokenSet::new(token.expose_secret()),
            TwilioCredentials::ApiKey { sid, secret } => TokenSet::new(format!("{sid}:{}", secret.expose_secret())),
        }
    }

    /// Reads credentials stored by [`to_token_set`](Self::to_token_set). The error never
    /// contains the stored value.
    pub fn from_stored(stored: &SecretString) -> Result<Self> {
        let text = stored.expose_secret();
        if text.is_empty() {
            return Err(Error::new(ErrorKind::Configuration, "the stored Twilio credentials are empty"));
        }
        match text.split_once(':') {
            None => Ok(TwilioCredentials::AuthToken(stored.clone())),
            Some((sid, secret)) if is_sid(sid, "SK") && !secret.is_empty() => {
                Ok(TwilioCredentials::ApiKey { sid: sid.to_owned(), secret: SecretString::from(secret) })
            }
            Some(_) => Err(Error::new(
                ErrorKind::Configuration,
                "the stored Twilio credentials are neither an Auth Token nor an API key as SK…:secret",
            )),
        }
    }

    /// The `Authorization` header value for an account: `Basic base64(user:password)`.
    pub(crate) fn basic_authorization(&self, account_sid: &str) -> String {
        let pair = match self {
            TwilioCredentials::AuthToken(token) => format!("{account_sid}:{}", token.expose_secret()),
            TwilioCredentials::ApiKey { sid, secret } => format!("{sid}:{}", secret.expose_secret()),
        };
        format!("Basic {}", STANDARD.encode(pair))
    }
}

impl PartialEq for TwilioCredentials {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TwilioCredentials::AuthToken(a), TwilioCredentials::AuthToken(b)) => {
                unibox_core::channel::signature::secrets_match(
                    a.expose_secret().as_bytes(),
                    b.expose_secret().as_bytes(),
                )
                .is_ok()
            }
            (TwilioCredentials::ApiKey { sid: a, secret: x }, TwilioCredentials::ApiKey { sid: b, secret: y }) => {
                a == b
                    && unibox_core::channel::signature::secrets_match(
                        x.expose_secret().as_bytes(),
                        y.expose_secret().as_bytes(),
                    )
                    .is_ok()
            }
            _ => false,
        }
    }
}

impl Eq for TwilioCredentials {}

impl fmt::Debug for TwilioCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwilioCredentials::AuthToken(_) => f.write_str("TwilioCredentials::AuthToken([REDACTED])"),
            TwilioCredentials::ApiKey { sid, .. } => write!(f, "TwilioCredentials::ApiKey({sid}, [REDACTED])"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authorization_uses_the_account_sid_or_the_key_sid() {
        let token = TwilioCredentials::auth_token("tok");
        assert_eq!(token.basic_authorization("AC1"), format!("Basic {}", STANDARD.encode("AC1:tok")));
        let key = TwilioCredentials::api_key("SK0f1e2d3c4b5a69788796a5b4c3d2e1f0", "sec").unwrap();
        assert_eq!(
            key.basic_authorization("AC1"),
            format!("Basic {}", STANDARD.encode("SK0f1e2d3c4b5a69788796a5b4c3d2e1f0:sec"))
        );
    }

    #[test]
    fn malformed_stored_credentials_are_refused_without_showing_them() {
        for stored in ["", "AC123:secret-value", "SK0f1e2d3c4b5a69788796a5b4c3d2e1f0:"] {
            let error = TwilioCredentials::from_stored(&SecretString::from(stored)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Configuration);
            assert!(!error.to_string().contains("secret-value"));
        }
        assert!(TwilioCredentials::api_key("AC0f1e2d3c4b5a69788796a5b4c3d2e1f0", "s").is_err());
    }
}
