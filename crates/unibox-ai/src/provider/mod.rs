//! The providers: OpenAI (Responses API) and Anthropic (Messages API), over unibox's
//! [`HttpClient`](unibox_core::http::HttpClient) port, sharing one retry loop and one prompt.

#[cfg(feature = "anthropic")]
mod anthropic;
#[cfg(feature = "openai")]
mod openai;
mod retry;

use std::time::Duration;

#[cfg(feature = "anthropic")]
pub use anthropic::AnthropicResponder;
#[cfg(feature = "openai")]
pub use openai::OpenAiResponder;
use url::Url;

/// How a provider is called. Holds no key: keys live in the vault ([`ApiKeys`](crate::ApiKeys)).
///
/// ```
/// use std::time::Duration;
/// use unibox_ai::ProviderConfig;
/// let config = ProviderConfig::openai("gpt-5.4-mini").timeout(Duration::from_secs(20));
/// assert_eq!(config.base_url.as_str(), "https://api.openai.com/v1");
/// assert_eq!(config.max_retries, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// The API's base URL (OpenAI's includes `/v1`, Anthropic's does not).
    pub base_url: Url,
    /// The model id.
    pub model: String,
    /// The deadline of one attempt, from sending the request to the whole response.
    pub timeout: Duration,
    /// Retries after a rate limit or an overload (never after a timeout).
    pub max_retries: u32,
    /// The first backoff when the provider names no delay; doubled per retry.
    pub backoff: Duration,
    /// The longest provider-requested delay worth waiting; a longer one is returned as
    /// `RateLimited` with the delay.
    pub max_retry_delay: Duration,
}

impl ProviderConfig {
    fn new(base_url: &str, model: impl Into<String>) -> Self {
        ProviderConfig {
            base_url: base_url.parse().unwrap_or_else(|e| panic!("built-in base URL: {e}")),
            model: model.into(),
            timeout: Duration::from_secs(30),
            max_retries: 2,
            backoff: Duration::from_millis(500),
            max_retry_delay: Duration::from_secs(20),
        }
    }

    /// OpenAI at `https://api.openai.com/v1` with `model`.
    pub fn openai(model: impl Into<String>) -> Self {
        Self::new("https://api.openai.com/v1", model)
    }

    /// Anthropic at `https://api.anthropic.com` with `model`.
    pub fn anthropic(model: impl Into<String>) -> Self {
        Self::new("https://api.anthropic.com", model)
    }

    /// Another base URL (a proxy, or a local fake server in tests).
    pub fn base_url(mut self, base_url: Url) -> Self {
        self.base_url = base_url;
        self
    }

    /// The deadline of one attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many retries after a rate limit or an overload.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff when the provider names no delay.
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// The longest provider-requested delay worth waiting.
    pub fn max_retry_delay(mut self, delay: Duration) -> Self {
        self.max_retry_delay = delay;
        self
    }
}

/// How many tool round trips one call may make before it must answer.
pub(crate) const MAX_TOOL_ROUNDS: usize = 4;
