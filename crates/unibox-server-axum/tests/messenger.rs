//! The real Messenger channel behind the router: Meta's app-level webhook is one route; one
//! POST with entries for pages of two tenants is split between them, and the GET subscription
//! handshake is answered.

mod common;

use std::sync::Arc;

use common::{Running, app_level, connect, stored_message_ids};
use unibox_channel_messenger::AppSecret;
use unibox_core::memory::MemoryStore;
use unibox_core::{ChannelKind, Hub};
use unibox_server_axum::WebhookServer;
use unibox_store_sqlite::SqliteInbox;

const APP_SECRET: &str = "4f1c0b9e8d7a6f5e4d3c2b1a09f8e7d6";
const VERIFY_TOKEN: &str = "meatyhamhock";
const ACME_PAGE: &str = "104729384756";
const GLOBEX_PAGE: &str = "209384756102";

async fn server(dir: &tempfile::TempDir) -> (Hub, Running) {
    let inbox = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    let messenger =
        unibox_channel_messenger::builder().app_secret(AppSecret::new(APP_SECRET)).verify_token(VERIFY_TOKEN).build();
    let hub = Hub::builder(MemoryStore::with_inbox(inbox))
        .channel("meta-app".parse().unwrap(), Arc::new(messenger.unwrap()))
        .build();
    connect(&hub, "acme", "meta-app", ChannelKind::MESSENGER, ACME_PAGE).await;
    connect(&hub, "globex", "meta-app", ChannelKind::MESSENGER, GLOBEX_PAGE).await;
    let running = Running::start(WebhookServer::new(hub.clone())).await;
    (hub, running)
}

#[tokio::test]
async fn one_messenger_post_is_split_between_the_tenants_of_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, server) = server(&dir).await;
    let body = app_level::batch(&[
        (ACME_PAGE, "6483920175", "m_acme_1", "Is the blue kettle in stock?"),
        (GLOBEX_PAGE, "7391046285", "m_globex_1", "ผมต้องการคืนสินค้า"),
    ]);
    let signed = AppSecret::new(APP_SECRET).signature_header(body.as_bytes());

    let post = |signature: String| {
        server
            .http
            .post(server.url("/webhooks/meta-app"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.clone())
            .send()
    };
    assert_eq!(post(signed.clone()).await.unwrap().status(), 200);
    // Meta redelivers the same bytes when it missed our answer: stored once.
    assert_eq!(post(signed.clone()).await.unwrap().status(), 200);
    assert_eq!(post(format!("sha256={}", "0".repeat(64))).await.unwrap().status(), 401);

    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m_acme_1"]);
    assert_eq!(stored_message_ids(&hub, "globex").await, vec!["m_globex_1"]);
}

#[tokio::test]
async fn a_batch_with_an_unknown_page_is_acknowledged_and_the_connected_page_s_event_is_stored() {
    // Meta retries a refused batch and then disables the app's webhook: one stale page must
    // not stop every other tenant's messages.
    let dir = tempfile::tempdir().unwrap();
    let (hub, server) = server(&dir).await;
    const UNKNOWN_PAGE: &str = "555000111222";
    let body = app_level::batch(&[
        (ACME_PAGE, "6483920175", "m_acme_2", "Do you ship to Chiang Mai?"),
        (UNKNOWN_PAGE, "7391046285", "m_stale_1", "hello?"),
    ]);
    let signature = AppSecret::new(APP_SECRET).signature_header(body.as_bytes());
    let response = server
        .http
        .post(server.url("/webhooks/meta-app"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m_acme_2"]);
    let unroutable = hub.unroutable();
    assert_eq!(unroutable.total, 1);
    assert_eq!(unroutable.recent.len(), 1);
    assert_eq!(unroutable.recent[0].account, UNKNOWN_PAGE);
    assert_eq!(unroutable.recent[0].event_kind, "message");
    assert_eq!(unroutable.recent[0].channel.as_str(), "meta-app");
}

#[tokio::test]
async fn the_messenger_subscription_handshake_is_answered_through_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = server(&dir).await;
    let url = |token: &str| {
        server.url(&format!("/webhooks/meta-app?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"))
    };

    let accepted = server.http.get(url(VERIFY_TOKEN)).send().await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.text().await.unwrap(), "1158201444");
    let refused = server.http.get(url("not-the-token")).send().await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
}
