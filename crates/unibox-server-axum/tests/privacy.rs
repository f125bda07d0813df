//! Meta's data-deletion callback mounted by the server, over real HTTP: the callback starts the
//! erasure of the person's contacts, and the status URL it answers with reports the request
//! completed; another customer of the same page keeps everything.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Running, app_level, connect, stored_message_ids};
use unibox_channel_messenger::AppSecret;
use unibox_core::inbox::ConversationQuery;
use unibox_core::lifecycle::{LifecycleJob, RetentionPolicies};
use unibox_core::memory::MemoryStore;
use unibox_core::{ChannelKind, ContactIdentity, Hub, IdentityKind};
use unibox_server_axum::WebhookServer;

const APP_SECRET: &str = "4f1c0b9e8d7a6f5e4d3c2b1a09f8e7d6";
const PAGE: &str = "104729384756";
const ERASED_PSID: &str = "6483920175";
const KEPT_PSID: &str = "7391046285";
const APP_SCOPED_ID: &str = "10229301948";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metas_deletion_callback_erases_the_person_and_its_status_url_reports_completion() {
    let messenger =
        unibox_channel_messenger::builder().app_secret(AppSecret::new(APP_SECRET)).verify_token("t").build();
    let hub =
        Hub::builder(MemoryStore::new()).channel("meta-app".parse().unwrap(), Arc::new(messenger.unwrap())).build();
    connect(&hub, "acme", "meta-app", ChannelKind::MESSENGER, PAGE).await;
    let requests = hub.store().deletion_requests.clone().unwrap();
    let callback = unibox_channel_meta::DataDeletionCallback::new(
        unibox_channel_meta::AppSecret::new(APP_SECRET),
        vec!["acme".parse().unwrap()],
        "https://inbox.example.com/privacy/meta/status".parse().unwrap(),
        requests.clone(),
    )
    .with_erasure(LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap());
    let server = Running::start(WebhookServer::new(hub.clone()).privacy_callback("meta", Arc::new(callback))).await;

    let body = app_level::batch(&[
        (PAGE, ERASED_PSID, "m_erase_1", "Please deliver to 22 Sukhumvit"),
        (PAGE, KEPT_PSID, "m_keep_1", "Is the kettle in stock?"),
    ]);
    let signature = AppSecret::new(APP_SECRET).signature_header(body.as_bytes());
    let posted = server
        .http
        .post(server.url("/webhooks/meta-app"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let tenant = "acme".parse().unwrap();
    let account = hub.store().accounts.accounts(&tenant).await.unwrap()[0].id;
    let identity = ContactIdentity { account, kind: IdentityKind::PageScopedId, value: ERASED_PSID.into() };
    let contact = hub.store().reads.contact_by_identity(&tenant, &identity).await.unwrap().unwrap();
    // What the application does when it learns the person's app-scoped id (Facebook Login).
    requests.link_platform_user(&tenant, "meta", APP_SCOPED_ID, contact.id).await.unwrap();

    let payload = format!(r#"{{"algorithm":"HMAC-SHA256","issued_at":1700000000,"user_id":"{APP_SCOPED_ID}"}}"#);
    let signed =
        unibox_channel_meta::sign_request(&unibox_channel_meta::AppSecret::new(APP_SECRET), payload.as_bytes());
    let answer = server
        .http
        .post(server.url("/privacy/meta/deletion"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("signed_request={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let code = answer["confirmation_code"].as_str().unwrap().to_owned();
    assert_eq!(answer["url"].as_str().unwrap(), format!("https://inbox.example.com/privacy/meta/status?code={code}"));

    let mut page = String::new();
    for _ in 0..100 {
        let status = server.http.get(server.url(&format!("/privacy/meta/status?code={code}"))).send().await.unwrap();
        assert_eq!(status.status(), 200);
        page = status.text().await.unwrap();
        if page.contains("Completed:") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(page.contains("The data has been deleted.") && page.contains("Completed:"), "{page}");
    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m_keep_1"], "only the other customer's message stays");
    assert!(hub.store().reads.contact(&tenant, contact.id).await.is_err(), "the contact is erased");
    assert_eq!(hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.len(), 1);

    let unknown = server.http.get(server.url("/privacy/meta/status?code=ffff")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let unmounted = server.http.post(server.url("/privacy/tiktok/deletion")).body("x").send().await.unwrap();
    assert_eq!(unmounted.status(), 404);
}
