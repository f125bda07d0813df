//! [`ShopeeConfig`]: the app's partner id and key, the registered push callback URL, and where
//! the API is.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::Rate;
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

/// Shopee's production host for developers served from Singapore.
pub const DEFAULT_API_BASE_URL: &str = "https://partner.shopeemobile.com/";

/// The sandbox host.
pub const SANDBOX_API_BASE_URL: &str = "https://openplatform.sandbox.test-stable.shopee.sg/";

/// The default sending rate per shop. Shopee publishes no number for sellerchat (every API's
/// `rate_limit` field reads `[0,0,0]`); 10 a second stays far below the throttling reported
/// around 100 requests a second, and a person types slower. Override it with
/// [`ShopeeConfigBuilder::send_rate`].
pub const DEFAULT_SEND_RATE: Rate = Rate::per_second(10);

/// The configuration of a [`ShopeeChannel`](crate::ShopeeChannel): one Shopee Open Platform
/// app (partner), serving every shop that authorized it.
///
/// The partner key signs every API call and every push. The callback URL is the one registered
/// in the console (or with `v2.push.set_app_push_config`) **exactly as registered**: Shopee signs
/// it with the body, and it is never taken from a request's `Host` header.
///
/// ```
/// use unibox_channel_shopee::ShopeeConfig;
/// let config = ShopeeConfig::builder()
///     .partner_id(2001887)
///     .partner_key("4a6d7071726e6f7065716f617873726a6b7a6a6e616d6a7a6e6a6c6b6f7a6d")
///     .callback_url("https://inbox.example.com/webhooks/shopee")
///     .build()
///     .unwrap();
/// assert_eq!(config.partner_id(), Some(2001887));
/// assert!(!format!("{config:?}").contains("4a6d7071"));
/// // The callback URL is required: it is half of what Shopee signs.
/// assert!(ShopeeConfig::builder().partner_id(1).partner_key("k").build().is_err());
/// // Verifying and parsing pushes needs only the key and the callback URL (offline inspection).
/// let inspect = ShopeeConfig::builder().partner_key("k").callback_url("https://inbox.example.com/shopee").build();
/// assert!(inspect.is_ok());
/// ```
#[derive(Clone)]
pub struct ShopeeConfig {
    pub(crate) partner_id: Option<u64>,
    pub(crate) partner_keys: Vec<SecretString>,
    pub(crate) callback_url: String,
    pub(crate) api_base_url: Url,
    pub(crate) send_rate: Rate,
}

impl ShopeeConfig {
    /// A builder.
    pub fn builder() -> ShopeeConfigBuilder {
        ShopeeConfigBuilder::default()
    }

    /// The partner (app) id, needed for API calls (not for verifying pushes).
    pub fn partner_id(&self) -> Option<u64> {
        self.partner_id
    }

    /// The partner id for an API call; `Configuration` when it was not configured.
    pub(crate) fn api_partner_id(&self, operation: &'static str) -> Result<u64> {
        self.partner_id.ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "calling Shopee's API needs the app's partner id: set partner_id")
                .with_operation(operation)
        })
    }

    /// The registered push callback URL, exactly as Shopee signs it.
    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// The sending rate declared per shop.
    pub fn send_rate(&self) -> Rate {
        self.send_rate
    }

    /// The key that signs API calls: the first one configured.
    pub(crate) fn signing_key(&self) -> &str {
        // `build` refuses a configuration without a key.
        self.partner_keys[0].expose_secret()
    }
}

impl fmt::Debug for ShopeeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeConfig")
            .field("partner_id", &self.partner_id)
            .field("partner_keys", &format_args!("[{} redacted]", self.partner_keys.len()))
            .field("callback_url", &self.callback_url)
            .field("api_base_url", &self.api_base_url.as_str())
            .field("send_rate", &self.send_rate)
            .finish()
    }
}

/// Builds a [`ShopeeConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct ShopeeConfigBuilder {
    partner_id: Option<u64>,
    partner_keys: Vec<SecretString>,
    callback_url: Option<String>,
    api_base_url: Option<Url>,
    send_rate: Option<Rate>,
}

impl ShopeeConfigBuilder {
    /// The partner id (Open Platform console › App list; the live and test apps differ). API
    /// calls need it; verifying and parsing pushes does not.
    pub fn partner_id(mut self, partner_id: u64) -> Self {
        self.partner_id = Some(partner_id);
        self
    }

    /// The partner key (the console's "Live Key" or "Test Key"). Call twice while resetting
    /// it: pushes signed with either verify, and the first one signs API calls.
    pub fn partner_key(mut self, key: impl Into<SecretString>) -> Self {
        self.partner_keys.push(key.into());
        self
    }

    /// The push callback URL exactly as registered with Shopee (scheme, host, path and any
    /// query string): Shopee signs `callback_url|body`.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Calls another host (the sandbox, a fake one in tests, a proxy) instead of
    /// [`DEFAULT_API_BASE_URL`].
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// The sending rate to declare per shop (default [`DEFAULT_SEND_RATE`]).
    pub fn send_rate(mut self, rate: Rate) -> Self {
        self.send_rate = Some(rate);
        self
    }

    /// Checks and builds: a non-empty partner key and an absolute `http(s)` callback URL
    /// without a fragment are required; a partner id, when given, is not zero.
    pub fn build(self) -> Result<ShopeeConfig> {
        let configuration = |message: String| Err(Error::new(ErrorKind::Configuration, message));
        let partner_id = self.partner_id;
        if partner_id == Some(0) {
            return configuration("a Shopee partner id is not zero".into());
        }
        if self.partner_keys.is_empty() || self.partner_keys.iter().any(|k| k.expose_secret().trim().is_empty()) {
            return configuration(
                "the Shopee channel needs the app's partner key to verify pushes and sign calls".into(),
            );
        }
        let Some(callback_url) = self.callback_url else {
            return configuration(
                "the Shopee channel needs the push callback URL exactly as registered with Shopee (it is signed with every push)"
                    .into(),
            );
        };
        match Url::parse(&callback_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => {}
            _ => {
                return configuration(format!(
                    "the Shopee callback URL {callback_url:?} is not an absolute http(s) URL without a fragment"
                ));
            }
        }
        let api_base_url = match self.api_base_url {
            Some(url) => url,
            None => Url::parse(DEFAULT_API_BASE_URL)
                .map_err(|e| Error::new(ErrorKind::Configuration, format!("the default Shopee URL: {e}")))?,
        };
        let send_rate = self.send_rate.unwrap_or(DEFAULT_SEND_RATE);
        if send_rate.count == 0 || send_rate.per.is_zero() {
            return configuration("the Shopee send rate must allow at least one message in a non-zero period".into());
        }
        Ok(ShopeeConfig { partner_id, partner_keys: self.partner_keys, callback_url, api_base_url, send_rate })
    }
}

impl fmt::Debug for ShopeeConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeConfigBuilder")
            .field("partner_id", &self.partner_id)
            .field("partner_keys", &self.partner_keys.len())
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}
