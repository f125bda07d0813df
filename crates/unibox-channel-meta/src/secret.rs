//! [`AppSecret`]: the Meta app secret, which signs webhooks, `signed_request` and `appsecret_proof`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{hex, signature};

/// A Meta app secret (App Dashboard › App settings › Basic), or the Instagram app secret for
/// apps on the Instagram API with Instagram Login.
///
/// It signs every webhook (`X-Hub-Signature-256`), every `signed_request` and the
/// `appsecret_proof` of Graph calls. `Debug` never shows it.
///
/// ```
/// use unibox_channel_meta::AppSecret;
/// let secret = AppSecret::new("appsecret");
/// // The fact sheet's computed vector for the body {"object":"page","entry":[]}.
/// assert_eq!(
///     secret.signature_header(br#"{"object":"page","entry":[]}"#),
///     "sha256=0e9e0080a310f376450c46d999aa4d49ed772bfe43c13205f38a3a6e6611ed2b"
/// );
/// assert!(!format!("{secret:?}").contains("appsecret"));
/// ```
#[derive(Clone)]
pub struct AppSecret(SecretString);

impl AppSecret {
    /// Wraps an app secret.
    pub fn new(secret: impl Into<String>) -> Self {
        AppSecret(SecretString::from(secret.into()))
    }

    pub(crate) fn key(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }

    /// The `X-Hub-Signature-256` value Meta sends with `body`: `sha256=` and the lowercase hex
    /// HMAC-SHA256 of the exact bytes. Useful to sign fixtures and replayed deliveries.
    pub fn signature_header(&self, body: &[u8]) -> String {
        format!("sha256={}", hex::encode(&signature::hmac_sha256(self.key(), &[body])))
    }

    /// The `appsecret_proof` of an access token: lowercase hex HMAC-SHA256 keyed by the app
    /// secret over the token. Graph refuses calls without it when the app requires it.
    ///
    /// ```
    /// use secrecy::SecretString;
    /// use unibox_channel_meta::AppSecret;
    /// let proof = AppSecret::new("appsecret").appsecret_proof(&SecretString::from("ACCESS_TOKEN"));
    /// assert_eq!(proof, "20521872f5897ac2895d70ad676e4323c2581dc8835d7ed57f9aae5a29866844");
    /// ```
    pub fn appsecret_proof(&self, access_token: &SecretString) -> String {
        hex::encode(&signature::hmac_sha256(self.key(), &[access_token.expose_secret().as_bytes()]))
    }
}

impl From<SecretString> for AppSecret {
    fn from(secret: SecretString) -> Self {
        AppSecret(secret)
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret([redacted])")
    }
}
