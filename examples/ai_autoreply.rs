//! AI replies with human handoff, end to end: a customer writes over a signed webhook, the
//! auto-reply worker (fed by the hub's change log) answers through the same send path as a
//! person, a refund question is handed to the team with a note, and the AI usage is metered.
//!
//! ```sh
//! cargo run -p unibox --example ai_autoreply --features ai-openai,ai-anthropic
//! OPENAI_API_KEY=sk-... cargo run -p unibox --example ai_autoreply --features ai-openai,ai-anthropic     # real OpenAI
//! ANTHROPIC_API_KEY=sk-ant-... cargo run -p unibox --example ai_autoreply --features ai-openai,ai-anthropic  # real Anthropic
//! ```
//!
//! Without a key it runs against a local fake OpenAI on loopback, so it works offline and
//! twice in a row (each run uses a fresh temporary store). `OPENAI_MODEL` / `ANTHROPIC_MODEL`
//! choose the model. The customer's phone number is masked before anything leaves the process.

use std::sync::Arc;
use std::time::Duration;

use unibox::ai::{
    AnthropicResponder, ApiKeys, AutoReplyWorker, AutomationRules, Control, KeyScope, OpenAiResponder, ProviderConfig,
    Responder,
};
use unibox::channel::WebhookRequest;
use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
use unibox::http::ReqwestClient;
use unibox::inbox::ConversationQuery;
use unibox::metering::{UsageDay, UsageMeter, UsageQuery};
use unibox::secrecy::SecretString;
use unibox::store::sqlite::SqliteStore;
use unibox::vault::{Keyring, StoreKeys};
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Direction, Hub, Role, TenantId, Timestamp};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const RULES: &str = r#"{
    "time_zone": "Asia/Bangkok",
    "business_hours": [{"days": ["mon","tue","wed","thu","fri"], "open": "09:00", "close": "18:00"}],
    "handoff_topics": [{"name": "refund", "keywords": ["refund", "คืนเงิน"]}],
    "rules": [{
        "id": "assistant",
        "instructions": "You are Acme's shop assistant. Answer briefly and politely. Orders ship within two days of payment.",
        "max_replies": 3,
        "min_confidence": 0.5
    }]
}"#;

/// A stand-in for OpenAI's Responses API: answers every call with a confident reply.
fn fake_openai(request: &RecordedRequest) -> ScriptedResponse {
    let asked = request.json().ok();
    let store = asked.as_ref().map(|body| body["store"].clone());
    assert_eq!(store, Some(serde_json::json!(false)), "every Responses call says store: false");
    let answer = serde_json::json!({
        "reply": "Thanks for waiting! Orders ship within two days of payment; yours is on its way.",
        "confidence": 0.9,
        "handoff": null
    });
    ScriptedResponse::json(
        200,
        &serde_json::json!({
            "id": "resp_local", "object": "response", "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": answer.to_string()}]}],
            "usage": {"input_tokens": 180, "output_tokens": 40}
        }),
    )
}

fn tenant() -> TenantId {
    "acme".parse().expect("a valid tenant")
}

