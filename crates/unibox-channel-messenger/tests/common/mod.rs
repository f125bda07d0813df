//! Fixtures shared by the Messenger tests: the app secret, realistic payloads and a signer.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Arc;
use std::time::Duration;

use unibox_channel_messenger::{AppSecret, MessagingChannelBuilder, MessengerChannel};
use unibox_core::channel::WebhookRequest;
use unibox_core::http::ReqwestClient;

/// The app secret of the fact sheet's computed vectors.
pub const APP_SECRET: &str = "appsecret";
/// Another app's secret.
pub const OTHER_SECRET: &str = "another-apps-secret-5f1c";
/// The verify token of the fact sheet's handshake example.
pub const VERIFY_TOKEN: &str = "meatyhamhock";
/// The Page.
pub const PAGE_ID: &str = "104738291837465";
/// A second Page in the same app (another tenant).
pub const OTHER_PAGE_ID: &str = "109876543210987";
/// A customer's page-scoped id.
pub const PSID: &str = "6201234567890123";
/// The Page access token used in send tests.
pub const PAGE_TOKEN: &str = "EAAGm0PX4ZCpsBAPageToken123";
pub const URL: &str = "https://inbox.example.com/webhooks/acme/messenger";

pub fn secret() -> AppSecret {
    AppSecret::new(APP_SECRET)
}

/// A receive-only channel.
pub fn channel() -> MessengerChannel {
    unibox_channel_messenger::builder().app_secret(secret()).verify_token(VERIFY_TOKEN).build().unwrap()
}

/// A channel sending to `graph` (a fake Graph API).
pub fn sending_channel(graph: url::Url) -> MessengerChannel {
    sending_builder(graph).build().unwrap()
}

/// A channel sending to `graph` whose human agents use the `HUMAN_AGENT` tag after 24 hours
/// (an app with Meta's Human Agent permission).
pub fn tagging_channel(graph: url::Url) -> MessengerChannel {
    sending_builder(graph).human_agent_tag(true).build().unwrap()
}

fn sending_builder(graph: url::Url) -> MessagingChannelBuilder {
    unibox_channel_messenger::builder()
        .app_secret(secret())
        .verify_token(VERIFY_TOKEN)
        .graph_base_url(graph)
        .http_client(Arc::new(ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5))))
}

/// A delivery of `body` signed with `secret` as Meta signs it.
pub fn signed_with(secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(URL.parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &AppSecret::new(secret).signature_header(body))
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_with(APP_SECRET, body)
}

/// One `messaging` item for the Page, from the customer, wrapped in an envelope.
pub fn envelope(item: serde_json::Value) -> Vec<u8> {
    serde_json::json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1_732_000_000_500_i64, "messaging": [item]}]})
        .to_string()
        .into_bytes()
}

/// A customer's event at 2024-11-19 07:06:40.123 UTC.
pub fn from_customer(event: serde_json::Value) -> serde_json::Value {
    let mut item =
        serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1_732_000_000_123_i64});
    for (key, value) in event.as_object().unwrap() {
        item[key] = value.clone();
    }
    item
}

/// The fact sheet's text message, with realistic ids.
pub const TEXT: &str = r#"{"object":"page","entry":[{"id":"104738291837465","time":1458692752478,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1458692752478,"message":{"mid":"mid.1457764197618:41d102a3e1ae206a38","text":"hello, world!","quick_reply":{"payload":"<DEVELOPER_DEFINED_PAYLOAD>"}}}]}]}"#;

/// A batch: two Pages, a message with an image, a delivery, a read, a reaction, and a standby message.
pub const BATCH: &str = r#"{
  "object": "page",
  "entry": [
    {"id": "104738291837465", "time": 1732000001000, "messaging": [
      {"sender": {"id": "6201234567890123"}, "recipient": {"id": "104738291837465"}, "timestamp": 1732000000900,
       "message": {"mid": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
                   "attachments": [{"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/316127058_desk.jpg?_nc_cat=104"}}]}},
      {"sender": {"id": "6201234567890123"}, "recipient": {"id": "104738291837465"}, "timestamp": 1732000000950,
       "delivery": {"mids": ["m_1457764197618:41d102a3e1ae206a38"], "watermark": 1732000000000}},
      {"sender": {"id": "6201234567890123"}, "recipient": {"id": "104738291837465"}, "timestamp": 1732000000990,
       "read": {"watermark": 1732000000000}}
    ]},
    {"id": "109876543210987", "time": 1732000001000, "messaging": [
      {"sender": {"id": "7302345678901234"}, "recipient": {"id": "109876543210987"}, "timestamp": 1732000000800,
       "reaction": {"reaction": "love", "emoji": "\u2764\ufe0f", "action": "react", "mid": "m_pageB_out_1"}}
    ], "standby": [
      {"sender": {"id": "7302345678901234"}, "recipient": {"id": "109876543210987"}, "timestamp": 1732000000850,
       "message": {"mid": "m_pageB_standby_1", "text": "Is anyone there?"}}
    ]}
  ]
}"#;

/// A Thai customer's text message replying to an earlier message: about 600 bytes.
pub const MESSAGE_600: &str = r#"{"object":"page","entry":[{"id":"104738291837465","time":1732000000500,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1732000000123,"message":{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P","text":"Hello, I ordered the standing desk (order TH-20931) on Monday and the tracking page still says label created. Could you check whether it has left the warehouse? I need it before Friday because I am moving offices.","reply_to":{"mid":"m_1457764197618:41d102a3e1ae206a38"}}}]}]}"#;

pub fn samples() -> Vec<Vec<u8>> {
    vec![TEXT.as_bytes().to_vec(), BATCH.as_bytes().to_vec(), MESSAGE_600.as_bytes().to_vec()]
}
