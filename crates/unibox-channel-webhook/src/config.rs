//! The channel's configuration and its builder.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use unibox_core::{Error, ErrorKind};
use url::Url;

use crate::WebhookSecret;

/// How far the signed `webhook-timestamp` may be from the clock, in either direction, by
/// default: 5 minutes, as the Standard Webhooks reference libraries use.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// How many recently verified deliveries the replay guard remembers by default.
pub const DEFAULT_REPLAY_CAPACITY: usize = 10_000;

/// The configuration of a [`WebhookChannel`](crate::WebhookChannel): secrets, where to send,
/// and the replay rules. Build it with [`WebhookChannelConfig::builder`].
///
/// `Debug` lists how many secrets there are, never their values.
///
/// ```
/// use std::time::Duration;
/// use unibox_channel_webhook::WebhookChannelConfig;
/// let config = WebhookChannelConfig::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into())
///     .send_url("https://crm.example.com/unibox/outbound".parse().unwrap())
///     .tolerance(Duration::from_secs(120))
///     .build()
///     .unwrap();
/// assert_eq!(config.tolerance(), Duration::from_secs(120));
/// assert!(!format!("{config:?}").contains("MfKQ9r8G"));
/// ```
#[derive(Clone)]
pub struct WebhookChannelConfig {
    pub(crate) verification_secrets: Vec<WebhookSecret>,
    pub(crate) signing_secrets: Vec<WebhookSecret>,
    pub(crate) send_url: Option<Url>,
    pub(crate) tolerance: Duration,
    pub(crate) replay_capacity: usize,
}

impl WebhookChannelConfig {
    /// A builder; at least one [`secret`](WebhookChannelConfigBuilder::secret) is required.
    pub fn builder() -> WebhookChannelConfigBuilder {
        WebhookChannelConfigBuilder::default()
    }

    /// Where outbound messages are POSTed, if the channel sends.
    pub fn send_url(&self) -> Option<&Url> {
        self.send_url.as_ref()
    }

    /// The allowed distance between `webhook-timestamp` and the clock, in either direction.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// How many verified deliveries the replay guard remembers.
    pub fn replay_capacity(&self) -> usize {
        self.replay_capacity
    }

    /// How many secrets verify inbound deliveries.
    pub fn verification_secret_count(&self) -> usize {
        self.verification_secrets.len()
    }

    /// How many secrets sign outbound requests (one `v1,` signature each).
    pub fn signing_secret_count(&self) -> usize {
        self.signing_secrets.len()
    }
}

impl fmt::Debug for WebhookChannelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannelConfig")
            .field("verification_secrets", &format_args!("[{} redacted]", self.verification_secrets.len()))
            .field("signing_secrets", &format_args!("[{} redacted]", self.signing_secrets.len()))
            .field("send_url", &self.send_url.as_ref().map(crate::send::display_url))
            .field("tolerance", &self.tolerance)
            .field("replay_capacity", &self.replay_capacity)
            .finish()
    }
}

/// Builds a [`WebhookChannelConfig`], checking every secret once.
///
/// - [`secret`](Self::secret) adds a verification secret. Add the new one next to the old
///   one while a sender rotates: a delivery passes when any of its signatures matches any
///   secret.
/// - Outbound requests are signed with every verification secret (one `v1,` signature each,
///   so a receiver holding either the old or the new secret accepts them), unless
///   [`signing_secret`](Self::signing_secret) names the secrets to sign with.
///
/// ```
/// use unibox_channel_webhook::WebhookChannelConfig;
/// use unibox_core::ErrorKind;
/// let config = WebhookChannelConfig::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into())
///     .secret("whsec_dGhpcyBpcyB0aGUgbmV3IHNlY3JldCwgMzIgYnl0ZXM=".into())
///     .build()
///     .unwrap();
/// assert_eq!(config.verification_secret_count(), 2);
/// assert_eq!(config.signing_secret_count(), 2);
/// assert!(config.send_url().is_none());
///
/// let err = WebhookChannelConfig::builder().build().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Configuration);
/// ```
#[derive(Default)]
pub struct WebhookChannelConfigBuilder {
    verification_secrets: Vec<SecretString>,
    signing_secrets: Vec<SecretString>,
    send_url: Option<Url>,
    tolerance: Option<Duration>,
    replay_capacity: Option<usize>,
}

