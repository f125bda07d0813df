//! Shared fixtures: a server on a loopback port, signed Standard Webhooks deliveries, a
//! Meta-shaped app-level channel, and an inbox whose ingest can be held or broken.
#![allow(dead_code, unreachable_pub)]

pub mod app_level;
pub mod gated;

use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::SecretString;
use unibox_channel_webhook::{WebhookChannel, WebhookSecret};
use unibox_core::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp};
use unibox_server_axum::WebhookServer;

/// The shared secret of the test sender.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another valid secret, which the server does not know.
pub const WRONG_SECRET: &str = "whsec_QmFkS2V5QmFkS2V5QmFkS2V5QmFkS2V5";

/// A router served on 127.0.0.1 on a free port, until the test ends.
pub struct Running {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
}

impl Running {
    pub async fn start(server: WebhookServer) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = server.router();
        tokio::spawn(unibox_server_axum::serve(listener, router, std::future::pending()));
        Running { addr, http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a Standard Webhooks delivery signed with `secret` at `timestamp`.
    pub async fn deliver(&self, channel: &str, delivery: &Delivery, secret: &str, timestamp: i64) -> reqwest::Response {
        let secret = WebhookSecret::parse(SecretString::from(secret)).unwrap();
        self.http
            .post(self.url(&format!("/webhooks/{channel}")))
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", secret.sign(&delivery.webhook_id, timestamp, delivery.body.as_bytes()))
            .body(delivery.body.clone())
            .send()
            .await
            .unwrap()
    }
}

/// One delivery: its `webhook-id` and body.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub webhook_id: String,
    pub body: String,
}

/// A ~600-byte delivery of one customer message to `account`, the size of a typical chat
/// webhook.
pub fn message_delivery(account: &str, n: usize) -> Delivery {
    let body = serde_json::json!({
        "account": account,
        "events": [{
            "id": format!("evt-{n}"),
            "kind": {
                "type": "message",
                "customer": {"kind": "external", "id": format!("cust-{}", n % 50), "display_name": "Somchai P."},
                "direction": "inbound",
                "message_id": format!("m-{n}"),
                "content": {
                    "type": "text",
                    "text": "สวัสดีครับ Hello, I ordered a pair of running shoes last Tuesday (order #A1234) and \
                             the tracking page still says the parcel is at the Bangkok sorting centre. Could you \
                             check whether it has left, and whether I can change the delivery address to my office? \
                             Thank you very much for your help."
                }
            }
        }]
    })
    .to_string();
    Delivery { webhook_id: format!("msg_{n}"), body }
}

pub fn now() -> i64 {
    Timestamp::now().as_unix_seconds()
}

/// A webhook channel that verifies with [`SECRET`].
pub fn webhook_channel() -> Arc<WebhookChannel> {
    Arc::new(WebhookChannel::builder().secret(SECRET).unwrap().build().unwrap())
}

/// Connects `platform_account_id` on `channel` for `tenant`.
pub async fn connect(hub: &Hub, tenant: &str, channel: &str, kind: ChannelKind, platform_account_id: &str) {
    let tenant: TenantId = tenant.parse().unwrap();
    let admin = Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    let channel: ChannelId = channel.parse().unwrap();
    let account = ChannelAccount::new(tenant, channel, kind, platform_account_id, Timestamp::now());
    hub.connect_account(&admin, account, None).await.unwrap();
}

/// The platform ids of every message stored for `tenant`, across all conversations.
pub async fn stored_message_ids(hub: &Hub, tenant: &str) -> Vec<String> {
    use unibox_core::inbox::{ConversationQuery, MessageQuery};
    let tenant: TenantId = tenant.parse().unwrap();
    let reads = &hub.store().reads;
    let mut ids = Vec::new();
    let mut query = ConversationQuery::new().limit(100);
    loop {
        let page = reads.conversations(&tenant, &query).await.unwrap();
        for conversation in &page.items {
            let mut messages = MessageQuery::new().limit(100);
            loop {
                let batch = reads.messages(&tenant, conversation.id, &messages).await.unwrap();
                ids.extend(batch.items.iter().filter_map(|m| m.platform_message_id.clone()));
                match batch.next {
                    Some(cursor) => messages = messages.before(Some(cursor)),
                    None => break,
                }
            }
        }
        match page.next {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
    }
    ids
}

/// A hub on the SQLite file `db` with the webhook channel `acme-orders` and account `shop-1` of
/// tenant `acme` connected (once: a second start on the same file finds it).
pub async fn sqlite_hub_on(db: &std::path::Path) -> Hub {
    sqlite_hub_with(db, unibox_store_sqlite::SqliteOptions::default()).await
}

/// [`sqlite_hub_on`] with `options`.
pub async fn sqlite_hub_with(db: &std::path::Path, options: unibox_store_sqlite::SqliteOptions) -> Hub {
    use unibox_core::inbox::prelude::*;
    let inbox = Arc::new(unibox_store_sqlite::SqliteInbox::open_with(db, options).await.unwrap());
    let channel: ChannelId = "acme-orders".parse().unwrap();
    let hub = Hub::builder(unibox_core::memory::MemoryStore::with_inbox(inbox.clone()))
        .channel(channel.clone(), webhook_channel())
        .build();
    if inbox.route(&channel, "shop-1").await.unwrap().is_none() {
        connect(&hub, "acme", "acme-orders", ChannelKind::WEBHOOK, "shop-1").await;
    }
    hub
}
