//! [`WhatsAppConfig`]: the Meta app's secrets and how the channel reaches the Graph API.

use std::fmt;

use secrecy::SecretString;
use unibox_channel_meta::AppSecret;
use unibox_channel_meta::catalog::MetaCatalogs;
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

/// The largest media file [`WhatsAppChannel::download_media`](crate::WhatsAppChannel::download_media)
/// fetches by default: WhatsApp's own limit for documents (100 MB).
pub const DEFAULT_MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

/// The configuration of a [`WhatsAppChannel`](crate::WhatsAppChannel).
///
/// One configuration is one Meta app: its secret signs every webhook of every business
/// number subscribed to the app, so one channel serves all of them (each number is a
/// `ChannelAccount` whose platform id is the `phone_number_id`). Access tokens are per account
/// and come from the token store, not from here.
///
/// ```
/// use unibox_channel_whatsapp::WhatsAppConfig;
/// let config = WhatsAppConfig::builder()
///     .app_secret("0c5b4f1d2e3a49b6a7c8d9e0f1a2b3c4")
///     .verify_token("meatyhamhock")
///     .build()
///     .unwrap();
/// assert!(!format!("{config:?}").contains("meatyhamhock"));
/// assert!(WhatsAppConfig::builder().verify_token("meatyhamhock").build().is_err());
/// ```
#[derive(Clone)]
pub struct WhatsAppConfig {
    pub(crate) app_secrets: Vec<AppSecret>,
    pub(crate) verify_token: SecretString,
    pub(crate) app_id: Option<String>,
    pub(crate) graph_base_url: Option<Url>,
    pub(crate) graph_version: Option<String>,
    pub(crate) keep_other_fields: bool,
    pub(crate) max_media_bytes: u64,
    pub(crate) catalogs: MetaCatalogs,
}

impl WhatsAppConfig {
    /// A builder.
    pub fn builder() -> WhatsAppConfigBuilder {
        WhatsAppConfigBuilder::default()
    }

    /// The Meta app id, when configured (needed to exchange tokens).
    pub fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }

    /// Whether changes of fields other than `messages` and `smb_message_echoes` are kept as
    /// `Unsupported` events (the default) or skipped.
    pub fn keeps_other_fields(&self) -> bool {
        self.keep_other_fields
    }

    /// The largest media download accepted, in bytes.
    pub fn max_media_bytes(&self) -> u64 {
        self.max_media_bytes
    }

    /// The Meta catalog each number sells from.
    pub fn catalogs(&self) -> &MetaCatalogs {
        &self.catalogs
    }
}

impl fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("app_secrets", &self.app_secrets)
            .field("verify_token", &"[redacted]")
            .field("app_id", &self.app_id)
            .field("graph_base_url", &self.graph_base_url.as_ref().map(Url::as_str))
            .field("graph_version", &self.graph_version)
            .field("keep_other_fields", &self.keep_other_fields)
            .field("max_media_bytes", &self.max_media_bytes)
            .field("catalogs", &self.catalogs)
            .finish()
    }
}

/// Builds a [`WhatsAppConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct WhatsAppConfigBuilder {
    app_secrets: Vec<SecretString>,
    verify_token: Option<SecretString>,
    app_id: Option<String>,
    graph_base_url: Option<Url>,
    graph_version: Option<String>,
    skip_other_fields: bool,
    max_media_bytes: Option<u64>,
    catalogs: MetaCatalogs,
}

impl WhatsAppConfigBuilder {
    /// The Meta commerce catalog (Commerce Manager › the catalog's id) the number
    /// `phone_number_id` sells from, connected to its WhatsApp Business Account: product
    /// messages and carts name its products, and the channel syncs them into the tenant's
    /// catalog (`Hub::sync_catalog`) with the number's token, which needs `catalog_management`.
    pub fn catalog(mut self, phone_number_id: impl Into<String>, catalog_id: impl Into<String>) -> Self {
        self.catalogs = std::mem::take(&mut self.catalogs).with(phone_number_id, catalog_id);
        self
    }

    /// The Meta app secret (App Dashboard › App settings › Basic), which signs webhooks and
    /// `appsecret_proof`. Call twice while rotating it: webhooks signed with either verify,
    /// and the first one signs `appsecret_proof`.
    pub fn app_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.app_secrets.push(secret.into());
        self
    }

    /// The verify token you typed into the App Dashboard's webhook settings; Meta echoes it
    /// in the subscription handshake.
    pub fn verify_token(mut self, token: impl Into<SecretString>) -> Self {
        self.verify_token = Some(token.into());
        self
    }

    /// The Meta app id, to exchange expiring tokens for long-lived ones in
    /// `Channel::refresh_tokens`.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// Calls another Graph host (a fake one in tests, a proxy) instead of `graph.facebook.com`.
    pub fn graph_base_url(mut self, url: Url) -> Self {
        self.graph_base_url = Some(url);
        self
    }

    /// Uses another Graph API version than the Meta crate's `GRAPH_API_VERSION`.
    pub fn graph_version(mut self, version: impl Into<String>) -> Self {
        self.graph_version = Some(version.into());
        self
    }

    /// Skips changes of fields other than `messages` and `smb_message_echoes` (template
    /// status, account and quality updates) instead of keeping them as `Unsupported` events.
    ///
    /// Such changes name the WhatsApp Business Account, not a number, so they are routed to a
    /// channel account whose platform id is the WABA id; without one the hub refuses the
    /// delivery (404) and Meta retries it. Skip them when you subscribed those fields for
    /// another system.
    pub fn skip_other_fields(mut self) -> Self {
        self.skip_other_fields = true;
        self
    }

    /// The largest media download accepted, in bytes (default [`DEFAULT_MAX_MEDIA_BYTES`]).
    pub fn max_media_bytes(mut self, bytes: u64) -> Self {
        self.max_media_bytes = Some(bytes);
        self
    }

    /// Checks and builds: an app secret and a verify token are required, both non-empty.
    pub fn build(self) -> Result<WhatsAppConfig> {
        let configuration = |message: &'static str| Err(Error::new(ErrorKind::Configuration, message));
        if self.app_secrets.is_empty() {
            return configuration("the WhatsApp channel needs the Meta app secret to verify webhooks");
        }
        if self.app_secrets.iter().any(|s| secrecy::ExposeSecret::expose_secret(s).is_empty()) {
            return configuration("the Meta app secret is empty");
        }
        let Some(verify_token) = self.verify_token else {
            return configuration("the WhatsApp channel needs the webhook verify token for Meta's handshake");
        };
        if secrecy::ExposeSecret::expose_secret(&verify_token).is_empty() {
            return configuration("the webhook verify token is empty");
        }
        if self.app_id.as_deref().is_some_and(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit())) {
            return configuration("a Meta app id is digits only");
        }
        Ok(WhatsAppConfig {
            app_secrets: self.app_secrets.into_iter().map(AppSecret::from).collect(),
            verify_token,
            app_id: self.app_id,
            graph_base_url: self.graph_base_url,
            graph_version: self.graph_version,
            keep_other_fields: !self.skip_other_fields,
            max_media_bytes: self.max_media_bytes.unwrap_or(DEFAULT_MAX_MEDIA_BYTES),
            catalogs: self.catalogs,
        })
    }
}

impl fmt::Debug for WhatsAppConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppConfigBuilder")
            .field("app_secrets", &self.app_secrets.len())
            .field("verify_token", &self.verify_token.as_ref().map(|_| "[redacted]"))
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}
