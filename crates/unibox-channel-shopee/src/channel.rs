//! [`ShopeeChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_core::channel::{
    Capabilities, RateLimits, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContentKinds, Error, ErrorKind, EventKind, InboundEvent, Result,
    SystemClock, Timestamp, TokenSet,
};

use crate::api::ShopeeApi;
use crate::conversations::Conversations;
use crate::inbound::{self, AUTHORIZATION_EXPIRING};
use crate::{ShopeeConfig, outbound, verify};

/// The Shopee Open Platform v2 channel: one app (partner) serving every shop that authorized
/// it.
///
/// Each shop is a [`ChannelAccount`] of kind `shopee` whose platform account id is the **shop
/// id**; every push names it. Pushes are verified with the partner key over
/// `callback_url|body`; buyer messages, conversation notifications, order and tracking
/// updates and authorization changes become events. Sends go through `sellerchat/send_message`
/// with the shop's access token from the token store, which the vault refreshes ahead of
/// expiry through [`refresh_tokens`](Channel::refresh_tokens).
///
/// ```
/// use unibox_channel_shopee::{ShopeeChannel, ShopeeConfig, push_authorization};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, Content, EventKind};
///
/// let callback = "https://inbox.example.com/webhooks/shopee";
/// let config = ShopeeConfig::builder().partner_id(2001887).partner_key("partner-key").callback_url(callback).build().unwrap();
/// let channel = ShopeeChannel::new(config);
///
/// let body = br#"{"msg_id":"","data":{"type":"message","region":"ID","content":{"message_id":"2302748948493123953","shop_id":165103149,"from_id":165105353,"from_user_name":"vn_cstoreponorogo","to_id":947151379,"to_user_name":"keelatofficial","message_type":"text","content":{"text":"Baik kak"},"conversation_id":"709122092476686867","created_timestamp":1726044721,"quoted_msg":{"message_id":""}}},"shop_id":947042923,"code":10,"timestamp":1726044722}"#;
/// let request = WebhookRequest::post(callback.parse().unwrap(), &body[..])
///     .with_header("Authorization", &push_authorization("partner-key", callback, body));
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!(events[0].account, "947042923");
/// assert!(matches!(&events[0].kind, EventKind::Message(m) if m.content == Content::text("Baik kak")));
/// assert_eq!(channel.conversation_of("947042923", "165105353").as_deref(), Some("709122092476686867"));
/// ```
pub struct ShopeeChannel {
    pub(crate) config: ShopeeConfig,
    capabilities: Capabilities,
    pub(crate) clock: Arc<dyn Clock>,
    api: Option<ShopeeApi>,
    pub(crate) conversations: Conversations,
}

impl ShopeeChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and handle tokens).
    pub fn new(config: ShopeeConfig) -> Self {
        let capabilities = Capabilities {
            send: ContentKinds::of(&outbound::SENDABLE),
            // Shopee documents no text limit for sellerchat.
            max_text_length: None,
            // Buyers start conversations; Shopee documents no reply window.
            messaging_window: None,
            reply_token: false,
            // sellerchat takes no idempotency key.
            idempotent_send: false,
            subscription_handshake: false,
            edits: false,
            reactions: false,
            delivery_receipts: false,
            token_refresh: true,
            token_revocation: false,
            contact_profiles: false,
            rate_limits: RateLimits {
                per_account: Some(config.send_rate),
                per_recipient: None,
                per_account_daily: None,
            },
            // Shopee disables a push subscription whose success rate drops under 30%, so a push
            // for a shop nobody connected is acknowledged rather than refused.
            unroutable_delivery: UnroutableAnswer::Acknowledge,
        };
        ShopeeChannel {
            config,
            capabilities,
            clock: Arc::new(SystemClock),
            api: None,
            conversations: Conversations::default(),
        }
    }

    /// Reads time from `clock` (request timestamps, token expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls Shopee's API through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.api = Some(ShopeeApi::new(client, self.config.api_base_url.clone()));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ShopeeConfig {
        &self.config
    }

    /// Shopee's id of the conversation between `shop` and `buyer`, if the channel saw a message
    /// of it since it started (for [`mark_read`](Self::mark_read)).
    pub fn conversation_of(&self, shop: &str, buyer: &str) -> Option<String> {
        self.conversations.of(shop, buyer)
    }

    /// When the authorization of the event's shop ends, if the event is an expiring
    /// authorization (push code 12, sent about 7 days ahead). Refresh the shop's tokens then
    /// (`Vault::refresh_now`), and ask the seller to authorize the app again before that time:
    /// a refresh renews tokens, not the authorization.
    ///
    /// ```
    /// use unibox_channel_shopee::{AUTHORIZATION_EXPIRING, ShopeeChannel};
    /// use unibox_core::{EventKind, InboundEvent, Timestamp};
    /// let event = InboundEvent {
    ///     id: "expiring:23213:1619740800".into(),
    ///     account: "23213".into(),
    ///     occurred_at: Timestamp::from_unix_seconds(1568606634),
    ///     kind: EventKind::Unsupported {
    ///         platform_type: AUTHORIZATION_EXPIRING.into(),
    ///         raw: serde_json::json!({"shop_id": "23213", "expire_before": 1619740800}),
    ///     },
    /// };
    /// assert_eq!(ShopeeChannel::authorization_expiry(&event), Some(Timestamp::from_unix_seconds(1619740800)));
    /// ```
    pub fn authorization_expiry(event: &InboundEvent) -> Option<Timestamp> {
        match &event.kind {
            EventKind::Unsupported { platform_type, raw } if platform_type == AUTHORIZATION_EXPIRING => {
                raw["expire_before"].as_i64().map(Timestamp::from_unix_seconds)
            }
            _ => None,
        }
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&ShopeeApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Shopee channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for ShopeeChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for ShopeeChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::SHOPEE
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        verify::verify_push(request, &self.config.callback_url, &self.config.partner_keys)
    }

    /// Parses the push, and remembers the conversation of each chat message for
    /// [`mark_read`](ShopeeChannel::mark_read).
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        let mut seen = Vec::new();
        let events = inbound::parse(request.body(), self.clock.now(), &mut seen)?;
        for conversation in seen {
            self.conversations.remember(&conversation.shop, &conversation.buyer, &conversation.conversation);
        }
        Ok(events)
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }

    /// `get_order_detail` and `get_tracking_number`; tracking pushes carry the tracking number.
    fn orders(&self) -> Option<&dyn unibox_core::orders::OrderSource> {
        Some(self)
    }

    /// `product/get_item_list` and `get_item_base_info`.
    fn catalog(&self) -> Option<&dyn unibox_core::catalog::ProductSource> {
        Some(self)
    }

    /// Conversation and message lists, and lost pushes (3 days).
    fn history(&self) -> Option<&dyn unibox_core::history::ConversationHistory> {
        Some(self)
    }

    /// Spends the shop's single-use refresh token for a new access token (4 hours) and refresh
    /// token (30 days). A refresh token Shopee refuses (spent, expired, shop unlinked or
    /// banned) is `TokenInvalid`: the shop must authorize the app again.
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        self.refresh(account, tokens).await.map_err(|e| e.with_context("account", account.id))
    }
}
