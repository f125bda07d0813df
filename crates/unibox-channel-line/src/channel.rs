//! [`LineChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::channel::{
    Capabilities, PlatformProfile, Rate, RateLimits, SendReceipt, SendRequest, UnroutableAnswer, Verified,
    WebhookRequest,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContactIdentity, ContentKind, ContentKinds, Error, ErrorKind,
    InboundEvent, Result, SystemClock, TokenSet,
};

use crate::api::LineApi;
use crate::mode::Modes;
use crate::reply_token::ReplyTokens;
use crate::retry_key::Pushed;
use crate::{ChannelMode, LineConfig, MAX_TEXT_LENGTH, inbound, tokens, verify};

/// LINE's rate limit for "other API endpoints", which includes reply and push: 2,000 requests
/// a second per channel.
pub const API_RATE: Rate = Rate::per_second(2000);

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 4] = [ContentKind::Text, ContentKind::Image, ContentKind::Sticker, ContentKind::Location];

/// The LINE Messaging API channel.
///
/// One channel is one LINE Messaging API channel (one LINE Official Account); its bot is the
/// [`ChannelAccount`] whose platform id is the bot's user id, the `destination` of every
/// webhook. Webhooks are verified with `X-Line-Signature` and the channel secret; sends reply
/// with a held reply token within the reply window and push otherwise, with
/// `X-Line-Retry-Key`; the access token comes from the token store and is renewed through
/// [`refresh_tokens`](Channel::refresh_tokens) as the [`TokenIssuance`](crate::TokenIssuance)
/// says.
///
/// ```
/// use unibox_channel_line::{LineChannel, LineConfig, signature_header};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, ContentKind, EventKind};
///
/// let channel = LineChannel::new(LineConfig::builder().channel_secret("channelsecret").build().unwrap());
/// assert!(channel.capabilities().reply_token && channel.capabilities().idempotent_send);
///
/// let body = br#"{"destination":"U4af4980629c37e7b3ad0a4e2e0a8b2ed","events":[{"type":"message","message":{"type":"text","id":"14353798921116","text":"Hello, world","quoteToken":"q3Plxr4AgKd..."},"timestamp":1625665242211,"source":{"type":"user","userId":"U80696558e1aa831a5e4f1c0e6c2a8a3b"},"replyToken":"757913772c4646b784d4b7ce46d12671","mode":"active","webhookEventId":"01FZ74A0TDDPYRVKNK77XKC3ZR","deliveryContext":{"isRedelivery":false}}]}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/line".parse().unwrap(), &body[..])
///     .with_header("X-Line-Signature", &signature_header("channelsecret", body));
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!(events[0].id, "01FZ74A0TDDPYRVKNK77XKC3ZR");
/// assert_eq!(events[0].account, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
/// assert!(matches!(&events[0].kind, EventKind::Message(m) if m.message_id == "14353798921116"));
/// assert_eq!(channel.held_reply_tokens(), 1);
/// ```
pub struct LineChannel {
    pub(crate) config: LineConfig,
    capabilities: Capabilities,
    pub(crate) clock: Arc<dyn Clock>,
    api: Option<LineApi>,
    /// The content host (`api-data.line.me`).
    pub(crate) data_api: Option<LineApi>,
    pub(crate) replies: ReplyTokens,
    pub(crate) modes: Modes,
    pub(crate) pushed: Pushed,
}

