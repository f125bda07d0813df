//! [`WebhookChannelBuilder`]: configuration, clock and HTTP client in one chain.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use unibox_core::http::HttpClient;
use unibox_core::{Clock, Error};
use url::Url;

use crate::{WebhookChannel, WebhookChannelConfigBuilder, WebhookSecret};

/// Builds a [`WebhookChannel`] in one chain; the shortcut for
/// [`WebhookChannelConfig::builder`](crate::WebhookChannelConfig::builder) followed by [`WebhookChannel::new`],
/// [`with_clock`](WebhookChannel::with_clock) and
/// [`with_http_client`](WebhookChannel::with_http_client).
///
/// Each secret is checked when it is added, so an error points at the line that added it.
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_webhook::WebhookChannel;
/// use unibox_core::{Channel, ManualClock, Timestamp};
/// # fn main() -> Result<(), unibox_core::Error> {
/// let channel = WebhookChannel::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?
///     .send_to("https://crm.example.com/unibox/outbound".parse().unwrap())
///     .clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_732_000_000))))
///     .build()?;
/// assert!(channel.capabilities().idempotent_send);
/// assert!(WebhookChannel::builder().secret("not-a-whsec-secret").is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct WebhookChannelBuilder {
    config: WebhookChannelConfigBuilder,
    clock: Option<Arc<dyn Clock>>,
    http: Option<Arc<dyn HttpClient>>,
}

impl WebhookChannelBuilder {
    /// Adds a verification secret (`whsec_<base64>`); fails with
    /// [`ErrorKind::Configuration`](unibox_core::ErrorKind::Configuration) when it is malformed.
    pub fn secret(mut self, secret: impl Into<SecretString>) -> Result<Self, Error> {
        let secret = checked(secret.into())?;
        self.config = self.config.secret(secret);
        Ok(self)
    }

    /// Adds a secret that signs outbound requests (default: every verification secret).
    pub fn signing_secret(mut self, secret: impl Into<SecretString>) -> Result<Self, Error> {
        let secret = checked(secret.into())?;
        self.config = self.config.signing_secret(secret);
        Ok(self)
    }

    /// Where outbound messages are POSTed. Sending also needs an
    /// [`http_client`](Self::http_client).
    pub fn send_to(mut self, url: Url) -> Self {
        self.config = self.config.send_url(url);
        self
    }

    /// The allowed distance between `webhook-timestamp` and the clock, in either direction.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.config = self.config.tolerance(tolerance);
        self
    }

    /// How many verified deliveries the replay guard remembers.
    pub fn replay_capacity(mut self, capacity: usize) -> Self {
        self.config = self.config.replay_capacity(capacity);
        self
    }

    /// Reads time from `clock` (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Sends through `client`.
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the configuration (the rules of [`WebhookChannelConfigBuilder::build`]) and
    /// returns the channel.
    pub fn build(self) -> Result<WebhookChannel, Error> {
        let mut channel = WebhookChannel::new(self.config.build()?);
        if let Some(clock) = self.clock {
            channel = channel.with_clock(clock);
        }
        if let Some(http) = self.http {
            channel = channel.with_http_client(http);
        }
        Ok(channel)
    }
}

/// Parses a secret now, so a malformed one fails at the line that added it; the
/// configuration builder keeps the original and parses it again when it builds.
fn checked(secret: SecretString) -> Result<SecretString, Error> {
    WebhookSecret::parse(secret.clone())?;
    Ok(secret)
}

impl fmt::Debug for WebhookChannelBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannelBuilder")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("http", &self.http.is_some())
            .finish()
    }
}
