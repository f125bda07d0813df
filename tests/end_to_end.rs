//! End to end through the facade: signed webhooks over the Standard Webhooks channel into a
//! SQLite inbox file, and replies over real HTTP on loopback to a local fake receiver.

use std::path::Path;
use std::sync::Arc;

use unibox::channel::WebhookRequest;
use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
use unibox::http::ReqwestClient;
use unibox::inbox::prelude::*;
use unibox::inbox::{ConversationQuery, MessageQuery};
use unibox::secrecy::SecretString;
use unibox::store::sqlite::{SqliteInbox, SqliteStore};
use unibox::vault::{Keyring, StoreKeys};
use unibox::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, DeliveryStatus, Direction, Hub, Role, TenantId, Timestamp,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn channel_id() -> ChannelId {
    "acme-orders".parse().unwrap()
}

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

async fn hub(db: &Path, receiver: &FakeServer) -> (Hub, Arc<SqliteInbox>) {
    let inbox = Arc::new(SqliteInbox::open(db).await.unwrap());
    let config = WebhookChannelConfig::builder()
        .secret(SecretString::from(SECRET))
        .send_url(receiver.url_for("/outbound"))
        .build()
        .unwrap();
    let channel = WebhookChannel::new(config).with_http_client(Arc::new(ReqwestClient::new()));
    // A fixed test key, so a reopened file's tokens and audit checkpoints still open.
    let keys = StoreKeys::try_from(Keyring::new().with_key(1, [7; 32])).unwrap();
    let store = SqliteStore::from_inbox(inbox.clone(), keys);
    let hub = Hub::builder(store).channel(channel_id(), Arc::new(channel)).build();
    (hub, inbox)
}

/// A delivery signed `later` seconds from now (a sender's retry is re-signed with a new timestamp).
fn signed_at(webhook_id: &str, body: &str, secret: &str, later: i64) -> WebhookRequest {
    let key = WebhookSecret::parse(SecretString::from(secret)).unwrap();
    let now = Timestamp::now().as_unix_seconds() + later;
    WebhookRequest::post("https://inbox.example.com/webhooks/acme-orders".parse().unwrap(), body.to_string())
        .with_header("webhook-id", webhook_id)
        .with_header("webhook-timestamp", &now.to_string())
        .with_header("webhook-signature", &key.sign(webhook_id, now, body.as_bytes()))
}

fn signed(webhook_id: &str, body: &str, secret: &str) -> WebhookRequest {
    signed_at(webhook_id, body, secret, 0)
}

fn message_body(customer: &str, message_id: &str, text: &str) -> String {
    serde_json::json!({
        "account": "shop-bangkok",
        "events": [{ "kind": {
            "type": "message",
            "customer": { "kind": "external", "id": customer, "display_name": "Somchai P." },
            "direction": "inbound",
            "message_id": message_id,
            "content": { "type": "text", "text": text }
        }}]
    })
    .to_string()
}

async fn connect(hub: &Hub) {
    let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(tenant(), channel_id(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now());
    hub.connect_account(&admin, account, None).await.unwrap();
}

fn agent() -> Actor {
    Actor::user(tenant(), "bob".parse().unwrap(), Role::Agent)
}

#[tokio::test]
async fn signed_webhook_becomes_a_durable_conversation_and_the_reply_reaches_the_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inbox.db");
    let receiver = FakeServer::start().await.unwrap();
    receiver.set_default(ScriptedResponse::json(200, &serde_json::json!({ "id": "crm-1" })));
    let (hub, inbox) = hub(&db, &receiver).await;
    connect(&hub).await;

    let body = message_body("cust-1001", "m-1", "สวัสดีครับ where is order #A1234?");
    assert_eq!(hub.handle_webhook(&channel_id(), signed("msg_1", &body, SECRET)).await.status.as_u16(), 200);
    let retry = signed_at("msg_1", &body, SECRET, 3);
    assert_eq!(
        hub.handle_webhook(&channel_id(), retry).await.status.as_u16(),
        200,
        "a re-signed retry is acknowledged"
    );
    let forged = signed("msg_2", &message_body("cust-666", "m-2", "forged"), "whsec_QmFkS2V5QmFkS2V5QmFkS2V5QmFkS2V5");
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    let page = hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap();
    assert_eq!(page.items.len(), 1, "the redelivery and the forgery add nothing");
    let conversation = page.items[0].clone();
    assert_eq!(conversation.unread_count, 1);

    let reply = hub.send(&agent(), conversation.id, Content::text("It left the warehouse today.")).await.unwrap();
    assert_eq!(reply.delivery, DeliveryStatus::Sent);
    assert_eq!(reply.platform_message_id.as_deref(), Some("crm-1"));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let outbound = &requests[0];
    assert_eq!(
        outbound.header("webhook-id"),
        Some(reply.id.to_string().as_str()),
        "the message id is the idempotency key"
    );
    let json = outbound.json().unwrap();
    assert_eq!(json["recipient"]["id"], "cust-1001");
    assert_eq!(json["content"]["text"], "It left the warehouse today.");

    // Everything survives a restart: reopen the file.
    drop(hub);
    drop(inbox);
    let reopened = SqliteInbox::open(&db).await.unwrap();
    let messages = reopened.messages(&tenant(), conversation.id, &MessageQuery::new()).await.unwrap();
    assert_eq!(messages.items.len(), 2);
    assert_eq!(messages.items[0].direction, Direction::Outbound);
    assert_eq!(messages.items[0].delivery, DeliveryStatus::Sent);
}

#[tokio::test]
async fn throttled_reply_is_queued_for_a_retry_after_the_servers_delay() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = FakeServer::start().await.unwrap();
    receiver.set_default(ScriptedResponse::status(429).with_header("Retry-After", "7"));
    let (hub, inbox) = hub(&dir.path().join("inbox.db"), &receiver).await;
    connect(&hub).await;
    hub.handle_webhook(&channel_id(), signed("msg_1", &message_body("cust-1", "m-1", "hello"), SECRET)).await;
    let conversation = hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items[0].clone();

    // Throttling means the platform did not take it: it is kept and retried, never shown as sent.
    let queued = hub.send(&agent(), conversation.id, Content::text("hi")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);
    let job = (inbox.as_ref() as &dyn unibox::outbox::Outbox).job(&tenant(), queued.id).await.unwrap();
    assert!(job.due_at >= queued.sent_at.saturating_add(std::time::Duration::from_secs(7)), "{job:?}");
    let messages = inbox.messages(&tenant(), conversation.id, &MessageQuery::new()).await.unwrap();
    assert_eq!(messages.items[0].delivery, DeliveryStatus::Queued);
}
