//! Standard Webhooks secrets: `whsec_` followed by the base64 of the HMAC key.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use unibox_core::channel::signature;
use unibox_core::{Error, ErrorKind};

/// The prefix of a serialized Standard Webhooks symmetric secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The shortest key Standard Webhooks allows, in bytes (after base64 decoding).
pub const MIN_KEY_BYTES: usize = 24;

/// The longest key Standard Webhooks allows, in bytes (after base64 decoding).
pub const MAX_KEY_BYTES: usize = 64;

/// A Standard Webhooks signing secret, decoded once from its `whsec_<base64>` form.
///
/// The HMAC-SHA256 key is the base64-decoded part after `whsec_`; the specification asks for
/// 24 to 64 random bytes, and anything else is refused so a typo (a missing character, a
/// secret pasted from another system) fails at start-up instead of at the first webhook.
///
/// It never shows the key: `Debug` prints a placeholder and there is no `Display`.
///
/// ```
/// use unibox_channel_webhook::WebhookSecret;
/// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()).unwrap();
/// assert_eq!(
///     secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
///     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/// );
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(whsec_[REDACTED])");
/// assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()).is_err());
/// ```
#[derive(Clone)]
pub struct WebhookSecret {
    key: Arc<SecretSlice<u8>>,
}

impl WebhookSecret {
    /// Parses a `whsec_<base64>` secret.
    ///
    /// Fails with [`ErrorKind::Configuration`] when the prefix is missing, the rest is not
    /// standard base64, or the key is not 24 to 64 bytes long. The message never contains the
    /// secret.
    pub fn parse(secret: SecretString) -> Result<Self, Error> {
        let text = secret.expose_secret().trim();
        let Some(encoded) = text.strip_prefix(SECRET_PREFIX) else {
            return Err(Error::new(
                ErrorKind::Configuration,
                "a webhook secret must have the form whsec_<base64> (the whsec_ prefix is missing)",
            ));
        };
        let key = STANDARD.decode(encoded).map_err(|_| {
            Error::new(ErrorKind::Configuration, "the part of the webhook secret after whsec_ is not valid base64")
        })?;
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "a webhook secret must decode to {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, this one has {}",
                    key.len()
                ),
            ));
        }
        Ok(WebhookSecret { key: Arc::new(SecretSlice::from(key)) })
    }

    /// The raw HMAC key. Kept inside the crate: callers sign with [`sign`](Self::sign).
    pub(crate) fn key(&self) -> &[u8] {
        self.key.expose_secret()
    }

    /// The Standard Webhooks signature of a delivery: `v1,` followed by the base64 of
    /// HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    ///
    /// This is what a sender puts (space-separated, one per secret) in `webhook-signature`;
    /// the channel uses it for its own outbound requests, and tests use it to sign fixtures.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let timestamp = timestamp.to_string();
        let tag = signature::hmac_sha256(self.key(), &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body]);
        let mut out = String::with_capacity(47);
        out.push_str("v1,");
        STANDARD.encode_string(tag, &mut out);
        out
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_[REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_outside_the_specified_key_length_are_refused() {
        let short = format!("whsec_{}", STANDARD.encode([7u8; 23]));
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        let ok = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        assert_eq!(WebhookSecret::parse(short.into()).unwrap_err().kind(), ErrorKind::Configuration);
        assert_eq!(WebhookSecret::parse(long.into()).unwrap_err().kind(), ErrorKind::Configuration);
        assert!(WebhookSecret::parse(ok.into()).is_ok());
    }

    #[test]
    fn errors_about_a_bad_secret_do_not_echo_it() {
        let err = WebhookSecret::parse("whsec_not*base64*at*all".into()).unwrap_err();
        assert!(!err.to_string().contains("not*base64"));
        let err = WebhookSecret::parse("sk_live_abcdef".into()).unwrap_err();
        assert!(!err.to_string().contains("sk_live_abcdef"));
    }
}
