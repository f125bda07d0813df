//! [`NatsBusConfig`]: where the bus connects and how its JetStream stream is laid out.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result};

/// The default JetStream stream of the bus.
pub const DEFAULT_STREAM: &str = "UNIBOX_CHANGES";
/// The default subject prefix: a tenant's events are published on `unibox.changes.<tenant>`.
pub const DEFAULT_SUBJECT_PREFIX: &str = "unibox.changes";
/// How long the stream keeps an event by default. Subscribers read the change log for anything
/// older, so this only bounds the stream's size.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// The window in which JetStream drops a republished event (same tenant and position) by
/// default: relays of several processes publishing the same changes store them once.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60);

/// Where a [`NatsChangeBus`](crate::NatsChangeBus) connects, and its stream layout: one
/// JetStream stream (`UNIBOX_CHANGES`), one subject per tenant under a prefix
/// (`unibox.changes.<tenant>`, a `.` in a tenant id written `~`), each event published with the
/// message id `<tenant>:<position>` so JetStream deduplicates what several relays publish.
///
/// The URL may carry credentials (`nats://user:password@host:4222`, or a token); it is kept as a
/// secret and never shown: `Debug` and errors show it without them.
///
/// ```
/// use std::time::Duration;
/// use unibox_bus_nats::NatsBusConfig;
/// let config = NatsBusConfig::new("nats://bus:s3cret@127.0.0.1:4222")?
///     .stream("ACME_CHANGES")?
///     .subject_prefix("acme.changes")?
///     .max_age(Duration::from_secs(3600));
/// assert_eq!(config.redacted_url(), "nats://***@127.0.0.1:4222");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), unibox_core::Error>(())
/// ```
#[derive(Clone)]
pub struct NatsBusConfig {
    url: SecretString,
    redacted: String,
    stream: String,
    subject_prefix: String,
    max_age: Duration,
    duplicate_window: Duration,
    replicas: usize,
    connection_name: Option<String>,
}

impl NatsBusConfig {
    /// A configuration for the servers at `url`: `nats://host:4222` or `tls://host:4222`, several
    /// separated by commas. `Configuration` if a URL cannot be read (the error does not repeat it).
    pub fn new(url: impl AsRef<str>) -> Result<Self> {
        let url = url.as_ref().trim();
        let redacted = redact(url)?;
        Ok(NatsBusConfig {
            url: SecretString::from(url.to_owned()),
            redacted,
            stream: DEFAULT_STREAM.to_owned(),
            subject_prefix: DEFAULT_SUBJECT_PREFIX.to_owned(),
            max_age: DEFAULT_MAX_AGE,
            duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            replicas: 1,
            connection_name: None,
        })
    }

    /// The JetStream stream's name (`UNIBOX_CHANGES` by default): letters, digits, `-` and `_`.
    /// Deployments sharing a NATS account give each inbox its own stream and prefix.
    pub fn stream(mut self, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the stream name {name:?} must be letters, digits, - and _"),
            ));
        }
        self.stream = name;
        Ok(self)
    }

    /// The subject prefix (`unibox.changes` by default): dot-separated tokens of letters, digits,
    /// `-` and `_`. The stream takes `<prefix>.>`.
    pub fn subject_prefix(mut self, prefix: impl Into<String>) -> Result<Self> {
        let prefix = prefix.into();
        let valid = !prefix.is_empty()
            && prefix.split('.').all(|token| {
                !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            });
        if !valid {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the subject prefix {prefix:?} must be dot-separated tokens of letters, digits, - and _"),
            ));
        }
        self.subject_prefix = prefix;
        Ok(self)
    }

    /// How long the stream keeps an event (24 hours by default, at least a second).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age.max(Duration::from_secs(1));
        self
    }

    /// The stream's deduplication window (2 minutes by default, at least a second, at most the
    /// [`max_age`](NatsBusConfig::max_age)).
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window.max(Duration::from_secs(1));
        self
    }

    /// How many servers of a cluster keep the stream (1 by default, at most 5).
    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas.clamp(1, 5);
        self
    }

    /// The connection name the servers show in their monitoring (`unibox` by default).
    pub fn connection_name(mut self, name: impl Into<String>) -> Self {
        self.connection_name = Some(name.into());
        self
    }

    /// The URL without credentials, for logs.
    pub fn redacted_url(&self) -> &str {
        &self.redacted
    }

    pub(crate) fn url(&self) -> &str {
        self.url.expose_secret()
    }

    pub(crate) fn stream_name(&self) -> &str {
        &self.stream
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.subject_prefix
    }

    pub(crate) fn max_age_value(&self) -> Duration {
        self.max_age
    }

    pub(crate) fn duplicate_window_value(&self) -> Duration {
        self.duplicate_window.min(self.max_age)
    }

    pub(crate) fn replicas_value(&self) -> usize {
        self.replicas
    }

    pub(crate) fn connection_name_value(&self) -> &str {
        self.connection_name.as_deref().unwrap_or("unibox")
    }
}

