//! Fixtures shared by the integration tests: secrets, a fixed clock, realistic payloads and a
//! signer.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};

/// The Standard Webhooks reference secret (used by the specification's test vector).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// A second, unrelated secret: "another tenant" or "rotated out".
pub const OTHER_SECRET: &str = "whsec_dGhpcyBpcyB0aGUgbmV3IHNlY3JldCwgMzIgYnl0ZXM=";
/// The time every fixture is signed at and the test clock shows.
pub const NOW: i64 = 1_732_000_000;

pub const URL: &str = "https://inbox.example.com/webhooks/acme/crm";

pub fn secret(text: &str) -> WebhookSecret {
    WebhookSecret::parse(text.into()).unwrap()
}

pub fn clock() -> ManualClock {
    ManualClock::new(Timestamp::from_unix_seconds(NOW))
}

/// A receive-only channel holding [`SECRET`], with its clock at [`NOW`].
pub fn channel() -> (WebhookChannel, ManualClock) {
    let clock = clock();
    let config = WebhookChannelConfig::builder().secret(SECRET.into()).build().unwrap();
    (WebhookChannel::new(config).with_clock(Arc::new(clock.clone())), clock)
}

/// A request with the three Standard Webhooks headers.
pub fn request(id: &str, timestamp: i64, signature: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(URL.parse().unwrap(), body.to_vec())
        .with_header("webhook-id", id)
        .with_header("webhook-timestamp", &timestamp.to_string())
        .with_header("webhook-signature", signature)
}

/// A delivery signed with `secret` at `timestamp`.
pub fn signed(secret_text: &str, id: &str, timestamp: i64, body: &[u8]) -> WebhookRequest {
    request(id, timestamp, &secret(secret_text).sign(id, timestamp, body), body)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh delivery id (`msg_...`), unique within the test process.
pub fn fresh_id() -> String {
    format!("msg_2VxK9pQ{}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

/// A text message from a customer, about 600 bytes as sent.
pub const MESSAGE: &str = r#"{"account":"store-th-01","events":[{"id":"evt_01JAX3M4Q8","occurred_at":1732000000123,"kind":{"type":"message","customer":{"kind":"external","id":"cust-48213","display_name":"Somchai Jaidee"},"direction":"inbound","message_id":"crm-msg-90211","content":{"type":"text","text":"Hello, I ordered the standing desk (order TH-20931) on Monday and the tracking page still says 'label created'. Could you check whether it has left the warehouse? I need it before Friday because I am moving offices. Thank you!"},"reply_to":"crm-msg-90107"}}]}"#;

/// Several events in one delivery, some without ids or times.
pub const BATCH: &str = r#"{
  "account": "store-th-01",
  "events": [
    {"kind": {"type": "message", "customer": {"kind": "external", "id": "cust-48213"}, "direction": "inbound",
      "message_id": "crm-msg-90212",
      "content": {"type": "image", "source": {"kind": "url", "url": "https://files.example.com/u/48213/desk.jpg"},
                  "mime_type": "image/jpeg", "caption": "The box arrived damaged"}}},
    {"occurred_at": 1731999990000,
     "kind": {"type": "delivery", "customer": {"kind": "external", "id": "cust-48213"},
              "message_ids": ["crm-msg-90107", "crm-msg-90108"], "status": {"status": "read"}}},
    {"id": "evt_01JAX3M9ZZ", "kind": {"type": "reaction", "customer": {"kind": "external", "id": "cust-48213"},
      "message_id": "crm-msg-90108", "emoji": "❤️"}},
    {"kind": {"type": "order_update", "buyer": {"kind": "external", "id": "cust-48213"}, "order_id": "TH-20931",
      "status": "shipped", "raw": {"carrier": "Kerry Express", "tracking": "KEX123456789TH"}}}
  ],
  "sender_extension": {"ignored": true}
}"#;

/// A follow and a location message from a LINE-like bridge with display names.
pub const FOLLOW_AND_LOCATION: &str = r#"{"account":"bridge-line-7","events":[{"id":"f-1","occurred_at":1731999000000,"kind":{"type":"follow","customer":{"kind":"external","id":"U4af49806","display_name":"Nok"}}},{"id":"m-2","occurred_at":1731999001000,"kind":{"type":"message","customer":{"kind":"external","id":"U4af49806"},"direction":"inbound","message_id":"line-5511","content":{"type":"location","latitude":13.7466,"longitude":100.5393,"name":"Siam Paragon"}}}]}"#;

pub fn samples() -> Vec<Vec<u8>> {
    vec![MESSAGE.as_bytes().to_vec(), BATCH.as_bytes().to_vec(), FOLLOW_AND_LOCATION.as_bytes().to_vec()]
}
