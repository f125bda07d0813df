//! A channel shaped like Meta's app-level webhook: one app secret signs every POST
//! (`X-Hub-Signature-256: sha256=<hex>`), one POST carries `entry` items for many pages, and
//! the subscription is confirmed by a GET handshake. It stands in for the Meta adapters so the
//! server's routing can be tested on its own.

use async_trait::async_trait;
use serde_json::Value;
use unibox_core::channel::{
    Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest, WebhookResponse, signature,
};
use unibox_core::{
    Channel, ChannelKind, Content, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage,
    PlatformUser, Result, Timestamp,
};

pub const APP_SECRET: &[u8] = b"0f3c9a7e5b1d4f2a8c6e0b9d7f5a3c1e";
pub const VERIFY_TOKEN: &str = "vt-5d1e0c8b";

#[derive(Debug)]
pub struct AppLevelChannel {
    capabilities: Capabilities,
}

impl AppLevelChannel {
    pub fn new() -> Self {
        AppLevelChannel { capabilities: Capabilities { subscription_handshake: true, ..Capabilities::default() } }
    }
}

/// `sha256=<hex>` of the body under [`APP_SECRET`].
pub fn sign(body: &[u8]) -> String {
    let tag = signature::hmac_sha256(APP_SECRET, &[body]);
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn malformed(message: &str) -> Error {
    Error::new(ErrorKind::MalformedPayload, message.to_string())
}

#[async_trait]
impl Channel for AppLevelChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::MESSENGER
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn handshake(&self, request: &WebhookRequest) -> Option<Result<WebhookResponse>> {
        if request.method != http::Method::GET {
            return None;
        }
        if request.query("hub.mode").as_deref() != Some("subscribe") {
            return Some(Err(Error::new(ErrorKind::InvalidInput, "hub.mode must be subscribe")));
        }
        let given = request.query("hub.verify_token").unwrap_or_default();
        Some(
            signature::secrets_match(given.as_bytes(), VERIFY_TOKEN.as_bytes())
                .map(|_| WebhookResponse::text(200, request.query("hub.challenge").unwrap_or_default())),
        )
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        let header = request.header("x-hub-signature-256").unwrap_or_default();
        let tag = header
            .strip_prefix("sha256=")
            .and_then(unhex)
            .ok_or_else(|| Error::new(ErrorKind::SignatureInvalid, "X-Hub-Signature-256 is missing or malformed"))?;
        let proof = signature::verify_hmac_sha256(APP_SECRET, &[&request.body], &tag)?;
        Ok(Verified::new(request, proof))
    }

    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        let payload: Value =
            serde_json::from_slice(request.body()).map_err(|e| malformed(&format!("not JSON: {e}")))?;
        let entries = payload["entry"].as_array().ok_or_else(|| malformed("\"entry\" must be an array"))?;
        let mut events = Vec::new();
        for entry in entries {
            let page = entry["id"].as_str().ok_or_else(|| malformed("an entry has no page id"))?;
            for item in entry["messaging"].as_array().into_iter().flatten() {
                let mid = item["message"]["mid"].as_str().ok_or_else(|| malformed("a message has no mid"))?;
                let sender = item["sender"]["id"].as_str().ok_or_else(|| malformed("a message has no sender"))?;
                let text = item["message"]["text"].as_str().unwrap_or_default();
                let at = item["timestamp"].as_i64().ok_or_else(|| malformed("a message has no timestamp"))?;
                events.push(InboundEvent {
                    id: mid.to_string(),
                    account: page.to_string(),
                    occurred_at: Timestamp::from_unix_millis(at),
                    kind: EventKind::Message(InboundMessage::inbound(
                        PlatformUser::new(IdentityKind::PageScopedId, sender),
                        mid,
                        Content::text(text),
                    )),
                });
            }
        }
        Ok(events)
    }

    async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
        Err(Error::new(ErrorKind::Unsupported, "the test channel only receives"))
    }
}

/// One app-level POST with a message for each `(page, psid, mid, text)`, one entry per page,
/// in Meta's Messenger shape.
pub fn batch(messages: &[(&str, &str, &str, &str)]) -> String {
    let entries: Vec<Value> = messages
        .iter()
        .map(|(page, psid, mid, text)| {
            serde_json::json!({
                "id": page,
                "time": 1_732_000_000_123_i64,
                "messaging": [{
                    "sender": {"id": psid},
                    "recipient": {"id": page},
                    "timestamp": 1_732_000_000_100_i64,
                    "message": {"mid": mid, "text": text}
                }]
            })
        })
        .collect();
    serde_json::json!({"object": "page", "entry": entries}).to_string()
}
