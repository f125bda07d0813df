//! [`TelegramChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::channel::{
    Capabilities, Rate, RateLimits, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelKind, Clock, ContentKind, ContentKinds, Error, ErrorKind, InboundEvent, Result, SystemClock,
};

use crate::api::BotApi;
use crate::inbound::{self, Bot};
use crate::{TelegramConfig, verify};

/// Telegram's broadcast guidance: "not more than 30 messages per second or so" per bot.
pub const BOT_RATE: Rate = Rate::per_second(30);

/// Telegram's per-chat guidance: "avoid sending more than one message per second".
pub const CHAT_RATE: Rate = Rate::new(1, Duration::from_secs(1));

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 9] = [
    ContentKind::Text,
    ContentKind::Image,
    ContentKind::Video,
    ContentKind::Audio,
    ContentKind::File,
    ContentKind::Sticker,
    ContentKind::Location,
    ContentKind::ContactCard,
    ContentKind::Buttons,
];

/// The Telegram Bot API channel: one bot.
///
/// Its [`ChannelAccount`](unibox_core::ChannelAccount) has the bot's id (the digits before the
/// colon of the bot token) as platform account id. Webhooks are authenticated by the secret
/// token registered with [`set_webhook`](Self::set_webhook); sends use the bot token the token
/// store holds for the account, else the configured one.
///
/// ```
/// use unibox_channel_telegram::{TelegramChannel, TelegramConfig};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, Content, EventKind};
///
/// let config = TelegramConfig::builder()
///     .bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
///     .secret_token("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE")
///     .build()
///     .unwrap();
/// let channel = TelegramChannel::new(config);
///
/// let body = br#"{"update_id":10000,"message":{"date":1441645532,"chat":{"last_name":"Test Lastname","id":1111111,"first_name":"Test","username":"Test","type":"private"},"message_id":1365,"from":{"last_name":"Test Lastname","id":1111111,"is_bot":false,"first_name":"Test","username":"Test"},"text":"/start"}}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/telegram".parse().unwrap(), &body[..])
///     .with_header("X-Telegram-Bot-Api-Secret-Token", "k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE");
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!((events[0].id.as_str(), events[0].account.as_str()), ("10000", "123456789"));
/// let EventKind::Message(message) = &events[0].kind else { panic!("a message") };
/// assert_eq!(message.message_id, "1111111:1365");
/// assert!(matches!(&message.content, Content::Command(command) if command.name == "start"));
/// ```
pub struct TelegramChannel {
    pub(crate) config: TelegramConfig,
    capabilities: Capabilities,
    clock: Arc<dyn Clock>,
    api: Option<BotApi>,
}

impl TelegramChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and manage the webhook).
    pub fn new(config: TelegramConfig) -> Self {
        let capabilities = Capabilities {
            send: ContentKinds::of(&SENDABLE),
            // Longer texts are sent in parts of 4,096 UTF-16 code units.
            max_text_length: None,
            // A bot writes to a chat at any time, unless the user blocked it.
            messaging_window: None,
            reply_token: false,
            // The Bot API has no idempotency key.
            idempotent_send: false,
            subscription_handshake: false,
            edits: true,
            reactions: true,
            delivery_receipts: false,
            // Bot tokens never expire; they are revoked in @BotFather.
            token_refresh: false,
            token_revocation: false,
            contact_profiles: false,
            rate_limits: RateLimits {
                per_account: Some(BOT_RATE),
                per_recipient: Some(CHAT_RATE),
                per_account_daily: None,
            },
            // Telegram keeps a refused update queued for the bot and reports the error in
            // getWebhookInfo: the operator of a bot nobody connected sees why.
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        TelegramChannel { config, capabilities, clock: Arc::new(SystemClock), api: None }
    }

    /// Reads time from `clock` (the time of updates Telegram does not date: button taps).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls the Bot API through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.api = Some(BotApi::new(client, self.config.api_base_url.clone()));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TelegramConfig {
        &self.config
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&BotApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Telegram channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for TelegramChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for TelegramChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::TELEGRAM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        verify::verify_secret_token(request, &self.config.secret_tokens)
    }

    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        let bot = Bot { id: self.config.bot_id(), username: self.config.bot_username() };
        inbound::parse(request.body(), &bot, self.clock.now())
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }
}
