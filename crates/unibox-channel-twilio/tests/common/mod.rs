//! Shared test helpers: the account's secrets, the fixtures, signing as Twilio signs, and a
//! loopback fake of Twilio's Messages resource.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use secrecy::SecretString;
use unibox_channel_twilio::{TwilioChannel, TwilioConfig, TwilioCredentials, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The account's Account SID: the `AccountSid` of every fixture.
pub const ACCOUNT_SID: &str = "AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
/// The account's Auth Token: it signs the webhooks.
pub const AUTH_TOKEN: &str = "9c1f0e2d3b4a59687f6e5d4c3b2a1908";
/// Another account's Auth Token.
pub const OTHER_TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// The API key the tests send with.
pub const API_KEY_SID: &str = "SK0f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const API_KEY_SECRET: &str = "kT7uV9wX2yZ4aB6cD8eF0gH1iJ3kL5mN";
/// The SMS number and the WhatsApp sender of the fixtures.
pub const NUMBER: &str = "+14155550100";
pub const WHATSAPP_SENDER: &str = "whatsapp:+14155238886";
/// The customer of most fixtures.
pub const CUSTOMER: &str = "+66812345678";
/// The public webhook URL, as entered in the Twilio Console.
pub const URL: &str = "https://inbox.example.com/webhooks/twilio";
/// The Content SID registered as the `order_shipped` template.
pub const ORDER_SHIPPED: &str = "HXb5b62575e6e4ff6129ad7c8efe1f983e";
/// When the tests receive webhooks.
pub const NOW_SECONDS: i64 = 1_732_000_000;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW_SECONDS)))
}

pub fn config_builder() -> unibox_channel_twilio::TwilioConfigBuilder {
    TwilioConfig::builder()
        .account_sid(ACCOUNT_SID)
        .auth_token(AUTH_TOKEN)
        .webhook_url(URL)
        .content_template("order_shipped", ORDER_SHIPPED)
}

pub fn channel() -> TwilioChannel {
    TwilioChannel::new(config_builder().build().expect("valid configuration")).with_clock(clock())
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The exact bytes of `tests/fixtures/{name}.form` (Twilio's form bodies end without a newline).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{name}.form");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Every fixture's name, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .expect("the fixtures")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".form").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// A POST of the form `body` to `url`, signed with `token` as Twilio signs it.
pub fn signed_at(token: &str, url: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(url.parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_header("x-twilio-signature", &signature_header(token, url, body))
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_at(AUTH_TOKEN, URL, body)
}

/// The events of a body, verified and parsed by `channel`.
pub fn events_of(channel: &TwilioChannel, body: &[u8]) -> Vec<InboundEvent> {
    let request = signed(body);
    let verified = channel.verify(&request).unwrap_or_else(|e| panic!("failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("failed to parse: {e}"))
}

pub fn events(name: &str) -> Vec<InboundEvent> {
    events_of(&channel(), &fixture(name))
}

pub fn event(name: &str) -> InboundEvent {
    let mut events = events(name);
    assert_eq!(events.len(), 1, "{name} should parse into exactly one event: {events:?}");
    events.remove(0)
}

/// A channel calling `api` (a loopback fake of Twilio's API) with a real HTTP client.
pub fn sending_channel(api: &FakeServer) -> TwilioChannel {
    let config = config_builder().api_base_url(api.url()).build().expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    TwilioChannel::new(config).with_clock(clock()).with_http_client(Arc::new(client))
}

/// An account (a number or WhatsApp sender) of the test tenant.
pub fn account(address: &str) -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-twilio".parse().unwrap(),
        ChannelKind::TWILIO,
        address,
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

pub fn sms_customer(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::PhoneNumber, value: CUSTOMER.into() }
}

pub fn whatsapp_customer(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::WhatsappId, value: "66812345678".into() }
}

/// The credentials in the token store: the API key.
pub fn stored_credentials() -> SecretString {
    TwilioCredentials::api_key(API_KEY_SID, API_KEY_SECRET).unwrap().to_token_set().access_token
}

/// Answers like Twilio's Messages resource: 401 / 20003 without the API key or the Auth Token
/// as HTTP Basic credentials; 404 / 20404 for another account's path; 201 with a new
/// `SM…` SID otherwise. Twilio deduplicates nothing: every accepted request is a new message.
#[derive(Default)]
pub struct FakeTwilio {
    counter: AtomicUsize,
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

impl FakeTwilio {
    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let authorization = request.header("authorization");
        let known = [basic(API_KEY_SID, API_KEY_SECRET), basic(ACCOUNT_SID, AUTH_TOKEN)];
        if !known.iter().any(|k| Some(k.as_str()) == authorization) {
            return ScriptedResponse::json(
                401,
                &serde_json::json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}),
            )
            .with_header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
        }
        if request.method != "POST" || request.path() != format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json") {
            return ScriptedResponse::json(
                404,
                &serde_json::json!({"code": 20404, "message": "The requested resource was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}),
            );
        }
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&request.body).into_owned().collect();
        let number = self.counter.fetch_add(1, Ordering::SeqCst);
        let sid = format!("SM{number:032x}");
        ScriptedResponse::json(
            201,
            &serde_json::json!({
                "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form.get("Body"),
                "date_created": "Thu, 21 Nov 2024 07:06:40 +0000", "date_sent": null, "date_updated": "Thu, 21 Nov 2024 07:06:40 +0000",
                "direction": "outbound-api", "error_code": null, "error_message": null, "from": form.get("From"),
                "messaging_service_sid": null, "num_media": "0", "num_segments": "1", "price": null, "price_unit": "USD",
                "sid": sid, "status": "queued", "to": form.get("To"),
                "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json")
            }),
        )
    }
}
