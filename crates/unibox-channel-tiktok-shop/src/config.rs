//! [`TikTokShopConfig`]: the app's key and secret, its service id, the shops' ciphers, and
//! where the API is.

use std::collections::HashMap;
use std::fmt;

use secrecy::SecretString;
use unibox_channel_marketplace::app::{App, url_or_default};
use unibox_core::Result;
use url::Url;

/// The Partner API host.
pub const DEFAULT_API_BASE_URL: &str = "https://open-api.tiktokglobalshop.com/";

/// The token host (`/api/v2/token/get`, `/api/v2/token/refresh`).
pub const DEFAULT_AUTH_BASE_URL: &str = "https://auth.tiktok-shops.com/";

/// Where sellers authorize the app (US sellers: `https://services.us.tiktokshop.com/open/authorize`).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://services.tiktokshop.com/open/authorize";

/// The configuration of a [`TikTokShopChannel`](crate::TikTokShopChannel): one TikTok Shop
/// Partner Center app, serving every shop that authorized it.
///
/// Shop-scoped calls need the shop's `shop_cipher`, which `GET /authorization/202309/shops`
/// returns: configure the ones you know with [`shop`](TikTokShopConfigBuilder::shop), or let
/// [`TikTokShopChannel::authorized_shops`](crate::TikTokShopChannel::authorized_shops) fetch
/// and remember them.
///
/// ```
/// use unibox_channel_tiktok_shop::TikTokShopConfig;
/// let config = TikTokShopConfig::builder()
///     .app_key("6a1b2c3d4e5f6")
///     .app_secret("0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6")
///     .service_id("7203412345678901234")
///     .shop("7494049642642441621", "ROW_Gq1WTQAAAAAhh4FxnW7oUg")
///     .build()
///     .unwrap();
/// assert_eq!(config.shop_cipher("7494049642642441621"), Some("ROW_Gq1WTQAAAAAhh4FxnW7oUg"));
/// assert!(!format!("{config:?}").contains("0f1e2d3c"));
/// ```
#[derive(Clone)]
pub struct TikTokShopConfig {
    pub(crate) app: App,
    pub(crate) service_id: Option<String>,
    pub(crate) shops: HashMap<String, String>,
    pub(crate) api_base_url: Url,
    pub(crate) auth_base_url: Url,
    pub(crate) authorize_url: Url,
}

impl TikTokShopConfig {
    /// A builder.
    pub fn builder() -> TikTokShopConfigBuilder {
        TikTokShopConfigBuilder::default()
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        self.app.key()
    }

    /// The configured `shop_cipher` of a shop.
    pub fn shop_cipher(&self, shop_id: &str) -> Option<&str> {
        self.shops.get(shop_id).map(String::as_str)
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }
}

impl fmt::Debug for TikTokShopConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TikTokShopConfig")
            .field("app", &self.app)
            .field("service_id", &self.service_id)
            .field("shops", &self.shops.len())
            .field("api_base_url", &self.api_base_url.as_str())
            .field("auth_base_url", &self.auth_base_url.as_str())
            .field("authorize_url", &self.authorize_url.as_str())
            .finish()
    }
}

/// Builds a [`TikTokShopConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct TikTokShopConfigBuilder {
    app_key: Option<String>,
    app_secrets: Vec<SecretString>,
    service_id: Option<String>,
    shops: HashMap<String, String>,
    api_base_url: Option<Url>,
    auth_base_url: Option<Url>,
    authorize_url: Option<Url>,
}

impl TikTokShopConfigBuilder {
    /// The app key (Partner Center › App & Service › the app).
    pub fn app_key(mut self, app_key: impl Into<String>) -> Self {
        self.app_key = Some(app_key.into());
        self
    }

    /// The app secret. It signs API calls and webhooks. Call twice while resetting it:
    /// webhooks signed with either verify, and the first one signs API calls.
    pub fn app_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.app_secrets.push(secret.into());
        self
    }

    /// The service id of the app's authorization link (Partner Center), needed by
    /// [`authorization_url`](crate::TikTokShopChannel::authorization_url).
    pub fn service_id(mut self, service_id: impl Into<String>) -> Self {
        self.service_id = Some(service_id.into());
        self
    }

    /// A shop's `shop_cipher` (from `GET /authorization/202309/shops`).
    pub fn shop(mut self, shop_id: impl Into<String>, shop_cipher: impl Into<String>) -> Self {
        self.shops.insert(shop_id.into(), shop_cipher.into());
        self
    }

    /// Calls another API host (a fake one in tests, a proxy).
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// Calls another token host (a fake one in tests).
    pub fn auth_base_url(mut self, url: Url) -> Self {
        self.auth_base_url = Some(url);
        self
    }

    /// Sends sellers elsewhere to authorize (US: `https://services.us.tiktokshop.com/open/authorize`).
    pub fn authorize_url(mut self, url: Url) -> Self {
        self.authorize_url = Some(url);
        self
    }

    /// Checks and builds: an app key and a non-empty app secret are required.
    pub fn build(self) -> Result<TikTokShopConfig> {
        let app = App::new("TikTok Shop", self.app_key, self.app_secrets)?;
        let url = |given, default| url_or_default("TikTok Shop", given, default);
        Ok(TikTokShopConfig {
            app,
            service_id: self.service_id,
            shops: self.shops,
            api_base_url: url(self.api_base_url, DEFAULT_API_BASE_URL)?,
            auth_base_url: url(self.auth_base_url, DEFAULT_AUTH_BASE_URL)?,
            authorize_url: url(self.authorize_url, DEFAULT_AUTHORIZE_URL)?,
        })
    }
}

impl fmt::Debug for TikTokShopConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TikTokShopConfigBuilder")
            .field("app_key", &self.app_key)
            .field("app_secrets", &self.app_secrets.len())
            .finish_non_exhaustive()
    }
}
