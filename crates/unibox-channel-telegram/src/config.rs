//! [`TelegramConfig`]: the bot token, the webhook secret token(s), the bot's username and where
//! the Bot API is.

use std::fmt;

use secrecy::SecretString;
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

use crate::{BotToken, WebhookSecret};

/// The Bot API host.
pub const DEFAULT_API_BASE_URL: &str = "https://api.telegram.org/";

/// The configuration of a [`TelegramChannel`](crate::TelegramChannel): one bot.
///
/// ```
/// use unibox_channel_telegram::TelegramConfig;
/// let config = TelegramConfig::builder()
///     .bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
///     .secret_token("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE")
///     .bot_username("acme_shop_bot")
///     .build()
///     .unwrap();
/// assert_eq!(config.bot_id(), "123456789");
/// let debug = format!("{config:?}");
/// assert!(!debug.contains("AAHdqTcv") && !debug.contains("k3Jx9"));
/// // Webhooks cannot be authenticated without a secret token.
/// assert!(TelegramConfig::builder().bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").build().is_err());
/// ```
#[derive(Clone)]
pub struct TelegramConfig {
    pub(crate) bot_token: BotToken,
    pub(crate) secret_tokens: Vec<WebhookSecret>,
    pub(crate) bot_username: Option<String>,
    pub(crate) api_base_url: Url,
}

impl TelegramConfig {
    /// A builder.
    pub fn builder() -> TelegramConfigBuilder {
        TelegramConfigBuilder::default()
    }

    /// The bot's id: the platform account id its webhooks are routed by.
    pub fn bot_id(&self) -> &str {
        self.bot_token.bot_id()
    }

    /// The bot's username (without `@`), when configured.
    pub fn bot_username(&self) -> Option<&str> {
        self.bot_username.as_deref()
    }

    /// The Bot API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// The secret token `set_webhook` registers: the first configured one.
    pub(crate) fn current_secret(&self) -> &WebhookSecret {
        // `build` refuses a configuration without one.
        &self.secret_tokens[0]
    }
}

impl fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("bot_token", &self.bot_token)
            .field("secret_tokens", &format_args!("[{} redacted]", self.secret_tokens.len()))
            .field("bot_username", &self.bot_username)
            .field("api_base_url", &self.api_base_url.as_str())
            .finish()
    }
}

/// Builds a [`TelegramConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct TelegramConfigBuilder {
    bot_token: Option<SecretString>,
    secret_tokens: Vec<SecretString>,
    bot_username: Option<String>,
    api_base_url: Option<Url>,
}

impl TelegramConfigBuilder {
    /// The bot token from @BotFather (`123456789:AA…`). Its id part names the bot's account;
    /// the channel sends with it unless the token store holds another for the account.
    pub fn bot_token(mut self, token: impl Into<SecretString>) -> Self {
        self.bot_token = Some(token.into());
        self
    }

    /// The secret token registered with `setWebhook` (see
    /// [`WebhookSecret::generate`](crate::WebhookSecret::generate)). Call twice while rotating
    /// it: webhooks carrying either verify, and the first is the one `set_webhook` registers.
    pub fn secret_token(mut self, secret: impl Into<SecretString>) -> Self {
        self.secret_tokens.push(secret.into());
        self
    }

    /// The bot's username (`acme_shop_bot`, with or without `@`). In group chats a command
    /// addressed to another bot (`/start@other_bot`) then stays text instead of becoming a
    /// command for this one.
    pub fn bot_username(mut self, username: impl Into<String>) -> Self {
        let username = username.into();
        self.bot_username = Some(username.strip_prefix('@').unwrap_or(&username).to_owned());
        self
    }

    /// Calls another host (a local Bot API server, a fake one in tests) instead of
    /// `https://api.telegram.org/`.
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// Checks and builds: the bot token and at least one secret token are required, each in
    /// Telegram's format.
    pub fn build(self) -> Result<TelegramConfig> {
        let bot_token = self.bot_token.ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Telegram channel needs its bot token (from @BotFather)")
        })?;
        let bot_token = BotToken::new(bot_token)?;
        if self.secret_tokens.is_empty() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the Telegram channel needs the webhook secret token to authenticate webhooks \
                 (generate one with WebhookSecret::generate and register it with set_webhook)",
            ));
        }
        let secret_tokens = self.secret_tokens.into_iter().map(WebhookSecret::new).collect::<Result<Vec<_>>>()?;
        if let Some(username) = &self.bot_username
            && (username.is_empty() || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(Error::new(ErrorKind::Configuration, "a Telegram bot username is letters, digits and _"));
        }
        let api_base_url = match self.api_base_url {
            Some(url) => url,
            None => Url::parse(DEFAULT_API_BASE_URL)
                .map_err(|e| Error::new(ErrorKind::Configuration, format!("the default Bot API URL: {e}")))?,
        };
        if bot_token.appears_in(api_base_url.as_str()) {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the Bot API base URL must not contain the bot token: the channel adds it to each call",
            ));
        }
        Ok(TelegramConfig { bot_token, secret_tokens, bot_username: self.bot_username, api_base_url })
    }
}

impl fmt::Debug for TelegramConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramConfigBuilder")
            .field("bot_token", &self.bot_token.as_ref().map(|_| "[redacted]"))
            .field("secret_tokens", &self.secret_tokens.len())
            .field("bot_username", &self.bot_username)
            .finish_non_exhaustive()
    }
}
