//! [`LazadaConfig`]: the app's key and secret, and where the API is.

use std::fmt;

use secrecy::SecretString;
use unibox_channel_marketplace::app::{App, url_or_default};
use unibox_core::Result;
use unibox_core::channel::Rate;
use url::Url;

/// The Singapore API host. Each country has its own (`api.lazada.co.th/rest`,
/// `.com.my`, `.vn`, `.com.ph`, `.co.id`): configure the sellers' one.
pub const DEFAULT_API_BASE_URL: &str = "https://api.lazada.sg/rest/";

/// The host of `/auth/token/create` and `/auth/token/refresh`, the same for every country.
pub const DEFAULT_AUTH_BASE_URL: &str = "https://auth.lazada.com/rest/";

/// Where sellers authorize the app.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://auth.lazada.com/oauth/authorize";

/// The configuration of a [`LazadaChannel`](crate::LazadaChannel): one Lazada Open Platform
/// app (its app key and app secret, from the app console), serving every seller that
/// authorized it.
///
/// ```
/// use unibox_channel_lazada::LazadaConfig;
/// let config = LazadaConfig::builder().app_key("115527").app_secret("a1b2c3d4e5f6a7b8c9d0").build().unwrap();
/// assert_eq!(config.app_key(), "115527");
/// assert!(!format!("{config:?}").contains("a1b2c3d4"));
/// assert!(LazadaConfig::builder().app_key("115527").build().is_err(), "the secret is required");
/// ```
#[derive(Clone)]
pub struct LazadaConfig {
    pub(crate) app: App,
    pub(crate) api_base_url: Url,
    pub(crate) auth_base_url: Url,
    pub(crate) authorize_url: Url,
    pub(crate) send_rate: Option<Rate>,
    pub(crate) currency: Option<String>,
}

/// The currency of each country's API host, for product prices (Lazada's answers name none).
const COUNTRY_CURRENCIES: [(&str, &str); 6] = [
    ("api.lazada.sg", "SGD"),
    ("api.lazada.co.th", "THB"),
    ("api.lazada.com.my", "MYR"),
    ("api.lazada.vn", "VND"),
    ("api.lazada.com.ph", "PHP"),
    ("api.lazada.co.id", "IDR"),
];

impl LazadaConfig {
    /// A builder.
    pub fn builder() -> LazadaConfigBuilder {
        LazadaConfigBuilder::default()
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        self.app.key()
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// The token API base URL.
    pub fn auth_base_url(&self) -> &Url {
        &self.auth_base_url
    }

    /// The currency of the sellers' country (product prices are in it): the one configured, or
    /// the API host's country's (`api.lazada.co.th` is `THB`).
    ///
    /// ```
    /// use unibox_channel_lazada::LazadaConfig;
    /// let config = LazadaConfig::builder().app_key("115527").app_secret("s").api_base_url("https://api.lazada.co.th/rest/".parse().unwrap()).build().unwrap();
    /// assert_eq!(config.currency(), Some("THB"));
    /// ```
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref().or_else(|| {
            let host = self.api_base_url.host_str()?;
            COUNTRY_CURRENCIES.iter().find(|(h, _)| *h == host).map(|(_, c)| *c)
        })
    }
}

impl fmt::Debug for LazadaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaConfig")
            .field("app", &self.app)
            .field("api_base_url", &self.api_base_url.as_str())
            .field("auth_base_url", &self.auth_base_url.as_str())
            .field("authorize_url", &self.authorize_url.as_str())
            .field("send_rate", &self.send_rate)
            .field("currency", &self.currency)
            .finish()
    }
}

/// Builds a [`LazadaConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct LazadaConfigBuilder {
    app_key: Option<String>,
    app_secrets: Vec<SecretString>,
    api_base_url: Option<Url>,
    auth_base_url: Option<Url>,
    authorize_url: Option<Url>,
    send_rate: Option<Rate>,
    currency: Option<String>,
}

impl LazadaConfigBuilder {
    /// The app key (digits; App Console › the app › App Overview).
    pub fn app_key(mut self, app_key: impl Into<String>) -> Self {
        self.app_key = Some(app_key.into());
        self
    }

    /// The app secret. It signs API calls and pushes. Call twice while resetting it: pushes
    /// signed with either verify, and the first one signs API calls.
    pub fn app_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.app_secrets.push(secret.into());
        self
    }

    /// Calls another API host: the sellers' country (`https://api.lazada.co.th/rest/`), a
    /// fake one in tests, a proxy. Default [`DEFAULT_API_BASE_URL`].
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// Calls another token host (a fake one in tests). Default [`DEFAULT_AUTH_BASE_URL`].
    pub fn auth_base_url(mut self, url: Url) -> Self {
        self.auth_base_url = Some(url);
        self
    }

    /// Sends sellers elsewhere to authorize. Default [`DEFAULT_AUTHORIZE_URL`].
    pub fn authorize_url(mut self, url: Url) -> Self {
        self.authorize_url = Some(url);
        self
    }

    /// The rate the delivery worker keeps each shop's sends under. Lazada limits each API per
    /// app without publishing the IM numbers (an `ApiCallLimit` answer bans calls for a
    /// second); set the limit your app was given. Default: none.
    pub fn send_rate(mut self, rate: Rate) -> Self {
        self.send_rate = Some(rate);
        self
    }

    /// The currency product prices are in (`THB`). Default: the API host's country's.
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = Some(currency.into());
        self
    }

    /// Checks and builds: an app key of digits and a non-empty app secret are required.
    pub fn build(self) -> Result<LazadaConfig> {
        let app = App::new("Lazada", self.app_key, self.app_secrets)?;
        let url = |given, default| url_or_default("Lazada", given, default);
        Ok(LazadaConfig {
            app,
            api_base_url: url(self.api_base_url, DEFAULT_API_BASE_URL)?,
            auth_base_url: url(self.auth_base_url, DEFAULT_AUTH_BASE_URL)?,
            authorize_url: url(self.authorize_url, DEFAULT_AUTHORIZE_URL)?,
            send_rate: self.send_rate,
            currency: self.currency.filter(|c| !c.is_empty()),
        })
    }
}

impl fmt::Debug for LazadaConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaConfigBuilder")
            .field("app_key", &self.app_key)
            .field("app_secrets", &self.app_secrets.len())
            .finish_non_exhaustive()
    }
}
