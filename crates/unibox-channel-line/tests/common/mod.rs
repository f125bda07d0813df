//! Shared test helpers: the channel's secret, the fixtures, signing as LINE signs, and a
//! loopback fake of LINE's API.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use unibox_channel_line::{LineChannel, LineConfig, TokenIssuance, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The channel secret the channel under test holds.
pub const CHANNEL_SECRET: &str = "8c3a9e7f0d1b2c4e5f60718293a4b5c6";
/// Another channel's secret.
pub const OTHER_SECRET: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
/// The channel id (Basic settings).
pub const CHANNEL_ID: &str = "1657123456";
/// The bot's user id: the `destination` of every fixture.
pub const BOT: &str = "U4af4980629c37e7b3ad0a4e2e0a8b2ed";
/// The customer of most fixtures.
pub const USER: &str = "U80696558e1aa831a5e4f1c0e6c2a8a3b";
/// The group of the group fixtures.
pub const GROUP: &str = "Ca56f94637c2f2d5e8a4b6c7d8e9f0a1b";
/// The fixtures' event time (ms).
pub const EVENT_MILLIS: i64 = 1_732_000_000_123;
/// The channel access token the tests send with.
pub const ACCESS_TOKEN: &str = "W1TeHCgfH2LiwaLINEtokenForTests0123456789abcdef";
/// The public webhook URL.
pub const URL: &str = "https://inbox.example.com/webhooks/line";

/// A clock two seconds after the fixtures' events.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_millis(EVENT_MILLIS + 2_000)))
}

pub fn config() -> LineConfig {
    LineConfig::builder().channel_secret(CHANNEL_SECRET).build().expect("valid configuration")
}

pub fn channel() -> LineChannel {
    LineChannel::new(config()).with_clock(clock())
}

/// The exact bytes of `tests/fixtures/{name}.json`.
pub fn fixture(name: &str) -> Vec<u8> {
    unibox_testkit::fixture_files::read(FIXTURES, name)
}

/// Every fixture's name.
pub fn fixture_names() -> Vec<String> {
    unibox_testkit::fixture_files::names(FIXTURES)
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A POST of `body` signed with `secret` as LINE signs it.
pub fn signed_with(secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(URL.parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/json; charset=utf-8")
        .with_header("x-line-signature", &signature_header(secret, body))
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_with(CHANNEL_SECRET, body)
}

/// The events of a body, verified and parsed by `channel`.
pub fn events_of(channel: &LineChannel, body: &[u8]) -> Vec<InboundEvent> {
    let request = signed(body);
    let verified = channel.verify(&request).unwrap_or_else(|e| panic!("failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("failed to parse: {e}"))
}

/// The events of a fixture, parsed by a fresh test channel.
pub fn events(name: &str) -> Vec<InboundEvent> {
    events_of(&channel(), &fixture(name))
}

/// The one event of a fixture.
pub fn event(name: &str) -> InboundEvent {
    let mut events = events(name);
    assert_eq!(events.len(), 1, "{name} should parse into exactly one event: {events:?}");
    events.remove(0)
}

/// A channel calling `api` (a loopback fake of LINE's API) with a real HTTP client.
pub fn sending_channel(api: &FakeServer, issuance: TokenIssuance, clock: Arc<ManualClock>) -> LineChannel {
    let config = LineConfig::builder()
        .channel_secret(CHANNEL_SECRET)
        .channel_id(CHANNEL_ID)
        .token_issuance(issuance)
        .api_base_url(api.url())
        .api_data_base_url(api.url())
        .build()
        .expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    LineChannel::new(config).with_clock(clock).with_http_client(Arc::new(client))
}

/// The bot's account.
pub fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-line".parse().unwrap(),
        ChannelKind::LINE,
        BOT,
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

/// The customer's identity on that account.
pub fn customer(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::LineUserId, value: USER.into() }
}

/// Answers like LINE's reply and push endpoints: 401 without the right Bearer token; a new
/// message id per message; a push whose `X-Line-Retry-Key` was accepted before gets 409 with
/// the original `sentMessages` and `x-line-accepted-request-id`; a reply token used before
/// gets `400 Invalid reply token`.
#[derive(Default)]
pub struct FakeLine {
    counter: AtomicUsize,
    accepted: std::sync::Mutex<std::collections::HashMap<String, (String, serde_json::Value)>>,
    used_reply_tokens: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl FakeLine {
    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        if request.header("authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
            return ScriptedResponse::json(
                401,
                &serde_json::json!({"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}),
            );
        }
        let body = request.json().unwrap_or_default();
        let count = body["messages"].as_array().map_or(0, Vec::len);
        if !(1..=5).contains(&count) {
            return ScriptedResponse::json(
                400,
                &serde_json::json!({"message": "The request body has 1 error(s)", "details": [{"message": "Size must be between 1 and 5", "property": "messages"}]}),
            );
        }
        let number = self.counter.fetch_add(1, Ordering::SeqCst);
        let request_id = format!("8b6b4e1c-2f0e-4b8a-9c4e-{number:012}");
        let sent = serde_json::json!({"sentMessages": (0..count)
            .map(|i| serde_json::json!({"id": format!("{}", 481234567890123456u64 + (number * 10 + i) as u64), "quoteToken": "IStG5h1Tz7b..."}))
            .collect::<Vec<_>>()});
        match request.path() {
            "/v2/bot/message/reply" => {
                if request.header("x-line-retry-key").is_some() {
                    return ScriptedResponse::json(
                        400,
                        &serde_json::json!({"message": "The retry key is not supported for this API"}),
                    );
                }
                let token = body["replyToken"].as_str().unwrap_or_default().to_owned();
                if token.is_empty() || !self.used_reply_tokens.lock().unwrap().insert(token) {
                    return ScriptedResponse::json(400, &serde_json::json!({"message": "Invalid reply token"}));
                }
                ScriptedResponse::json(200, &sent).with_header("x-line-request-id", request_id)
            }
            "/v2/bot/message/push" => {
                let Some(key) = request.header("x-line-retry-key").map(str::to_owned) else {
                    return ScriptedResponse::json(200, &sent).with_header("x-line-request-id", request_id);
                };
                let mut accepted = self.accepted.lock().unwrap();
                if let Some((first_id, first_sent)) = accepted.get(&key) {
                    return ScriptedResponse::json(409, &serde_json::json!({"message": "The retry key is already accepted", "sentMessages": first_sent["sentMessages"]}))
                        .with_header("x-line-request-id", request_id)
                        .with_header("x-line-accepted-request-id", first_id.clone());
                }
                accepted.insert(key, (request_id.clone(), sent.clone()));
                ScriptedResponse::json(200, &sent).with_header("x-line-request-id", request_id)
            }
            _ => ScriptedResponse::json(404, &serde_json::json!({"message": "Not found"})),
        }
    }
}
