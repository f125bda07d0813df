//! `GET /export`: the tenant's data, or one contact's, streamed as JSON Lines to admins only,
//! audited, and importable into an empty store.

mod common;

use axum::body::Body;
use common::{ACME_OA, GLOBEX_OA, Trial, error_kind};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use unibox_core::audit::AuditQuery;
use unibox_core::privacy::export::{ExportScope, export, import};
use unibox_core::store::Store;
use unibox_core::{TenantId, Timestamp};

const SOMCHAI: &str = "U80696558e1aa831a5e4f1c0e6c2a8a3b";
const MALEE: &str = "U1234567890abcdef1234567890abcdef";
const THAI: &str = "สวัสดีค่ะ อยากสั่งเสื้อสีแดง";
const JAPANESE: &str = "配送状況を教えてください";
const GLOBEX_TEXT: &str = "globex: warehouse code 4471";

/// A GET with a bearer token: status, content type and the raw body.
async fn get(trial: &Trial, path: &str, token: &str) -> (StatusCode, String, String) {
    let request =
        Request::builder().uri(path).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let response = trial.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = response.into_body().collect().await.expect("the body ends cleanly").to_bytes();
    (status, content_type, String::from_utf8(bytes.to_vec()).expect("UTF-8"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_downloads_the_tenant_or_one_contact_as_json_lines_and_it_imports() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, THAI).await;
    trial.text_from(ACME_OA, MALEE, 2, JAPANESE).await;
    trial.text_from(GLOBEX_OA, SOMCHAI, 3, GLOBEX_TEXT).await;
    let ann = trial.bearer("acme", "ann").await;

    let (status, content_type, body) = get(&trial, "/api/export", &ann).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("application/jsonl"), "{content_type}");
    let manifest: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(manifest["format"], "unibox.export");
    assert_eq!(manifest["schema_version"], 1);
    assert_eq!(manifest["tenant"], "acme");
    assert_eq!(manifest["scope"], "tenant");
    assert!(body.contains(THAI) && body.contains(JAPANESE));
    assert!(!body.contains(GLOBEX_TEXT), "nothing of another tenant");
    assert!(!body.contains("line-access-token"), "tokens are never exported");
    let types: Vec<String> = body
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["account", "contact", "conversation", "message", "audit"] {
        assert!(types.iter().any(|t| t == kind), "the export has {kind} records: {types:?}");
    }

    // The download is a complete export: it imports into an empty store, which exports the same records.
    let dir = tempfile::tempdir().unwrap();
    let keys = unibox_vault::StoreKeys::try_from(
        unibox_vault::Keyring::parse(&unibox_vault::Keyring::generate_entry(1)).unwrap(),
    )
    .unwrap();
    let copy: Store = unibox_store_sqlite::SqliteStore::open(dir.path().join("copy.db"), keys).await.unwrap().into();
    import(copy.restore.as_deref().unwrap(), body.as_bytes()).await.expect("the download imports");
    let mut again = Vec::new();
    let acme: TenantId = "acme".parse().unwrap();
    export(&copy, &acme, &ExportScope::Tenant, Timestamp::now(), &mut again).await.unwrap();
    let again = String::from_utf8(again).unwrap();
    assert_eq!(again.lines().skip(1).collect::<Vec<_>>(), body.lines().skip(1).collect::<Vec<_>>());

    let rows = trial.rows(&ann, "").await;
    let somchai = rows.iter().find(|r| r["last_message"]["text"] == THAI).expect("Somchai's row");
    let contact = somchai["contact"]["id"].as_str().unwrap();
    let (status, _, body) = get(&trial, &format!("/api/export?contact={contact}"), &ann).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(THAI), "the contact's own messages");
    assert!(!body.contains(JAPANESE), "not another customer's");
    assert!(!body.contains(MALEE));
    let manifest: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!((manifest["scope"].as_str(), manifest["contact"].as_str()), (Some("contact"), Some(contact)));

    let audit = trial.hub.audit_trail().expect("the store's audit trail");
    let records = audit.query(&acme, &AuditQuery::new().action("privacy.export")).await.unwrap().items;
    let targets: Vec<&str> = records.iter().map(|r| r.record.target.as_str()).collect();
    assert_eq!(targets, vec![format!("contact:{contact}").as_str(), "tenant:acme"], "newest first");
    assert!(records.iter().all(|r| r.record.outcome == unibox_core::audit::AuditOutcome::Success));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_export_and_bad_requests_are_typed_errors() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, THAI).await;
    for user in ["bob", "vic"] {
        let token = trial.bearer("acme", user).await;
        let (status, json) = trial.call("GET", "/api/export", Some(&token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {json}");
        assert_eq!(error_kind(&json), "permission_denied");
    }
    let acme: TenantId = "acme".parse().unwrap();
    let audit = trial.hub.audit_trail().unwrap();
    let denied = audit.query(&acme, &AuditQuery::new().action("privacy.export")).await.unwrap().items;
    assert_eq!(denied.len(), 2, "each refusal is on the record");
    assert!(denied.iter().all(|r| matches!(r.record.outcome, unibox_core::audit::AuditOutcome::Denied { .. })));

    let ann = trial.bearer("acme", "ann").await;
    let unknown = unibox_core::ContactId::new();
    let (status, json) = trial.call("GET", &format!("/api/export?contact={unknown}"), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    let (status, json) = trial.call("GET", "/api/export?contact=nope", Some(&ann), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    let (status, _) = trial.call("GET", "/api/export", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