impl WebhookChannelConfigBuilder {
    /// Adds a secret (`whsec_<base64>`) that verifies inbound deliveries.
    pub fn secret(mut self, secret: SecretString) -> Self {
        self.verification_secrets.push(secret);
        self
    }

    /// Adds a secret that signs outbound requests. When none is added, every verification
    /// secret signs.
    pub fn signing_secret(mut self, secret: SecretString) -> Self {
        self.signing_secrets.push(secret);
        self
    }

    /// Where outbound messages are POSTed. Without it the channel only receives.
    pub fn send_url(mut self, url: Url) -> Self {
        self.send_url = Some(url);
        self
    }

    /// The allowed distance between `webhook-timestamp` and the clock, in either direction
    /// (default [`DEFAULT_TOLERANCE`]).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// How many verified deliveries the replay guard remembers (default
    /// [`DEFAULT_REPLAY_CAPACITY`]). Size it above the deliveries you expect within twice
    /// the tolerance; past it the oldest are forgotten first.
    pub fn replay_capacity(mut self, capacity: usize) -> Self {
        self.replay_capacity = Some(capacity);
        self
    }

    /// Checks the secrets and the URL and returns the configuration.
    ///
    /// Fails with [`ErrorKind::Configuration`] when no verification secret is given, a secret
    /// is malformed, the send URL is not `http` or `https`, or the replay capacity is zero.
    pub fn build(self) -> Result<WebhookChannelConfig, Error> {
        let parse_all = |secrets: Vec<SecretString>, role: &'static str| {
            secrets
                .into_iter()
                .enumerate()
                .map(|(index, secret)| WebhookSecret::parse(secret).map_err(|e| e.with_context(role, index + 1)))
                .collect::<Result<Vec<_>, Error>>()
        };
        let verification_secrets = parse_all(self.verification_secrets, "verification secret")?;
        let signing_secrets = parse_all(self.signing_secrets, "signing secret")?;
        WebhookChannelConfig::from_parts(
            verification_secrets,
            signing_secrets,
            self.send_url,
            self.tolerance,
            self.replay_capacity,
        )
    }
}

impl WebhookChannelConfig {
    /// The one place the rules of a configuration are checked.
    pub(crate) fn from_parts(
        verification_secrets: Vec<WebhookSecret>,
        signing_secrets: Vec<WebhookSecret>,
        send_url: Option<Url>,
        tolerance: Option<Duration>,
        replay_capacity: Option<usize>,
    ) -> Result<Self, Error> {
        if verification_secrets.is_empty() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the webhook channel needs at least one verification secret (whsec_...)",
            ));
        }
        let signing_secrets = if signing_secrets.is_empty() { verification_secrets.clone() } else { signing_secrets };
        if let Some(url) = &send_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the send URL must be http or https, not {}", url.scheme()),
            ));
        }
        let replay_capacity = replay_capacity.unwrap_or(DEFAULT_REPLAY_CAPACITY);
        if replay_capacity == 0 {
            return Err(Error::new(ErrorKind::Configuration, "the replay guard capacity must be at least 1"));
        }
        Ok(WebhookChannelConfig {
            verification_secrets,
            signing_secrets,
            send_url,
            tolerance: tolerance.unwrap_or(DEFAULT_TOLERANCE),
            replay_capacity,
        })
    }
}

impl fmt::Debug for WebhookChannelConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannelConfigBuilder")
            .field("verification_secrets", &format_args!("[{} redacted]", self.verification_secrets.len()))
            .field("signing_secrets", &format_args!("[{} redacted]", self.signing_secrets.len()))
            .field("send_url", &self.send_url.as_ref().map(crate::send::display_url))
            .field("tolerance", &self.tolerance)
            .field("replay_capacity", &self.replay_capacity)
            .finish()
    }
}
