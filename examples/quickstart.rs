//! The unibox quickstart: a complete inbox on an embedded SQLite file, no network, no setup.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! It creates a SQLite inbox in a temporary directory, delivers Standard Webhooks-signed
//! deliveries from an "order system" (including a redelivery and one with a bad signature),
//! prints the unified inbox, sends an agent's reply to a local receiver, and prints what
//! happened at each step.

use std::sync::Arc;

use unibox::channel::WebhookRequest;
use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
use unibox::http::ReqwestClient;
use unibox::inbox::prelude::*;
use unibox::inbox::{ConversationQuery, MessageQuery, SearchQuery};
use unibox::secrecy::SecretString;
use unibox::store::sqlite::SqliteStore;
use unibox::vault::{Keyring, StoreKeys};
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Content, Hub, Role, TenantId, Timestamp};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

/// The shared secret of the order system's webhooks (Standard Webhooks `whsec_` form).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("inbox.db");
    println!("1. SQLite inbox at {}", db.display());
    // The quickstart's file is thrown away at the end, so its vault key is too. A product reads
    // its keys with `StoreKeys::from_env("UNIBOX_VAULT_KEYS")` and keeps them across starts.
    let store = SqliteStore::open(&db, StoreKeys::try_from(Keyring::ephemeral())?).await?;
    let inbox = store.inbox().clone();

    // A local receiver stands in for the order system's outbound endpoint.
    let receiver = FakeServer::start().await?;
    receiver.set_default(ScriptedResponse::json(200, &serde_json::json!({ "id": "crm-msg-1001" })));

    let config = WebhookChannelConfig::builder()
        .secret(SecretString::from(SECRET))
        .send_url(receiver.url_for("/unibox/outbound"))
        .build()?;
    let channel = WebhookChannel::new(config).with_http_client(Arc::new(ReqwestClient::new()));
    let channel_id: ChannelId = "acme-orders".parse()?;
    let hub = Hub::builder(store).channel(channel_id.clone(), Arc::new(channel)).build();

    let tenant: TenantId = "acme".parse()?;
    let admin = Actor::user(tenant.clone(), "ann".parse()?, Role::Admin);
    let account =
        ChannelAccount::new(tenant.clone(), channel_id.clone(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now())
            .with_display_name("Acme Bangkok shop");
    hub.ensure_account(&admin, account, None).await?;
    println!("2. Connected channel account \"Acme Bangkok shop\" (tenant acme) on channel {channel_id}");

    println!("3. Delivering signed webhooks:");
    let secret = WebhookSecret::parse(SecretString::from(SECRET))?;
    let now = Timestamp::now().as_unix_seconds();
    let url = "https://inbox.example.com/webhooks/acme-orders".parse()?;
    // (webhook-id, body, signed with the right secret, seconds after the first attempt)
    let deliveries = [
        ("msg_2Xk1", delivery("cust-1001", "Somchai P.", "m-1", "สวัสดีครับ where is my order #A1234?"), true, 0),
        ("msg_2Xk2", delivery("cust-2002", "Mary Tan", "m-2", "Can I change the delivery address?"), true, 0),
        // The sender retries msg_2Xk1 (it never saw our 200): same id, re-signed later.
        ("msg_2Xk1", delivery("cust-1001", "Somchai P.", "m-1", "สวัสดีครับ where is my order #A1234?"), true, 5),
        ("msg_2Xk3", delivery("cust-3003", "Mallory", "m-3", "I am forged"), false, 0),
    ];
    for (webhook_id, body, sign_correctly, later) in deliveries {
        let now = now + later;
        let key = if sign_correctly {
            &secret
        } else {
            &WebhookSecret::parse(SecretString::from("whsec_QmFkS2V5QmFkS2V5QmFkS2V5QmFkS2V5"))?
        };
        let request = WebhookRequest::post(Clone::clone(&url), body.clone())
            .with_header("content-type", "application/json")
            .with_header("webhook-id", webhook_id)
            .with_header("webhook-timestamp", &now.to_string())
            .with_header("webhook-signature", &key.sign(webhook_id, now, body.as_bytes()));
        let outcome = match hub.receive_webhook(&channel_id, &request).await {
            Ok((receipt, response)) if receipt.duplicates > 0 => {
                format!(
                    "{} (redelivery recognized: {} duplicate, nothing stored twice)",
                    response.status, receipt.duplicates
                )
            }
            Ok((receipt, response)) => format!("{} (stored {} event)", response.status, receipt.stored),
            Err(error) => format!("{} {error}", error.kind().http_status()),
        };
        println!("   webhook-id {webhook_id}: {outcome}");
    }

    let agent = Actor::user(tenant.clone(), "bob".parse()?, Role::Agent);
    println!("4. The unified inbox of tenant acme, newest first:");
    let page = hub.conversations(&agent, &ConversationQuery::new()).await?;
    for conversation in &page.items {
        let contact = inbox.contact(&tenant, conversation.contact).await?;
        let latest = hub.messages(&agent, conversation.id, &MessageQuery::new().limit(1)).await?;
        let preview =
            latest.items.first().and_then(|m| m.content.searchable_text().map(|t| t.into_owned())).unwrap_or_default();
        println!(
            "   [{}] {:<12} unread {}  \"{}\"",
            conversation.status,
            contact.display_name.as_deref().unwrap_or("?"),
            conversation.unread_count,
            preview
        );
    }
    let hits = hub.search(&agent, &SearchQuery::new("order")).await?;
    println!("   search \"order\": {} message(s)", hits.items.len());

    println!("5. Bob replies to Somchai:");
    let mut somchai = None;
    for conversation in &page.items {
        let contact = inbox.contact(&tenant, conversation.contact).await?;
        if contact.display_name.as_deref() == Some("Somchai P.") {
            somchai = Some(conversation.id);
        }
    }
    let conversation = somchai.ok_or("Somchai's conversation is missing")?;
    let reply =
        hub.send(&agent, conversation, Content::text("Hi Somchai, order #A1234 left our warehouse today.")).await?;
    println!(
        "   message {} is {} with platform id {}",
        reply.id,
        reply.delivery.as_str(),
        reply.platform_message_id.as_deref().unwrap_or("-")
    );
    for request in receiver.requests() {
        let verified = request.header("webhook-signature").is_some_and(|signature| {
            let id = request.header("webhook-id").unwrap_or_default();
            let timestamp = request.header("webhook-timestamp").and_then(|t| t.parse().ok()).unwrap_or_default();
            signature.split(' ').any(|s| s == secret.sign(id, timestamp, &request.body))
        });
        let json = request.json().unwrap_or_default();
        println!(
            "   receiver got POST {} (signature valid: {verified}) for {}: {}",
            request.path(),
            json["recipient"]["id"].as_str().unwrap_or("?"),
            json["content"]["text"].as_str().unwrap_or("?"),
        );
    }

    println!("6. Another tenant sees none of it:");
    let outsider = Actor::user("globex".parse()?, "eve".parse()?, Role::Admin);
    let theirs = hub.conversations(&outsider, &ConversationQuery::new()).await?;
    let probe = hub.conversation(&outsider, conversation).await;
    println!(
        "   globex lists {} conversations; opening acme's conversation gives: {}",
        theirs.items.len(),
        probe.err().map(|e| e.kind().to_string()).unwrap_or_else(|| "(unexpectedly visible)".into())
    );
    if let Some(trail) = hub.audit_trail() {
        let verification = trail.verify(&tenant).await?;
        println!(
            "7. The audit trail of acme in the same file: {} records, hash chain intact: {}",
            verification.records,
            verification.is_intact()
        );
    }
    println!("Done. The inbox file is deleted with the temporary directory.");
    Ok(())
}

/// One delivery body in the webhook channel's wire format.
fn delivery(customer: &str, name: &str, message_id: &str, text: &str) -> String {
    serde_json::json!({
        "account": "shop-bangkok",
        "events": [{
            "kind": {
                "type": "message",
                "customer": { "kind": "external", "id": customer, "display_name": name },
                "direction": "inbound",
                "message_id": message_id,
                "content": { "type": "text", "text": text }
            }
        }]
    })
    .to_string()
}
