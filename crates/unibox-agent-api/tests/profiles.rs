//! Contact names and pictures from the platforms: fetched in the background by the
//! `ProfileWorker` when a contact writes, surfaced in the inbox rows and the contact answer as
//! a typed `avatar_url`, and only ever as an `http(s)` URL.

mod common;

use common::{ACME_OA, GLOBEX_OA, Trial};
use http::StatusCode;
use unibox_core::profiles::{PICTURE_ATTRIBUTE, ProfileWorker};
use unibox_core::workflow::ContactUpdate;
use unibox_core::{Actor, Role};

const SOMCHAI: &str = "U80696558e1aa831a5e4f1c0e6c2a8a3b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_and_contacts_show_the_platforms_name_and_picture_once_fetched() {
    let trial = Trial::start().await;
    let ann = trial.bearer("acme", "ann").await;
    let worker = ProfileWorker::new(trial.hub.clone(), "acme".parse().unwrap()).spawn().await.unwrap();

    trial.text_from(ACME_OA, SOMCHAI, 1, "Where is my order?").await;
    let mut row = serde_json::Value::Null;
    trial
        .eventually(async || {
            row = trial.rows(&ann, "").await.remove(0);
            !row["contact"]["avatar_url"].is_null()
        })
        .await;
    let picture = format!("https://profile.line-scdn.net/{SOMCHAI}");
    assert_eq!(row["contact"]["avatar_url"], picture.as_str(), "{row}");
    assert_eq!(row["contact"]["name"], "Somchai", "the platform's name fills an empty one");
    let fetched = trial.line_api.requests().into_iter().filter(|r| r.path().starts_with("/v2/bot/profile/")).count();
    assert_eq!(fetched, 1, "one profile call");

    let id = row["id"].as_str().unwrap();
    let (status, one) = trial.call("GET", &format!("/api/conversations/{id}"), Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["contact"]["avatar_url"], picture.as_str());

    let contact = row["contact"]["id"].as_str().unwrap();
    let (status, profile) = trial.call("GET", &format!("/api/contacts/{contact}"), Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["avatar_url"], picture.as_str());
    assert_eq!(profile["name"], "Somchai");
    assert_eq!(profile["platform_name"], "Somchai");
    assert!(profile["profile_fetched_at"].is_i64(), "{profile}");
    assert!(profile["profile_status"].is_null());
    assert_eq!(profile["identities"][0]["value"], SOMCHAI);
    assert_eq!(profile["attributes"], serde_json::json!({}), "the platform's own are the typed fields");

    // A viewer reads contacts too; another tenant's contact is a 404; a bad id a 400.
    let vic = trial.bearer("acme", "vic").await;
    assert_eq!(trial.call("GET", &format!("/api/contacts/{contact}"), Some(&vic), None).await.0, StatusCode::OK);
    let gus = trial.bearer("globex", "gus").await;
    let (status, json) = trial.call("GET", &format!("/api/contacts/{contact}"), Some(&gus), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert_eq!(trial.call("GET", "/api/contacts/not-an-id", Some(&ann), None).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(trial.call("GET", &format!("/api/contacts/{contact}"), None, None).await.0, StatusCode::UNAUTHORIZED);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_without_a_fetched_picture_or_with_a_non_web_one_has_no_avatar() {
    let trial = Trial::start().await;
    let ann = trial.bearer("acme", "ann").await;
    // No profile worker: nothing fetched yet.
    trial.text_from(ACME_OA, SOMCHAI, 1, "Hello").await;
    trial.text_from(GLOBEX_OA, SOMCHAI, 2, "Hello globex").await;
    let row = trial.rows(&ann, "").await.remove(0);
    assert!(row["contact"].as_object().unwrap().contains_key("avatar_url"), "a typed field, null: {row}");
    assert!(row["contact"]["avatar_url"].is_null());

    // Whatever got stored, only an http(s) URL reaches the page.
    let contact: unibox_core::ContactId = row["contact"]["id"].as_str().unwrap().parse().unwrap();
    let admin = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Admin);
    for stored in ["javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>"] {
        let update = ContactUpdate::new().attribute(PICTURE_ATTRIBUTE, stored);
        trial.hub.update_contact(&admin, contact, &update).await.unwrap();
        let row = trial.rows(&ann, "").await.remove(0);
        assert!(row["contact"]["avatar_url"].is_null(), "{stored} is not an avatar");
        let (_, profile) = trial.call("GET", &format!("/api/contacts/{contact}"), Some(&ann), None).await;
        assert!(profile["avatar_url"].is_null());
    }
    // The other tenant's row is not affected and not visible.
    assert_eq!(trial.rows(&ann, "").await.len(), 1);
}
