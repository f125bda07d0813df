//! A complete world for the AI tests: a SQLite store with the token vault, the Standard Webhooks
//! channel sending to a local receiver, the handoff store, and local fake OpenAI and Anthropic
//! servers on loopback.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use unibox_ai::{AnthropicResponder, ApiKeys, AutomationRules, KeyScope, OpenAiResponder, ProviderConfig};
use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
use unibox_core::ai::Responder;
use unibox_core::channel::WebhookRequest;
use unibox_core::http::ReqwestClient;
use unibox_core::inbox::ConversationQuery;
use unibox_core::secrecy::SecretString;
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Conversation, Hub, MessageId, Role, TenantId, Timestamp,
};
use unibox_store_sqlite::{SqliteInbox, SqliteStore};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};
use unibox_vault::{Keyring, StoreKeys};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const OPENAI_KEY: &str = "sk-test-OPENAI-5f1c9a8e";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-ANTHROPIC-77b2";

pub fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

pub fn channel_id() -> ChannelId {
    "acme-web".parse().unwrap()
}

pub fn agent() -> Actor {
    Actor::user(tenant(), "bob".parse().unwrap(), Role::Agent)
}

/// Which provider the world's responder talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
}

pub struct World {
    pub dir: TempDir,
    pub hub: Hub,
    pub inbox: Arc<SqliteInbox>,
    pub receiver: FakeServer,
    pub provider: FakeServer,
    pub responder: Arc<dyn Responder>,
    pub webhook_seq: std::sync::atomic::AtomicU32,
}

/// Provider calls in tests wait at most this long per attempt, and back off briefly.
pub fn config(kind: Provider, server: &FakeServer) -> ProviderConfig {
    let config = match kind {
        Provider::OpenAi => ProviderConfig::openai("gpt-test").base_url(server.url_for("/v1")),
        Provider::Anthropic => ProviderConfig::anthropic("claude-test").base_url(server.url()),
    };
    config.timeout(Duration::from_secs(5)).backoff(Duration::from_millis(20))
}

pub fn responder(kind: Provider, server: &FakeServer, keys: ApiKeys, config: ProviderConfig) -> Arc<dyn Responder> {
    let _ = server;
    let http = Arc::new(ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(60)));
    match kind {
        Provider::OpenAi => Arc::new(OpenAiResponder::new(http, config, keys)),
        Provider::Anthropic => Arc::new(AnthropicResponder::new(http, config, keys)),
    }
}

impl World {
    pub async fn new(kind: Provider) -> World {
        Self::with_config(kind, |config| config).await
    }

