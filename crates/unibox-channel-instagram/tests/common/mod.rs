//! Fixtures shared by the Instagram tests.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Arc;
use std::time::Duration;

use unibox_channel_instagram::{AppSecret, InstagramChannel, TokenRefresh};
use unibox_core::channel::WebhookRequest;
use unibox_core::http::ReqwestClient;
use unibox_core::{Clock, ManualClock, Timestamp};

/// The Instagram app secret (Instagram Login apps sign webhooks with it).
pub const IG_APP_SECRET: &str = "ig-app-secret-8d0a51c3";
pub const OTHER_SECRET: &str = "another-apps-secret-5f1c";
pub const VERIFY_TOKEN: &str = "meatyhamhock";
/// The Instagram professional account.
pub const IG_ID: &str = "17841405822304914";
/// A customer's Instagram-scoped id.
pub const IGSID: &str = "1254459154682919";
/// An Instagram user access token (Instagram Login).
pub const IG_TOKEN: &str = "IGAAJxZBkUserToken0042";
pub const URL: &str = "https://inbox.example.com/webhooks/acme/instagram";
pub const NOW: i64 = 1_732_000_000;

pub fn channel() -> InstagramChannel {
    unibox_channel_instagram::builder()
        .app_secret(AppSecret::new(IG_APP_SECRET))
        .verify_token(VERIFY_TOKEN)
        .build()
        .unwrap()
}

/// An Instagram Login channel sending to `graph` (a fake graph.instagram.com).
pub fn sending_channel(graph: url::Url) -> InstagramChannel {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    unibox_channel_instagram::builder()
        .app_secret(AppSecret::new(IG_APP_SECRET))
        .verify_token(VERIFY_TOKEN)
        .token_refresh(TokenRefresh::InstagramRefresh)
        .graph_base_url(graph)
        .clock(clock)
        .http_client(Arc::new(ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5))))
        .build()
        .unwrap()
}

pub fn signed_with(secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(URL.parse().unwrap(), body.to_vec())
        .with_header("x-hub-signature-256", &AppSecret::new(secret).signature_header(body))
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_with(IG_APP_SECRET, body)
}

pub fn envelope(event: serde_json::Value) -> Vec<u8> {
    let mut item =
        serde_json::json!({"sender": {"id": IGSID}, "recipient": {"id": IG_ID}, "timestamp": 1_732_000_000_321_i64});
    for (key, value) in event.as_object().unwrap() {
        item[key] = value.clone();
    }
    serde_json::json!({"object": "instagram", "entry": [{"id": IG_ID, "time": 1_732_000_000_500_i64, "messaging": [item]}]})
        .to_string()
        .into_bytes()
}

/// The fact sheet's Instagram text message, with realistic ids.
pub const TEXT: &str = r#"{"object":"instagram","entry":[{"id":"17841405822304914","time":1569262486134,"messaging":[{"sender":{"id":"1254459154682919"},"recipient":{"id":"17841405822304914"},"timestamp":1569262485349,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI3NjAxNzI1NjQ3NzU3NjM5NjozMTgzNzQ3NTk3MjY3NjQ2MTAxMjQ2MDQzODk4MjgzOTU1MgZDZD","text":"ยังมีไซส์ M สีแดงไหมคะ"}}]}]}"#;

/// A seen receipt, an echo and a comment change in one delivery.
pub const MIXED: &str = r#"{"object":"instagram","entry":[{"id":"17841405822304914","time":1732000000500,"messaging":[
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841405822304914"},"timestamp":1732000000100,"read":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIy"}},
  {"sender":{"id":"17841405822304914"},"recipient":{"id":"1254459154682919"},"timestamp":1732000000200,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIz","text":"มีค่ะ ส่งพรุ่งนี้นะคะ","is_echo":true}}
 ],"changes":[{"field":"comments","value":{"from":{"id":"1254459154682919","username":"somchai.j"},"media":{"id":"18034829341051247","media_product_type":"FEED"},"id":"17865799348089039","text":"ราคาเท่าไหร่คะ"}}]}]}"#;

pub fn samples() -> Vec<Vec<u8>> {
    vec![TEXT.as_bytes().to_vec(), MIXED.as_bytes().to_vec()]
}
