//! Signatures and tokens never reach traces: a subscriber capturing everything down to TRACE
//! sees the requests (with their other headers) but none of the secrets.

mod common;

use std::sync::Arc;

use common::app_level::AppLevelChannel;
use common::{Running, SECRET, connect, message_delivery, now, webhook_channel};
use unibox_core::memory::MemoryStore;
use unibox_core::{ChannelKind, Hub};
use unibox_server_axum::WebhookServer;
use unibox_testkit::logs::CapturedLogs;

const SIGNATURE_CANARY: &str = "v1,Q0FOQVJZLXNpZ25hdHVyZS1kby1ub3QtbG9nLW1lLTAwMDAwMDA=";
const BEARER_CANARY: &str = "Bearer EAAG-canary-page-access-token-9f8e7d";
const TELEGRAM_CANARY: &str = "tg-canary-secret-token-5b4a";
const LINE_CANARY: &str = "bGluZS1jYW5hcnktc2lnbmF0dXJlLTEyMzQ1Ng==";
const HUB_CANARY: &str = "sha256=cafef00dcafef00dcafef00dcafef00dcafef00dcafef00dcafef00dcafef00d";
const VERIFY_TOKEN_CANARY: &str = "verify-token-canary-3c2b1a";

#[tokio::test]
async fn no_signature_or_token_appears_in_any_trace() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish(),
    )
    .unwrap();

    let hub = Hub::builder(MemoryStore::new())
        .channel("acme-orders".parse().unwrap(), webhook_channel())
        .channel("meta-app".parse().unwrap(), Arc::new(AppLevelChannel::new()))
        .build();
    connect(&hub, "acme", "acme-orders", ChannelKind::WEBHOOK, "shop-1").await;
    let server = Running::start(WebhookServer::new(hub)).await;

    // A forged delivery carrying every kind of secret header.
    let forged = server
        .http
        .post(server.url("/webhooks/acme-orders"))
        .header("webhook-id", "msg_trace_1")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", SIGNATURE_CANARY)
        .header("authorization", BEARER_CANARY)
        .header("x-telegram-bot-api-secret-token", TELEGRAM_CANARY)
        .header("x-line-signature", LINE_CANARY)
        .header("x-hub-signature-256", HUB_CANARY)
        .body(message_delivery("shop-1", 1).body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // A genuine one, stored.
    let genuine = server.deliver("acme-orders", &message_delivery("shop-1", 2), SECRET, now()).await;
    assert_eq!(genuine.status(), 200);
    // Meta's handshake carries its token in the query.
    let handshake = server
        .http
        .get(server.url(&format!(
            "/webhooks/meta-app?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN_CANARY}&hub.challenge=42"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(handshake.status(), 401);

    let logs = captured.text();
    // The trace did record these requests, headers included.
    assert!(logs.contains("webhook_request"), "{logs}");
    assert!(logs.contains("msg_trace_1"), "the non-secret headers are traced: {logs}");
    assert!(logs.contains("path=/webhooks/meta-app"), "{logs}");
    assert!(logs.contains("Sensitive"), "{logs}");
    for canary in [SIGNATURE_CANARY, BEARER_CANARY, TELEGRAM_CANARY, LINE_CANARY, HUB_CANARY, VERIFY_TOKEN_CANARY] {
        assert!(!logs.contains(canary), "{canary} leaked into the traces:\n{logs}");
    }
    // Nor any part of them long enough to matter.
    assert!(!logs.contains("canary"), "{logs}");
}
