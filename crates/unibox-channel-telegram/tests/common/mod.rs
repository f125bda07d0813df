//! Shared test helpers: the bot, the fixtures, deliveries as Telegram sends them, and a loopback
//! fake of the Bot API.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;
use unibox_channel_telegram::{TelegramChannel, TelegramConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The bot token the channel under test holds.
pub const BOT_TOKEN: &str = "7351209876:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
/// The secret part of the bot token: what must never leave the adapter.
pub const TOKEN_SECRET: &str = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
/// The bot's id (the token's prefix): every event's account.
pub const BOT_ID: &str = "7351209876";
/// The bot's username.
pub const BOT_USERNAME: &str = "acme_shop_bot";
/// The webhook secret token registered with setWebhook.
pub const SECRET_TOKEN: &str = "k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE";
/// Another bot's secret token.
pub const OTHER_SECRET_TOKEN: &str = "Zq8_wXy2-Other-Bot-Secret-0987654";
/// The customer of the private-chat fixtures.
pub const USER: &str = "5123456789";
/// A user who blocked the bot: the fake answers 403 for this chat.
pub const BLOCKED_USER: &str = "6999999999";
/// The group of the group fixtures, and the supergroup it became.
pub const GROUP: &str = "-4012345678";
pub const SUPERGROUP: &str = "-1002233445566";
/// The business connection of the business fixtures, and the customer there.
pub const BUSINESS_CONNECTION: &str = "BQADBAADsB8AAm8QyUoAAhKgnKhQ";
pub const BUSINESS_CUSTOMER: &str = "6234567890";
/// The public webhook URL.
pub const URL: &str = "https://inbox.example.com/webhooks/telegram";
/// The clock's time: shortly after the fixtures' messages.
pub const NOW_SECONDS: i64 = 1_732_000_900;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW_SECONDS)))
}

pub fn config() -> TelegramConfig {
    TelegramConfig::builder()
        .bot_token(BOT_TOKEN)
        .secret_token(SECRET_TOKEN)
        .bot_username(BOT_USERNAME)
        .build()
        .expect("valid configuration")
}

pub fn channel() -> TelegramChannel {
    TelegramChannel::new(config()).with_clock(clock())
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The exact bytes of `tests/fixtures/{name}.json`.
pub fn fixture(name: &str) -> Vec<u8> {
    unibox_testkit::fixture_files::read(FIXTURES, name)
}

/// Every fixture's name.
pub fn fixture_names() -> Vec<String> {
    unibox_testkit::fixture_files::names(FIXTURES)
}

/// A POST of `body` as Telegram delivers it, with `secret` in the secret-token header.
pub fn delivered_with(secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(URL.parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/json")
        .with_header("x-telegram-bot-api-secret-token", secret)
}

pub fn delivered(body: &[u8]) -> WebhookRequest {
    delivered_with(SECRET_TOKEN, body)
}

/// The events of a body, verified and parsed by `channel`.
pub fn events_of(channel: &TelegramChannel, body: &[u8]) -> Vec<InboundEvent> {
    let request = delivered(body);
    let verified = channel.verify(&request).unwrap_or_else(|e| panic!("failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("failed to parse: {e}"))
}

/// The events of a fixture.
pub fn events(name: &str) -> Vec<InboundEvent> {
    events_of(&channel(), &fixture(name))
}

/// The one event of a fixture.
pub fn event(name: &str) -> InboundEvent {
    let mut events = events(name);
    assert_eq!(events.len(), 1, "{name} should parse into exactly one event: {events:?}");
    events.remove(0)
}

/// A channel calling `api` (a loopback fake of the Bot API) with a real HTTP client.
pub fn sending_channel(api: &FakeServer) -> TelegramChannel {
    let config = TelegramConfig::builder()
        .bot_token(BOT_TOKEN)
        .secret_token(SECRET_TOKEN)
        .bot_username(BOT_USERNAME)
        .api_base_url(api.url())
        .build()
        .expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    TelegramChannel::new(config).with_clock(clock()).with_http_client(Arc::new(client))
}

/// The bot's account.
pub fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-telegram".parse().unwrap(),
        ChannelKind::TELEGRAM,
        BOT_ID,
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

/// A private chat's user on that account.
pub fn customer(account: &ChannelAccount, user: &str) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::TelegramUserId, value: user.into() }
}

/// Answers like the Bot API: `404 Not Found` for a path that is not `/bot<token>/<method>`,
/// `401 Unauthorized` for another token of the bot, `403` "bot was blocked by the user" for
/// [`BLOCKED_USER`], `400` "chat not found" for a chat id of 0, and otherwise the method's
/// result (a new message id per message, per chat).
#[derive(Default)]
pub struct FakeTelegram {
    next_message_id: AtomicI64,
}

impl FakeTelegram {
    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let Some((token, method)) = request.path().strip_prefix("/bot").and_then(|rest| rest.split_once('/')) else {
            return error(404, "Not Found");
        };
        if token != BOT_TOKEN {
            return if token.starts_with(&format!("{BOT_ID}:")) {
                error(401, "Unauthorized")
            } else {
                error(404, "Not Found")
            };
        }
        let body = request.json().unwrap_or_default();
        if method.starts_with("send") {
            let chat = &body["chat_id"];
            if chat.as_i64() == Some(0) {
                return error(400, "Bad Request: chat not found");
            }
            if chat.as_i64().map(|c| c.to_string()).as_deref() == Some(BLOCKED_USER) {
                return error(403, "Forbidden: bot was blocked by the user");
            }
            let message_id = 5000 + self.next_message_id.fetch_add(1, Ordering::SeqCst);
            let mut result = json!({
                "message_id": message_id,
                "from": {"id": 7351209876i64, "is_bot": true, "first_name": "Acme Shop", "username": BOT_USERNAME},
                "chat": {"id": chat, "type": "private"},
                "date": NOW_SECONDS,
            });
            if let Some(text) = body.get("text") {
                result["text"] = text.clone();
            }
            return ok(result);
        }
        match method {
            "setWebhook" if body["url"].is_string() => ok(json!(true)),
            "deleteWebhook" | "setMyCommands" | "answerCallbackQuery" => ok(json!(true)),
            "getWebhookInfo" => ok(json!({
                "url": URL,
                "has_custom_certificate": false,
                "pending_update_count": 3,
                "last_error_date": 1732000500,
                "last_error_message": "Wrong response from the webhook: 401 Unauthorized",
                "max_connections": 40,
                "ip_address": "203.0.113.7",
                "allowed_updates": ["message", "callback_query"]
            })),
            _ => error(400, "Bad Request: method not found"),
        }
    }
}

pub fn ok(result: serde_json::Value) -> ScriptedResponse {
    ScriptedResponse::json(200, &json!({"ok": true, "result": result}))
}

pub fn error(code: u16, description: &str) -> ScriptedResponse {
    ScriptedResponse::json(code, &json!({"ok": false, "error_code": code, "description": description}))
}

/// A fake Bot API answering as [`FakeTelegram`] does.
pub async fn fake_telegram() -> FakeServer {
    let api = FakeServer::start().await.expect("a loopback server");
    let telegram = FakeTelegram::default();
    api.respond_with(move |request| telegram.answer(request));
    api
}