impl fmt::Debug for NatsBusConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsBusConfig")
            .field("url", &self.redacted)
            .field("stream", &self.stream)
            .field("subject_prefix", &self.subject_prefix)
            .field("max_age", &self.max_age)
            .field("duplicate_window", &self.duplicate_window)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// The URLs with any user, password or token replaced by `***`.
fn redact(urls: &str) -> Result<String> {
    let mut redacted = Vec::new();
    for (index, one) in urls.split(',').map(str::trim).enumerate() {
        let unreadable = || {
            Error::new(
                ErrorKind::Configuration,
                format!("NATS URL number {} is not nats://host:port or tls://host:port", index + 1),
            )
        };
        let mut parsed = url::Url::parse(one).map_err(|_| unreadable())?;
        if !matches!(parsed.scheme(), "nats" | "tls") || parsed.host_str().is_none_or(str::is_empty) {
            return Err(unreadable());
        }
        let secret = !parsed.username().is_empty() || parsed.password().is_some();
        if secret {
            parsed.set_password(None).map_err(|()| unreadable())?;
            parsed.set_username("***").map_err(|()| unreadable())?;
        }
        let mut text = parsed.to_string();
        // Url adds a trailing slash to an empty path; the configuration had none.
        if parsed.path() == "/" && !one.ends_with('/') {
            text.pop();
        }
        redacted.push(text);
    }
    Ok(redacted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        for url in ["nats://ann:hunter22@10.0.0.1:4222", "nats://tok3n-abc@10.0.0.1:4222", "tls://ann:hunter22@bus"] {
            let config = NatsBusConfig::new(url).unwrap();
            for shown in [format!("{config:?}"), config.redacted_url().to_owned()] {
                assert!(!shown.contains("hunter22") && !shown.contains("tok3n"), "{shown}");
                assert!(shown.contains("***"), "{shown}");
            }
        }
        let plain = NatsBusConfig::new("nats://127.0.0.1:4222, nats://127.0.0.1:4223").unwrap();
        assert_eq!(plain.redacted_url(), "nats://127.0.0.1:4222,nats://127.0.0.1:4223");
    }

    #[test]
    fn bad_settings_are_configuration_errors_without_the_url() {
        let error = NatsBusConfig::new("http://ann:hunter22@host").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(!error.to_string().contains("hunter22"));
        assert_eq!(NatsBusConfig::new("localhost:4222").unwrap_err().kind(), ErrorKind::Configuration);
        let config = NatsBusConfig::new("nats://127.0.0.1").unwrap();
        assert!(config.clone().stream("has.dot").is_err());
        assert!(config.clone().subject_prefix("a..b").is_err());
        assert!(config.clone().subject_prefix("a.*").is_err());
        assert!(config.subject_prefix("acme.changes").is_ok());
    }
}
