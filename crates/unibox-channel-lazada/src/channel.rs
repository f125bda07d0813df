//! [`LazadaChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_channel_marketplace::renewal::ExpiryAlerts;
use unibox_core::channel::{
    Capabilities, RateLimits, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContentKind, ContentKinds, Error, ErrorKind, InboundEvent, Result,
    SystemClock, TokenSet,
};

use crate::api::LazadaApi;
use crate::{LazadaConfig, inbound};

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 4] = [ContentKind::Text, ContentKind::Image, ContentKind::Product, ContentKind::Order];

/// The Lazada channel: one Lazada Open Platform app in an IM category, serving every seller
/// that authorized it. Each seller is a [`ChannelAccount`] whose platform id is the seller id.
///
/// Pushes are verified with the `Authorization` header (HMAC-SHA256 of `app_key + body`);
/// IM messages, order and package pushes become events; sends go to the chat's session with
/// a signed `/im/message/send`; tokens are refreshed through the vault.
///
/// ```
/// use unibox_channel_lazada::{LazadaChannel, LazadaConfig, push_signature};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, Content, EventKind};
///
/// let config = LazadaConfig::builder().app_key("115527").app_secret("a1b2c3d4e5f6").build().unwrap();
/// let channel = LazadaChannel::new(config);
/// let body = br#"{"data":{"session_id":"100094063_2_1011822749_1_103","message_id":"1zYOS7N0cuIqw96026","content":"{\"txt\":\"hello world!\"}","from_account_id":"1891549323","from_account_type":1,"send_time":1596550789323,"template_id":1,"to_account_id":"231135951","to_account_type":1,"type":1,"site_id":"SG","process_msg":"","auto_reply":false,"status":0},"seller_id":20240305,"message_type":2}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/lazada".parse().unwrap(), &body[..])
///     .with_header("Authorization", &push_signature("115527", "a1b2c3d4e5f6", body));
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!((events[0].id.as_str(), events[0].account.as_str()), ("im:1zYOS7N0cuIqw96026", "20240305"));
/// assert!(matches!(&events[0].kind, EventKind::Message(m) if m.content == Content::text("hello world!")));
/// ```
pub struct LazadaChannel {
    pub(crate) config: LazadaConfig,
    capabilities: Capabilities,
    pub(crate) clock: Arc<dyn Clock>,
    api: Option<LazadaApi>,
    alerts: ExpiryAlerts,
}

impl LazadaChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and manage tokens).
    pub fn new(config: LazadaConfig) -> Self {
        let capabilities = Capabilities {
            send: ContentKinds::of(&SENDABLE),
            // Lazada publishes no text limit for IM messages.
            max_text_length: None,
            // A buyer's session stays open; sellers may open one for orders up to 7 days old.
            messaging_window: None,
            reply_token: false,
            // Lazada takes no idempotency key: an unknown outcome is checked, not resent.
            idempotent_send: false,
            subscription_handshake: false,
            edits: false,
            reactions: false,
            delivery_receipts: false,
            token_refresh: true,
            token_revocation: false,
            contact_profiles: false,
            rate_limits: RateLimits { per_account: config.send_rate, per_recipient: None, per_account_daily: None },
            // Lazada retries a refused push 12 times over 6 hours and does not disable the app, so a
            // shop connected in that time still receives it.
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        LazadaChannel { config, capabilities, clock: Arc::new(SystemClock), api: None, alerts: ExpiryAlerts::default() }
    }

    /// Reads time from `clock` (request timestamps, token expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls Lazada's API through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.api = Some(LazadaApi::new(client));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &LazadaConfig {
        &self.config
    }

    /// The authorization-expiry warnings (push type 8) parsed and not yet renewed: hand them
    /// to [`renewal::renew`](crate::renewal::renew) after the hub handled the push.
    pub fn expiry_alerts(&self) -> &ExpiryAlerts {
        &self.alerts
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&LazadaApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Lazada channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for LazadaChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .field("pending_alerts", &self.alerts.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for LazadaChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LAZADA
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        self.config.app.verify(request, "lazada.verify")
    }

    /// Parses the push, and records an authorization-expiry warning for renewal.
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(self.alerts.keep(inbound::parse(request.body(), self.clock.now())?))
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }

    /// `/order/get` and `/order/items/get`.
    fn orders(&self) -> Option<&dyn unibox_core::orders::OrderSource> {
        Some(self)
    }

    /// `/products/get`.
    fn catalog(&self) -> Option<&dyn unibox_core::catalog::ProductSource> {
        Some(self)
    }

    /// `/im/session/list` and `/im/message/list`.
    fn history(&self) -> Option<&dyn unibox_core::history::ConversationHistory> {
        Some(self)
    }

    /// Exchanges the stored refresh token for a new access and refresh token
    /// (`/auth/token/refresh`). A refused or expired refresh token is `TokenInvalid` (the seller
    /// must authorize again); a Service Market app's `AUTH_TYPE_UNSUPPORTED` is `Unsupported`.
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        self.refresh(account, tokens).await
    }
}
