//! [`LineConfig`]: the channel's secret, how it gets access tokens, and where the API is.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

use crate::TokenIssuance;

/// LINE's API host.
pub const DEFAULT_API_BASE_URL: &str = "https://api.line.me/";

/// LINE's host for message content (what users send: images, video, audio, files).
pub const DEFAULT_API_DATA_BASE_URL: &str = "https://api-data.line.me/";

/// How long after receipt a reply token is used; later sends push. LINE documents about a
/// minute and tokens have been seen refused after ~30 s under load, so the default keeps a margin.
pub const DEFAULT_REPLY_WINDOW: Duration = Duration::from_secs(50);

/// The configuration of a [`LineChannel`](crate::LineChannel): one LINE Messaging API channel
/// (one LINE Official Account bot).
///
/// The channel secret signs every webhook. Access tokens come from the token store; how they
/// are renewed is [`TokenIssuance`] (a long-lived token from the console by default, which is
/// never refreshed).
///
/// ```
/// use unibox_channel_line::{LineConfig, TokenIssuance};
/// let config = LineConfig::builder()
///     .channel_secret("8c3a9e7f0d1b2c4e5f60718293a4b5c6")
///     .channel_id("1657123456")
///     .token_issuance(TokenIssuance::Stateless)
///     .build()
///     .unwrap();
/// assert!(!format!("{config:?}").contains("8c3a9e7f"));
/// // Issuing tokens needs the channel id.
/// assert!(LineConfig::builder().channel_secret("s").token_issuance(TokenIssuance::ShortLived).build().is_err());
/// ```
#[derive(Clone)]
pub struct LineConfig {
    pub(crate) channel_secrets: Vec<SecretString>,
    pub(crate) channel_id: Option<String>,
    pub(crate) token_issuance: TokenIssuance,
    pub(crate) api_base_url: Url,
    pub(crate) api_data_base_url: Url,
    pub(crate) reply_window: Duration,
}

impl LineConfig {
    /// A builder.
    pub fn builder() -> LineConfigBuilder {
        LineConfigBuilder::default()
    }

    /// The channel id, when configured.
    pub fn channel_id(&self) -> Option<&str> {
        self.channel_id.as_deref()
    }

    /// How access tokens are renewed.
    pub fn token_issuance(&self) -> &TokenIssuance {
        &self.token_issuance
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// The base URL of the content host.
    pub fn api_data_base_url(&self) -> &Url {
        &self.api_data_base_url
    }

    /// How long after receipt a reply token is used.
    pub fn reply_window(&self) -> Duration {
        self.reply_window
    }

    /// The secret token issuance authenticates with: the first (current) channel secret.
    pub(crate) fn current_secret(&self) -> &SecretString {
        // `build` refuses a configuration without a secret.
        &self.channel_secrets[0]
    }
}

impl fmt::Debug for LineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineConfig")
            .field("channel_secrets", &format_args!("[{} redacted]", self.channel_secrets.len()))
            .field("channel_id", &self.channel_id)
            .field("token_issuance", &self.token_issuance)
            .field("api_base_url", &self.api_base_url.as_str())
            .field("api_data_base_url", &self.api_data_base_url.as_str())
            .field("reply_window", &self.reply_window)
            .finish()
    }
}

/// Builds a [`LineConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct LineConfigBuilder {
    channel_secrets: Vec<SecretString>,
    channel_id: Option<String>,
    token_issuance: Option<TokenIssuance>,
    api_base_url: Option<Url>,
    api_data_base_url: Option<Url>,
    reply_window: Option<Duration>,
}

impl LineConfigBuilder {
    /// The channel secret (LINE Developers Console › the channel › Basic settings). It signs
    /// webhooks and authenticates token issuance. Call twice while reissuing it: webhooks
    /// signed with either verify, and the first one issues tokens.
    pub fn channel_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.channel_secrets.push(secret.into());
        self
    }

    /// The channel id (digits; Basic settings), needed to issue tokens.
    pub fn channel_id(mut self, channel_id: impl Into<String>) -> Self {
        self.channel_id = Some(channel_id.into());
        self
    }

    /// How access tokens are renewed (default [`TokenIssuance::LongLived`]: never).
    pub fn token_issuance(mut self, issuance: TokenIssuance) -> Self {
        self.token_issuance = Some(issuance);
        self
    }

    /// Calls another host (a fake one in tests, a proxy) instead of `https://api.line.me/`.
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// Fetches message content from another host (a fake one in tests, a proxy) instead of
    /// `https://api-data.line.me/`.
    pub fn api_data_base_url(mut self, url: Url) -> Self {
        self.api_data_base_url = Some(url);
        self
    }

    /// How long after receipt a reply token is used (default [`DEFAULT_REPLY_WINDOW`]; at
    /// most 60 s, LINE's documented lifetime).
    pub fn reply_window(mut self, window: Duration) -> Self {
        self.reply_window = Some(window);
        self
    }

    /// Checks and builds: a non-empty channel secret is required; issuing tokens needs a
    /// channel id of digits.
    pub fn build(self) -> Result<LineConfig> {
        let configuration = |message: &'static str| Err(Error::new(ErrorKind::Configuration, message));
        if self.channel_secrets.is_empty() {
            return configuration("the LINE channel needs its channel secret to verify webhooks");
        }
        if self.channel_secrets.iter().any(|s| s.expose_secret().is_empty()) {
            return configuration("the LINE channel secret is empty");
        }
        if self.channel_id.as_deref().is_some_and(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit())) {
            return configuration("a LINE channel id is digits only");
        }
        let token_issuance = self.token_issuance.unwrap_or(TokenIssuance::LongLived);
        if token_issuance.issues() && self.channel_id.is_none() {
            return configuration("issuing LINE channel access tokens needs the channel id");
        }
        let reply_window = self.reply_window.unwrap_or(DEFAULT_REPLY_WINDOW);
        if reply_window > Duration::from_secs(60) {
            return configuration("a LINE reply token lives about a minute: the reply window is at most 60 s");
        }
        let default = |url: &str| {
            Url::parse(url)
                .map_err(|e| Error::new(ErrorKind::Configuration, format!("the default LINE URL {url}: {e}")))
        };
        let api_base_url = match self.api_base_url {
            Some(url) => url,
            None => default(DEFAULT_API_BASE_URL)?,
        };
        let api_data_base_url = match self.api_data_base_url {
            Some(url) => url,
            None => default(DEFAULT_API_DATA_BASE_URL)?,
        };
        Ok(LineConfig {
            channel_secrets: self.channel_secrets,
            channel_id: self.channel_id,
            token_issuance,
            api_base_url,
            api_data_base_url,
            reply_window,
        })
    }
}

impl fmt::Debug for LineConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineConfigBuilder")
            .field("channel_secrets", &self.channel_secrets.len())
            .field("channel_id", &self.channel_id)
            .field("token_issuance", &self.token_issuance)
            .finish_non_exhaustive()
    }
}
