//! Automated replies obey the platform's messaging window: on Messenger (24 hours for anything
//! but a human agent's tagged reply), on a manual clock, with a fake Graph API and a fake OpenAI.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{OPENAI_KEY, Provider, answer, openai_text};
use serde_json::json;
use unibox_ai::{ApiKeys, AutoReplyOutcome, AutoReplyWorker, KeyScope};
use unibox_channel_messenger::AppSecret;
use unibox_core::channel::WebhookRequest;
use unibox_core::http::ReqwestClient;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryConversationControl, MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Hub, ManualClock, MessageId, Role, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const PAGE_ID: &str = "104738291837465";
const PSID: &str = "6201234567890123";
const WROTE_AT_MS: i64 = 1_732_000_000_123;

struct Messenger {
    hub: Hub,
    graph: FakeServer,
    openai: FakeServer,
    clock: ManualClock,
    worker: AutoReplyWorker,
}

async fn messenger(rules: serde_json::Value) -> Messenger {
    let graph = FakeServer::start().await.unwrap();
    graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_out_1"})));
    let channel = unibox_channel_messenger::builder()
        .app_secret(AppSecret::new("appsecret"))
        .verify_token("verify")
        .graph_base_url(graph.url())
        .http_client(Arc::new(ReqwestClient::new()))
        .build()
        .unwrap();
    let clock = ManualClock::new(Timestamp::from_unix_millis(WROTE_AT_MS));
    let channel_id: ChannelId = "acme-messenger".parse().unwrap();
    let tokens = Arc::new(MemoryTokenStore::new());
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id.clone(), Arc::new(channel))
        .tokens(tokens.clone())
        .conversation_control(Arc::new(MemoryConversationControl::new()))
        .clock(Arc::new(clock.clone()))
        .build();
    let tenant = common::tenant();
    let admin = Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(
        tenant.clone(),
        channel_id.clone(),
        ChannelKind::MESSENGER,
        PAGE_ID,
        Timestamp::from_unix_millis(WROTE_AT_MS),
    );
    hub.connect_account(&admin, account, Some(TokenSet::new("EAAGpagetoken"))).await.unwrap();
    let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": WROTE_AT_MS, "messaging": [{
        "sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": WROTE_AT_MS,
        "message": {"mid": "m_in_1", "text": "Where is my order TH-20931?"}
    }]}]})
    .to_string()
    .into_bytes();
    let request =
        WebhookRequest::post("https://inbox.example.com/webhooks/acme/messenger".parse().unwrap(), body.clone())
            .with_header("content-type", "application/json")
            .with_header("x-hub-signature-256", &AppSecret::new("appsecret").signature_header(&body));
    assert_eq!(hub.handle_webhook(&channel_id, request).await.status.as_u16(), 200);

    let openai = FakeServer::start().await.unwrap();
    let keys = ApiKeys::new(tokens, KeyScope::EachTenant);
    keys.store("openai", &tenant, OPENAI_KEY.to_string().into()).await.unwrap();
    let responder = common::responder(Provider::OpenAi, &openai, keys, common::config(Provider::OpenAi, &openai));
    let worker = AutoReplyWorker::new(hub.clone(), tenant, responder, serde_json::from_value(rules).unwrap()).unwrap();
    Messenger { hub, graph, openai, clock, worker }
}

impl Messenger {
    async fn customer_message(&self) -> MessageId {
        let agent = common::agent();
        let conversation = self.hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items[0].id;
        self.hub.messages(&agent, conversation, &Default::default()).await.unwrap().items[0].id
    }

    fn at(&self, after: Duration) {
        self.clock.set(Timestamp::from_unix_millis(WROTE_AT_MS).saturating_add(after));
    }
}

fn always() -> serde_json::Value {
    json!({"time_zone": "Asia/Bangkok", "rules": [{"id": "always", "instructions": "Be brief."}]})
}

#[tokio::test]
async fn inside_the_window_the_bot_replies_as_a_standard_response() {
    let m = messenger(always()).await;
    m.openai.enqueue(openai_text(&answer("It left the warehouse today.", 0.9)));
    m.at(Duration::from_secs(60));
    let outcome = m.worker.handle(m.customer_message().await).await.unwrap();
    assert!(matches!(outcome, AutoReplyOutcome::Replied { .. }), "{outcome:?}");
    let body = m.graph.last_request().unwrap().json().unwrap();
    assert_eq!(body["messaging_type"], "RESPONSE");
    assert!(body.get("tag").is_none(), "the bot never uses the human-agent tag");
    assert_eq!(body["message"]["text"], "It left the warehouse today.");
}

#[tokio::test]
async fn outside_the_window_the_bot_sends_nothing() {
    let m = messenger(always()).await;
    m.openai.enqueue(openai_text(&answer("Sorry for the wait!", 0.9)));
    m.at(Duration::from_secs(25 * 3600));
    let outcome = m.worker.handle(m.customer_message().await).await.unwrap();
    assert_eq!(outcome, AutoReplyOutcome::WindowClosed);
    assert_eq!(m.graph.request_count(), 0, "no Graph call outside the window");
    let messages = m
        .hub
        .messages(
            &common::agent(),
            m.hub.conversations(&common::agent(), &ConversationQuery::new()).await.unwrap().items[0].id,
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(messages.items.len(), 1, "nothing was recorded either");
}

#[tokio::test]
async fn an_unassigned_for_rule_waits_then_answers_inside_the_window() {
    let m = messenger(json!({"time_zone": "Asia/Bangkok", "rules": [
        {"id": "waiting", "when": [{"type": "unassigned_for", "minutes": 10}], "instructions": "Apologize for the wait."}
    ]}))
    .await;
    let message = m.customer_message().await;
    m.at(Duration::from_secs(4 * 60));
    assert_eq!(m.worker.handle(message).await.unwrap(), AutoReplyOutcome::CheckAgainIn(Duration::from_secs(6 * 60)));
    assert_eq!(m.openai.request_count(), 0);
    m.openai.enqueue(openai_text(&answer("Sorry for the wait, a colleague will be with you shortly.", 0.9)));
    m.at(Duration::from_secs(11 * 60));
    assert!(matches!(m.worker.handle(message).await.unwrap(), AutoReplyOutcome::Replied { .. }));
    assert_eq!(m.graph.request_count(), 1);
}