fn signed(secret: &WebhookSecret, id: &str, customer: &str, text: &str) -> WebhookRequest {
    let body = serde_json::json!({"account": "shop-bangkok", "events": [{"kind": {
        "type": "message", "direction": "inbound", "message_id": id,
        "customer": {"kind": "external", "id": customer, "display_name": "Somchai P."},
        "content": {"type": "text", "text": text}
    }}]})
    .to_string();
    let now = Timestamp::now().as_unix_seconds();
    WebhookRequest::post("https://inbox.example.com/webhooks/acme-web".parse().expect("a URL"), body.clone())
        .with_header("webhook-id", id)
        .with_header("webhook-timestamp", &now.to_string())
        .with_header("webhook-signature", &secret.sign(id, now, body.as_bytes()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh store per run: a temporary file with a generated vault key.
    let dir = tempfile::tempdir()?;
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1))?)?;
    let store = SqliteStore::open(dir.path().join("inbox.db"), keys).await?;
    let inbox = store.inbox().clone();

    // Replies go to a local receiver standing in for the shop's order system.
    let receiver = FakeServer::start().await?;
    receiver.set_default(ScriptedResponse::json(200, &serde_json::json!({"id": "crm-1"})));
    let channel_id: ChannelId = "acme-web".parse()?;
    let channel = WebhookChannel::new(
        WebhookChannelConfig::builder()
            .secret(SecretString::from(WEBHOOK_SECRET))
            .send_url(receiver.url_for("/outbound"))
            .build()?,
    )
    .with_http_client(Arc::new(ReqwestClient::new()));
    let hub = Hub::builder(store).channel(channel_id.clone(), Arc::new(channel)).metered().build();
    let admin = Actor::user(tenant(), "ann".parse()?, Role::Admin);
    let account =
        ChannelAccount::new(tenant(), channel_id.clone(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now());
    hub.ensure_account(&admin, account, None).await?;

    // The provider: real when a key is set, else a local fake OpenAI. Keys live in the vault.
    let api_keys = ApiKeys::new(hub.tokens().clone(), KeyScope::EachTenant);
    let http = Arc::new(ReqwestClient::with_timeouts(Duration::from_secs(10), Duration::from_secs(60)));
    let mut fake = None;
    let responder: Arc<dyn Responder> = if let Ok(key) = std::env::var("OPENAI_API_KEY") {
        api_keys.store("openai", &tenant(), key.into()).await?;
        let model = std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gpt-5.4-mini".into());
        println!("provider: OpenAI ({model})");
        Arc::new(OpenAiResponder::new(http, ProviderConfig::openai(model), api_keys))
    } else if let Ok(key) = std::env::var("ANTHROPIC_API_KEY") {
        api_keys.store("anthropic", &tenant(), key.into()).await?;
        let model = std::env::var("ANTHROPIC_MODEL").unwrap_or_else(|_| "claude-sonnet-4-5".into());
        println!("provider: Anthropic ({model})");
        Arc::new(AnthropicResponder::new(http, ProviderConfig::anthropic(model), api_keys))
    } else {
        let server = FakeServer::start().await?;
        server.respond_with(fake_openai);
        api_keys.store("openai", &tenant(), "sk-local-fake".to_string().into()).await?;
        println!(
            "provider: a local fake OpenAI at {} (set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one)",
            server.url()
        );
        let config = ProviderConfig::openai("gpt-local").base_url(server.url_for("/v1"));
        fake = Some(server);
        Arc::new(OpenAiResponder::new(http, config, api_keys))
    };

    let rules: AutomationRules = serde_json::from_str(RULES)?;
    let worker = AutoReplyWorker::new(hub.clone(), tenant(), responder, rules)?;
    let running = worker.spawn(None).await?;

    // A customer writes; the webhook is acknowledged at once, the worker answers meanwhile.
    let secret = WebhookSecret::parse(SecretString::from(WEBHOOK_SECRET))?;
    let status = hub
        .handle_webhook(
            &channel_id,
            signed(&secret, "m-1", "cust-1001", "Hi! Call me on 081-234-5678. Where is my order 1042?"),
        )
        .await
        .status;
    println!("webhook acknowledged: {status}");
    let agent = Actor::user(tenant(), "bob".parse()?, Role::Agent);
    let conversation = hub.conversations(&agent, &ConversationQuery::new()).await?.items[0].clone();
    let mut reply = None;
    for _ in 0..600 {
        let messages = hub.messages(&agent, conversation.id, &Default::default()).await?.items;
        if let Some(sent) = messages.iter().find(|m| m.direction == Direction::Outbound) {
            reply = Some(sent.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reply = reply.ok_or("no automatic reply within a minute")?;
    println!("bot replied ({:?}): {}", reply.author, reply.content.searchable_text().unwrap_or_default());
    if let Some(server) = &fake {
        let sent = String::from_utf8_lossy(&server.requests()[0].body).into_owned();
        assert!(
            !sent.contains("081-234-5678") && sent.contains("[phone]"),
            "the phone number never leaves the process"
        );
        println!("what the provider saw of the customer: the phone number as [phone], store: false");
    }

    // A refund is for people: handed over with a note, the bot stays silent from now on.
    hub.handle_webhook(&channel_id, signed(&secret, "m-2", "cust-1001", "Actually I want a refund.")).await;
    let mut state = hub.control_state(&agent, conversation.id).await?;
    for _ in 0..100 {
        if state.control == Control::Human {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        state = hub.control_state(&agent, conversation.id).await?;
    }
    println!(
        "conversation is now held by: {} ({})",
        state.control.as_str(),
        state.reason.map(|r| r.code()).unwrap_or_default()
    );
    for note in unibox::inbox::InboxReads::notes(inbox.as_ref(), &tenant(), conversation.id).await? {
        println!("note for the team: {}", note.body);
    }

    let day = UsageDay::of(Timestamp::now());
    for counter in inbox.usage(&tenant(), &UsageQuery::days(day, day.next()).channel(None)).await? {
        println!("metered: {} = {}", counter.metric, counter.quantity);
    }
    running.abort();
    Ok(())
}
