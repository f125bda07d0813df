//! The bot token (`123456789:AA…` from @BotFather) and the webhook secret token, both kept out
//! of `Debug`, errors and logs.
//!
//! The bot token is part of every Bot API URL (`/bot<token>/<method>`): nothing that leaves the
//! adapter carries such a URL, and any text that might (a transport error of a custom
//! `HttpClient`) goes through [`BotToken::redact`] first.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result};

/// What replaces the bot token in any text that leaves the adapter.
pub(crate) const REDACTED: &str = "[bot token redacted]";

/// A bot token: the bot's id, a colon, and the secret part. It grants full control of the bot
/// and never expires (revoke it in @BotFather).
///
/// ```
/// use unibox_channel_telegram::BotToken;
/// let token = BotToken::new("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
/// assert_eq!(token.bot_id(), "123456789");
/// assert_eq!(format!("{token:?}"), "BotToken(123456789:[redacted])");
/// assert!(BotToken::new("not a token").is_err());
/// ```
#[derive(Clone)]
pub struct BotToken {
    token: SecretString,
    bot_id_end: usize,
}

impl BotToken {
    /// Checks the shape `<digits>:<secret>` (the secret is letters, digits, `_` and `-`).
    pub fn new(token: impl Into<SecretString>) -> Result<Self> {
        let token = token.into();
        let text = token.expose_secret();
        let invalid = || {
            Error::new(
                ErrorKind::Configuration,
                "a Telegram bot token is the bot id, a colon and the secret (\"123456789:AA…\" from @BotFather)",
            )
        };
        let (id, secret) = text.split_once(':').ok_or_else(invalid)?;
        let id_ok = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok =
            !secret.is_empty() && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok || !secret_ok {
            return Err(invalid());
        }
        let bot_id_end = id.len();
        Ok(BotToken { token, bot_id_end })
    }

    /// The bot's id (the part before the colon): the platform account id of the bot's
    /// `ChannelAccount`. It is not secret.
    pub fn bot_id(&self) -> &str {
        &self.token.expose_secret()[..self.bot_id_end]
    }

    /// The part after the colon, which is the secret.
    fn secret_part(&self) -> &str {
        &self.token.expose_secret()[self.bot_id_end + 1..]
    }

    /// The whole token, for building a request URL inside the adapter only.
    pub(crate) fn expose(&self) -> &str {
        self.token.expose_secret()
    }

    /// `text` with every occurrence of the token's secret part (raw or percent-encoded; the
    /// secret alphabet needs no encoding, so both are the same bytes) replaced.
    ///
    /// ```
    /// use unibox_channel_telegram::BotToken;
    /// let token = BotToken::new("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
    /// let said = "error sending request for url (https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage)";
    /// assert_eq!(
    ///     token.redact(said),
    ///     "error sending request for url (https://api.telegram.org/bot123456789:[bot token redacted]/sendMessage)"
    /// );
    /// ```
    pub fn redact(&self, text: &str) -> String {
        text.replace(self.secret_part(), REDACTED)
    }

    /// Whether `text` contains the token's secret part.
    pub(crate) fn appears_in(&self, text: &str) -> bool {
        text.contains(self.secret_part())
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BotToken({}:[redacted])", self.bot_id())
    }
}

/// The most characters Telegram accepts in a webhook secret token.
pub const MAX_SECRET_TOKEN_LENGTH: usize = 256;

/// The secret token given to `setWebhook`, which Telegram echoes in the
/// `X-Telegram-Bot-Api-Secret-Token` header of every webhook: 1 to 256 characters of
/// `A-Z a-z 0-9 _ -`.
///
/// ```
/// use unibox_channel_telegram::WebhookSecret;
/// let secret = WebhookSecret::generate().unwrap();
/// assert_eq!(secret.expose().len(), 43);
/// assert_eq!(format!("{secret:?}"), "WebhookSecret([redacted])");
/// assert!(WebhookSecret::new("has spaces").is_err());
/// ```
#[derive(Clone)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    /// Checks a secret token you chose or stored.
    pub fn new(secret: impl Into<SecretString>) -> Result<Self> {
        let secret = secret.into();
        let text = secret.expose_secret();
        let valid = (1..=MAX_SECRET_TOKEN_LENGTH).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(Error::new(
                ErrorKind::Configuration,
                "a Telegram webhook secret token is 1 to 256 characters of A-Z, a-z, 0-9, _ and -",
            ));
        }
        Ok(WebhookSecret(secret))
    }

    /// A new secret: 256 bits from the operating system's random source, URL-safe Base64
    /// (43 characters, all in Telegram's alphabet).
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| {
            Error::new(ErrorKind::Unexpected, format!("the operating system's random source failed: {error}"))
                .with_operation("telegram.webhook.secret")
        })?;
        Ok(WebhookSecret(SecretString::from(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// The secret, to store (in your configuration or secret manager) and give to the channel.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bot_tokens_are_refused() {
        for token in ["", ":", "123:", ":abc", "12a:abc", "123:ab c", "123:ab/c", "123456789012345678901:abc"] {
            assert!(BotToken::new(token).is_err(), "{token:?}");
        }
        assert!(BotToken::new("1:A-_z").is_ok());
    }

    #[test]
    fn generated_secrets_differ_and_are_valid() {
        let a = WebhookSecret::generate().unwrap();
        let b = WebhookSecret::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert!(WebhookSecret::new(a.expose().to_owned()).is_ok());
        assert!(WebhookSecret::new("x".repeat(257)).is_err());
        assert!(WebhookSecret::new("").is_err());
    }
}
