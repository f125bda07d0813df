//! Shared test helpers: the app's secrets, the fixtures, signing as Meta signs.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::sync::Arc;

use unibox_channel_meta::AppSecret;
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, InboundEvent, ManualClock, Timestamp};

/// The Meta app secret the channel under test holds.
pub const APP_SECRET: &str = "8d3f2c1b0a9e8d7c6b5a49382716f5e4";
/// Another app's secret.
pub const OTHER_SECRET: &str = "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
/// The webhook verify token typed into the App Dashboard.
pub const VERIFY_TOKEN: &str = "meatyhamhock";
/// The test clock: shortly after the fixtures' messages.
pub const NOW: i64 = 1_749_420_000;
/// The business number of most fixtures.
pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// The customer of most fixtures.
pub const CUSTOMER: &str = "16505551234";

pub fn config() -> WhatsAppConfig {
    WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token(VERIFY_TOKEN).build().expect("valid configuration")
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)))
}

pub fn channel() -> WhatsAppChannel {
    WhatsAppChannel::new(config()).with_clock(clock())
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

/// A POST of `body` signed with `secret` as Meta signs it.
pub fn signed(secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post("https://inbox.example.com/webhooks/whatsapp".parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &AppSecret::new(secret).signature_header(body))
}

/// The events of a fixture, verified and parsed by the test channel.
pub fn events(name: &str) -> Vec<InboundEvent> {
    let channel = channel();
    let request = signed(APP_SECRET, &fixture(name));
    let verified = channel.verify(&request).unwrap_or_else(|e| panic!("{name} failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("{name} failed to parse: {e}"))
}

/// The one event of a fixture.
pub fn event(name: &str) -> InboundEvent {
    let mut events = events(name);
    assert_eq!(events.len(), 1, "{name} should parse into exactly one event: {events:?}");
    events.remove(0)
}

/// The system-user token the tests send with.
pub const ACCESS_TOKEN: &str = "EAAGm0PX4ZCpsBAKZB8mSysUserTokenForTests";

/// A channel that calls `graph` (a loopback fake of the Graph API) with a real HTTP client.
pub fn channel_for(graph: &unibox_testkit::http::FakeServer) -> WhatsAppChannel {
    let config = WhatsAppConfig::builder()
        .app_secret(APP_SECRET)
        .verify_token(VERIFY_TOKEN)
        .graph_base_url(graph.url())
        .build()
        .expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(
        std::time::Duration::from_secs(2),
        std::time::Duration::from_secs(5),
    );
    WhatsAppChannel::new(config).with_clock(clock()).with_http_client(Arc::new(client))
}

/// The business number's account.
pub fn account() -> unibox_core::ChannelAccount {
    unibox_core::ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-whatsapp".parse().unwrap(),
        unibox_core::ChannelKind::WHATSAPP,
        PHONE_NUMBER_ID,
        Timestamp::from_unix_seconds(NOW),
    )
}

/// The customer's identity on that account.
pub fn customer(account: &unibox_core::ChannelAccount) -> unibox_core::ContactIdentity {
    unibox_core::ContactIdentity {
        account: account.id,
        kind: unibox_core::IdentityKind::WhatsappId,
        value: CUSTOMER.into(),
    }
}

/// Answers like the Graph API's messages endpoint: 401 with Graph error 190 without the right
/// Bearer token or `appsecret_proof`, else a new wamid per message.
pub fn graph_messages_endpoint(
    counter: &std::sync::atomic::AtomicUsize,
    request: &unibox_testkit::http::RecordedRequest,
) -> unibox_testkit::http::ScriptedResponse {
    use unibox_testkit::http::ScriptedResponse;
    let proof = AppSecret::new(APP_SECRET).appsecret_proof(&secrecy::SecretString::from(ACCESS_TOKEN));
    let authorized = request.header("authorization") == Some(&format!("Bearer {ACCESS_TOKEN}"))
        && request.query().is_some_and(|q| q == format!("appsecret_proof={proof}"));
    if !authorized {
        return ScriptedResponse::json(
            401,
            &serde_json::json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                "code": 190, "fbtrace_id": "A1b2C3"}}),
        );
    }
    let number = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let to = request.json().ok().and_then(|b| b["to"].as_str().map(str::to_owned)).unwrap_or_default();
    ScriptedResponse::json(
        200,
        &serde_json::json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJGQUtF{number:04}")}]}),
    )
}