    pub async fn with_config(kind: Provider, adjust: impl FnOnce(ProviderConfig) -> ProviderConfig) -> World {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
        let receiver = FakeServer::start().await.unwrap();
        receiver.set_default(ScriptedResponse::json(200, &json!({"id": "crm-1"})));
        let channel_config = WebhookChannelConfig::builder()
            .secret(SecretString::from(SECRET))
            .send_url(receiver.url_for("/outbound"))
            .build()
            .unwrap();
        let channel = WebhookChannel::new(channel_config).with_http_client(Arc::new(ReqwestClient::new()));
        let keys = StoreKeys::try_from(Keyring::new().with_key(1, [7; 32])).unwrap();
        let store = SqliteStore::from_inbox(inbox.clone(), keys);
        let hub = Hub::builder(store).channel(channel_id(), Arc::new(channel)).metered().build();
        let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
        let account =
            ChannelAccount::new(tenant(), channel_id(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now());
        hub.connect_account(&admin, account, None).await.unwrap();

        let provider = FakeServer::start().await.unwrap();
        // The keys live in the store's vault, sealed like platform tokens.
        let keys = ApiKeys::new(hub.tokens().clone(), KeyScope::EachTenant);
        keys.store("openai", &tenant(), OPENAI_KEY.to_string().into()).await.unwrap();
        keys.store("anthropic", &tenant(), ANTHROPIC_KEY.to_string().into()).await.unwrap();
        let responder = responder(kind, &provider, keys, adjust(config(kind, &provider)));
        World { dir, hub, inbox, receiver, provider, responder, webhook_seq: Default::default() }
    }

    /// A customer message over a signed webhook; returns the webhook's HTTP status.
    pub async fn customer_writes(&self, customer: &str, text: &str) -> u16 {
        let n = self.webhook_seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = json!({
            "account": "shop-bangkok",
            "events": [{ "kind": {
                "type": "message",
                "customer": { "kind": "external", "id": customer, "display_name": "Somchai P." },
                "direction": "inbound",
                "message_id": format!("m-{n}"),
                "content": { "type": "text", "text": text }
            }}]
        })
        .to_string();
        let webhook_id = format!("msg_{n}");
        let key = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
        let now = Timestamp::now().as_unix_seconds();
        let request =
            WebhookRequest::post("https://inbox.example.com/webhooks/acme-web".parse().unwrap(), body.clone())
                .with_header("webhook-id", &webhook_id)
                .with_header("webhook-timestamp", &now.to_string())
                .with_header("webhook-signature", &key.sign(&webhook_id, now, body.as_bytes()));
        self.hub.handle_webhook(&channel_id(), request).await.status.as_u16()
    }

    pub async fn conversation(&self) -> Conversation {
        self.hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items[0].clone()
    }

    pub async fn conversations(&self) -> Vec<Conversation> {
        self.hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items
    }

    /// The newest message of the conversation (the one a worker is told about).
    pub async fn newest_message(&self, conversation: &Conversation) -> MessageId {
        let page = self.hub.messages(&agent(), conversation.id, &Default::default()).await.unwrap();
        let inbound = page.items.iter().filter(|m| m.direction == unibox_core::Direction::Inbound);
        inbound.max_by_key(|m| m.recorded_at).unwrap().id
    }

    pub fn rules(&self, rules: Value) -> AutomationRules {
        serde_json::from_value(rules).unwrap()
    }
}

/// Always-on rules answering everything, handing refunds to people.
pub fn always_rules() -> Value {
    json!({
        "time_zone": "Asia/Bangkok",
        "handoff_topics": [{"name": "refund", "keywords": ["refund", "คืนเงิน"]}],
        "rules": [{"id": "always", "instructions": "INSTRUCTION-MARKER-4be1: you are Acme's assistant.", "max_replies": 2}]
    })
}

/// The model's structured answer as the text both providers carry.
pub fn answer(reply: &str, confidence: f64) -> String {
    json!({"reply": reply, "confidence": confidence, "handoff": null}).to_string()
}

/// A successful Responses API body carrying `text`.
pub fn openai_text(text: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &json!({
            "id": "resp_67cc", "object": "response", "status": "completed", "error": null, "model": "gpt-test",
            "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87, "total_tokens": 123}
        }),
    )
    .with_header("x-request-id", "req_123")
}

/// A successful Messages API body carrying `text`.
pub fn anthropic_text(text: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &json!({
            "id": "msg_01T4", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 406, "cache_creation_input_tokens": 10, "cache_read_input_tokens": 4, "output_tokens": 50}
        }),
    )
    .with_header("request-id", "req_018E")
}

pub fn provider_text(kind: Provider, text: &str) -> ScriptedResponse {
    match kind {
        Provider::OpenAi => openai_text(text),
        Provider::Anthropic => anthropic_text(text),
    }
}

/// Every recorded request body as text.
pub fn bodies(requests: &[RecordedRequest]) -> Vec<String> {
    requests.iter().map(|r| String::from_utf8_lossy(&r.body).into_owned()).collect()
}

/// Every file the store wrote under `dir`, read whole.
pub fn store_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        } else if path.is_dir() {
            files.extend(store_files(&path));
        }
    }
    files
}

pub fn occurs(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack.windows(needle.len()).any(|window| window == needle)
}
