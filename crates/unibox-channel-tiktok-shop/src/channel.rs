//! [`TikTokShopChannel`]: the [`Channel`] implementation.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use unibox_channel_marketplace::renewal::ExpiryAlerts;
use unibox_core::channel::{
    Capabilities, Rate, RateLimits, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContentKind, ContentKinds, Error, ErrorKind, InboundEvent, Result,
    SystemClock, TokenSet,
};

use crate::api::TikTokShopApi;
use crate::{MAX_TEXT_LENGTH, TikTokShopConfig, inbound};

/// TikTok Shop's default limit: 50 requests a second per API per app and shop.
pub const API_RATE: Rate = Rate::per_second(50);

/// Send Message is limited to 10,000 requests a day per shop (error 45101004 beyond). Declared
/// as `Capabilities::rate_limits.per_account_daily`, so the hub refuses the 10,001st send of a UTC
/// day with `RateLimited` and the delay until midnight, before it is recorded, instead of
/// spending a request TikTok Shop refuses.
pub const DAILY_SEND_QUOTA: u32 = 10_000;

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 4] = [ContentKind::Text, ContentKind::Image, ContentKind::Product, ContentKind::Order];

/// The TikTok Shop channel: one Partner Center app with the Customer Service API, serving
/// every shop that authorized it. Each shop is a [`ChannelAccount`] whose platform id is the
/// shop id.
///
/// ```
/// use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig, push_signature};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, Content, EventKind};
///
/// let config = TikTokShopConfig::builder().app_key("6a1b2c3d4e5f6").app_secret("0f1e2d3c4b5a6978").build().unwrap();
/// let channel = TikTokShopChannel::new(config);
/// let body = br#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"content":"{\"content\":\"444\"}","conversation_id":"710688832392260838","create_time":1681790246,"is_visible":true,"message_id":"722323407926368819","index":"7494560109732334274","type":"TEXT","sender":{"im_user_id":"707885565181165594","role":"BUYER"}}}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/tiktok-shop".parse().unwrap(), &body[..])
///     .with_header("Authorization", &push_signature("6a1b2c3d4e5f6", "0f1e2d3c4b5a6978", body));
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!((events[0].id.as_str(), events[0].account.as_str()), ("message:722323407926368819", "7494049642642441621"));
/// assert!(matches!(&events[0].kind, EventKind::Message(m) if m.content == Content::text("444")));
/// ```
pub struct TikTokShopChannel {
    pub(crate) config: TikTokShopConfig,
    capabilities: Capabilities,
    pub(crate) clock: Arc<dyn Clock>,
    api: Option<TikTokShopApi>,
    ciphers: RwLock<HashMap<String, String>>,
    alerts: ExpiryAlerts,
    pub(crate) chat_buyers: crate::chat_buyer::ChatBuyers,
}

impl TikTokShopChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and manage tokens).
    pub fn new(config: TikTokShopConfig) -> Self {
        let capabilities = Capabilities {
            send: ContentKinds::of(&SENDABLE),
            max_text_length: Some(MAX_TEXT_LENGTH),
            // The rules (6-hour auto-close, 7 days to answer) are enforced by TikTok Shop and
            // answered 45109001, mapped to MessagingWindowClosed.
            messaging_window: None,
            reply_token: false,
            idempotent_send: false,
            subscription_handshake: false,
            edits: false,
            reactions: false,
            delivery_receipts: false,
            token_refresh: true,
            token_revocation: false,
            contact_profiles: false,
            rate_limits: RateLimits {
                per_account: Some(API_RATE),
                per_recipient: None,
                per_account_daily: Some(DAILY_SEND_QUOTA),
            },
            // TikTok Shop retries a refused push four times over about 15 hours, so a shop
            // connected in that time still receives it.
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        let ciphers = RwLock::new(config.shops.clone());
        TikTokShopChannel {
            config,
            capabilities,
            clock: Arc::new(SystemClock),
            api: None,
            ciphers,
            alerts: ExpiryAlerts::default(),
            chat_buyers: Default::default(),
        }
    }

    /// Reads time from `clock` (request timestamps, token expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls TikTok Shop's API through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.api = Some(TikTokShopApi::new(client));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TikTokShopConfig {
        &self.config
    }

    /// The authorization-expiry warnings (webhook type 7) parsed and not yet renewed: hand
    /// them to [`renewal::renew`](crate::renewal::renew) after the hub handled the webhook.
    pub fn expiry_alerts(&self) -> &ExpiryAlerts {
        &self.alerts
    }

    pub(crate) fn remember_cipher(&self, shop_id: &str, cipher: &str) {
        let mut ciphers = self.ciphers.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        ciphers.insert(shop_id.to_owned(), cipher.to_owned());
    }

    pub(crate) fn shop_cipher(&self, shop_id: &str, operation: &'static str) -> Result<String> {
        let ciphers = self.ciphers.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        ciphers.get(shop_id).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                format!(
                    "no shop_cipher is known for TikTok Shop shop {shop_id}: configure it or call authorized_shops"
                ),
            )
            .with_operation(operation)
        })
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&TikTokShopApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the TikTok Shop channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for TikTokShopChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TikTokShopChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .field("pending_alerts", &self.alerts.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for TikTokShopChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::TIKTOK_SHOP
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        self.config.app.verify(request, "tiktok_shop.verify")
    }

    /// Parses the webhook, and records an authorization-expiry warning for renewal.
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(self.alerts.keep(inbound::parse(request.body(), self.clock.now())?))
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }

    /// `/order/202309/orders` and `/order/202309/orders/search` (by buyer).
    fn orders(&self) -> Option<&dyn unibox_core::orders::OrderSource> {
        Some(self)
    }

    /// `/product/202309/products/search`.
    fn catalog(&self) -> Option<&dyn unibox_core::catalog::ProductSource> {
        Some(self)
    }

    /// Customer Service conversations and their messages.
    fn history(&self) -> Option<&dyn unibox_core::history::ConversationHistory> {
        Some(self)
    }

    /// Exchanges the stored refresh token for new tokens (`/api/v2/token/refresh`). Expired
    /// credentials are `TokenInvalid` (the seller must authorize again).
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        self.refresh(account, tokens).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_declares_the_fact_sheets_qps_and_daily_send_quota() {
        let config =
            TikTokShopConfig::builder().app_key("6a1b2c3d4e5f6").app_secret("0f1e2d3c4b5a6978").build().unwrap();
        let limits = TikTokShopChannel::new(config).capabilities().rate_limits;
        assert_eq!(limits.per_account, Some(Rate::per_second(50)));
        assert_eq!(limits.per_account_daily, Some(10_000));
        assert_eq!(limits.per_recipient, None);
    }
}