impl LineChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and issue tokens).
    pub fn new(config: LineConfig) -> Self {
        let capabilities = Capabilities {
            send: ContentKinds::of(&SENDABLE),
            max_text_length: Some(MAX_TEXT_LENGTH),
            // Pushes reach friends at any time: no messaging window.
            messaging_window: None,
            reply_token: true,
            // Pushes carry X-Line-Retry-Key; replies that may have gone through are marked
            // not to be retried (see the error table).
            idempotent_send: true,
            subscription_handshake: false,
            edits: true,
            reactions: false,
            delivery_receipts: false,
            token_refresh: config.token_issuance.issues(),
            // Every token but a stateless one can be revoked (`POST /v2/oauth/revoke`, v2.1's own).
            token_revocation: tokens::revocable(&config.token_issuance),
            // `GET /v2/bot/profile/{userId}`, and a group chat's summary.
            contact_profiles: true,
            rate_limits: RateLimits { per_account: Some(API_RATE), per_recipient: None, per_account_daily: None },
            // One LINE channel is one bot: a delivery for a bot nobody connected is refused, and
            // LINE's console shows the failure (LINE never disables a webhook for it).
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        LineChannel {
            config,
            capabilities,
            clock: Arc::new(SystemClock),
            api: None,
            data_api: None,
            replies: ReplyTokens::default(),
            modes: Modes::default(),
            pushed: Pushed::default(),
        }
    }

    /// Reads time from `clock` (reply-token freshness, token expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls LINE's API (and its content host) through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.data_api = Some(LineApi::new(client.clone(), self.config.api_data_base_url.clone()));
        self.api = Some(LineApi::new(client, self.config.api_base_url.clone()));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// The latest mode LINE reported for the bot `bot_user_id`: [`ChannelMode::Standby`] while
    /// another module channel is active, when sends are refused. Active until an event says
    /// otherwise.
    pub fn mode(&self, bot_user_id: &str) -> ChannelMode {
        self.modes.of(bot_user_id)
    }

    /// How many reply tokens are held for sends (the tokens themselves are never shown).
    pub fn held_reply_tokens(&self) -> usize {
        self.replies.len()
    }

    /// How long a held reply token is used after receipt.
    pub fn reply_window(&self) -> Duration {
        self.config.reply_window
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&LineApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the LINE channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for LineChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .field("data_api", &self.data_api)
            .field("replies", &self.replies)
            .field("modes", &self.modes)
            .field("pushed", &self.pushed)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for LineChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LINE
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        verify::verify_signature(request, &self.config.channel_secrets)
    }

    /// Parses the delivery, and remembers what sends need: each live event's reply token with
    /// its receipt time, and the bot's mode.
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        let now = self.clock.now();
        let parsed = inbound::parse(request.body(), now)?;
        for note in &parsed.notes {
            if let Some(mode) = note.mode {
                self.modes.record(&parsed.destination, mode, note.occurred_at);
            }
            if let (Some(token), Some(chat)) = (&note.reply_token, &note.chat) {
                // The token's age counts from the earlier of its event and its receipt.
                let since = note.occurred_at.min(now);
                self.replies.remember(&parsed.destination, chat, token.clone(), since, now, self.config.reply_window);
            }
        }
        Ok(parsed.events)
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }

    /// Issues a new channel access token (short-lived v2.0, stateless v3 or v2.1 with a JWT
    /// assertion, as configured). The current tokens are not needed: issuance authenticates
    /// with the channel's own credentials. A long-lived token is `Unsupported` (reissue it in
    /// the console); credentials LINE refuses are `TokenInvalid`.
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        const OPERATION: &str = "line.token.refresh";
        let api = self.api(OPERATION)?;
        let fresh = tokens::issue(api, &self.config, self.clock.now())
            .await
            .map_err(|e| e.with_context("account", account.id))?;
        Ok(TokenSet { scopes: tokens.scopes.clone(), ..fresh })
    }

    /// Revokes the channel access token at LINE (see the token table in the crate docs):
    /// `Unsupported` for stateless tokens, which cannot be revoked and expire in 15 minutes.
    async fn revoke_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<()> {
        const OPERATION: &str = "line.token.revoke";
        let api = self.api(OPERATION)?;
        tokens::revoke(api, &self.config, &tokens.access_token).await.map_err(|e| e.with_context("account", account.id))
    }

    /// The user's display name and picture (`GET /v2/bot/profile/{userId}`), or a group chat's
    /// name and picture (`GET /v2/bot/group/{groupId}/summary`). A user who blocked the bot or
    /// is not its friend is `RecipientUnavailable`.
    async fn contact_profile(
        &self,
        account: &ChannelAccount,
        identity: &ContactIdentity,
        tokens: Option<&TokenSet>,
    ) -> Result<PlatformProfile> {
        const OPERATION: &str = "line.profile";
        let api = self.api(OPERATION)?;
        let token = tokens.map(|t| &t.access_token).ok_or_else(|| {
            Error::new(ErrorKind::TokenInvalid, "no channel access token is stored for the account")
                .with_operation(OPERATION)
        })?;
        crate::profile::fetch(api, identity, token).await.map_err(|e| e.with_context("account", account.id))
    }
}
