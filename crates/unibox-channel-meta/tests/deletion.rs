//! The Data Deletion Request and Deauthorize callbacks over the in-memory privacy store.

use std::sync::Arc;

use unibox_channel_meta::{AppSecret, DataDeletionCallback, META_PLATFORM, sign_request};
use unibox_core::channel::WebhookRequest;
use unibox_core::memory::MemoryDeletionRequests;
use unibox_core::privacy::{DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, ErrorKind, ManualClock, TenantId, Timestamp};

const STATUS_URL: &str = "https://inbox.example.com/privacy/meta-deletion";

struct World {
    store: Arc<MemoryDeletionRequests>,
    callback: DataDeletionCallback,
    home: TenantId,
    other: TenantId,
}

fn world() -> World {
    let store = Arc::new(MemoryDeletionRequests::new());
    let home: TenantId = "acme".parse().unwrap();
    let other: TenantId = "globex".parse().unwrap();
    let callback = DataDeletionCallback::new(
        AppSecret::new("appsecret"),
        vec![home.clone(), other.clone()],
        STATUS_URL.parse().unwrap(),
        store.clone(),
    )
    .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_700_000_100))));
    World { store, callback, home, other }
}

fn callback_request(secret: &str, user_id: &str) -> WebhookRequest {
    let payload =
        format!(r#"{{"algorithm":"HMAC-SHA256","expires":1700003600,"issued_at":1700000000,"user_id":"{user_id}"}}"#);
    let signed = sign_request(&AppSecret::new(secret), payload.as_bytes());
    WebhookRequest::post(
        "https://inbox.example.com/meta/data-deletion".parse().unwrap(),
        format!("signed_request={signed}"),
    )
    .with_header("content-type", "application/x-www-form-urlencoded")
}

#[tokio::test]
async fn a_known_user_is_mapped_to_contacts_in_each_tenant_that_knows_them() {
    let w = world();
    let (a, b) = (ContactId::new(), ContactId::new());
    w.store.link_platform_user(&w.other, META_PLATFORM, "1234567890", a).await.unwrap();
    w.store.link_platform_user(&w.other, META_PLATFORM, "1234567890", b).await.unwrap();

    let answer = w.callback.handle_deletion(&callback_request("appsecret", "1234567890")).await.unwrap();
    assert_eq!(answer.url.as_str(), format!("{STATUS_URL}?code={}", answer.confirmation_code));
    assert_eq!(answer.confirmation_code.len(), 24);
    assert!(answer.confirmation_code.bytes().all(|c| c.is_ascii_alphanumeric()));
    let response = answer.to_webhook_response();
    assert_eq!(response.headers.get("content-type").unwrap(), "application/json");
    let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(json["confirmation_code"], answer.confirmation_code.as_str());
    assert_eq!(json["url"], answer.url.as_str());

    let recorded = w.store.get(&w.other, &answer.confirmation_code).await.unwrap().unwrap();
    assert_eq!(recorded.contacts, [a, b]);
    assert_eq!(recorded.kind, PrivacyRequestKind::DataDeletion);
    assert_eq!(recorded.status, DeletionStatus::Received);
    assert_eq!(recorded.requested_at, Timestamp::from_unix_seconds(1_700_000_100));
    assert!(
        w.store.get(&w.home, &answer.confirmation_code).await.unwrap().is_none(),
        "the home tenant does not know the user"
    );
}

#[tokio::test]
async fn an_unknown_user_is_recorded_in_the_home_tenant_and_a_redelivery_finds_the_same_request() {
    let w = world();
    let first = w.callback.handle_deletion(&callback_request("appsecret", "555")).await.unwrap();
    let again = w.callback.handle_deletion(&callback_request("appsecret", "555")).await.unwrap();
    assert_eq!(first, again);
    let pending = w.store.pending(&w.home).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].contacts.is_empty());
    assert!(w.store.pending(&w.other).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_status_page_follows_the_request() {
    let w = world();
    let answer = w.callback.handle_deletion(&callback_request("appsecret", "777")).await.unwrap();
    let page = |code: &str| WebhookRequest::get(format!("{STATUS_URL}?code={code}").parse().unwrap());
    let received = w.callback.status_page(&page(&answer.confirmation_code)).await.unwrap();
    assert_eq!(received.status.as_u16(), 200);
    assert!(String::from_utf8_lossy(&received.body).contains("will be deleted shortly"));
    w.store
        .set_status(
            &w.home,
            &answer.confirmation_code,
            DeletionStatus::Completed,
            Timestamp::from_unix_seconds(1_700_086_400),
        )
        .await
        .unwrap();
    let done = w.callback.status_page(&page(&answer.confirmation_code)).await.unwrap();
    assert!(String::from_utf8_lossy(&done.body).contains("has been deleted"));
    assert_eq!(w.callback.status_page(&page("0000")).await.unwrap().status.as_u16(), 404);
    assert_eq!(w.callback.status_page(&page("../etc")).await.unwrap().status.as_u16(), 404);
    assert!(w.store.pending(&w.home).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_deauthorization_is_recorded_separately_from_a_deletion() {
    let w = world();
    let deauth = w.callback.handle_deauthorization(&callback_request("appsecret", "888")).await.unwrap();
    assert_eq!(deauth.kind, PrivacyRequestKind::Deauthorization);
    let deletion = w.callback.handle_deletion(&callback_request("appsecret", "888")).await.unwrap();
    assert_ne!(deauth.confirmation_code, deletion.confirmation_code);
    assert_eq!(w.store.pending(&w.home).await.unwrap().len(), 2);
}

#[tokio::test]
async fn forged_or_malformed_callbacks_record_nothing() {
    let w = world();
    let forged = w.callback.handle_deletion(&callback_request("not-the-secret", "1")).await.unwrap_err();
    assert_eq!(forged.kind(), ErrorKind::SignatureInvalid);
    let no_field = WebhookRequest::post("https://inbox.example.com/x".parse().unwrap(), "user_id=1");
    assert_eq!(w.callback.handle_deletion(&no_field).await.unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let huge = WebhookRequest::post("https://inbox.example.com/x".parse().unwrap(), vec![b'a'; 20_000]);
    assert_eq!(w.callback.handle_deletion(&huge).await.unwrap_err().kind(), ErrorKind::PayloadTooLarge);
    let get = WebhookRequest::get("https://inbox.example.com/x?signed_request=abc".parse().unwrap());
    assert_eq!(w.callback.handle_deletion(&get).await.unwrap_err().kind(), ErrorKind::SignatureInvalid);
    assert!(w.store.pending(&w.home).await.unwrap().is_empty());
    assert!(!format!("{:?}", w.callback).contains("appsecret"));
}
