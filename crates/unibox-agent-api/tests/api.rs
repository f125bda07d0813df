//! The agent API against a real SQLite inbox and a LINE channel whose send API is a fake
//! server on loopback: every endpoint, role limits, tenant isolation and bad input.

mod common;

use common::{ACME_OA, GLOBEX_OA, Trial, error_kind};
use http::StatusCode;
use serde_json::json;

const SOMCHAI: &str = "U80696558e1aa831a5e4f1c0e6c2a8a3b";
const MALEE: &str = "U1234567890abcdef1234567890abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_rows_show_channel_last_message_unread_and_window_in_keyset_pages() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Where is my order #A1234?").await;
    trial.text_from(ACME_OA, MALEE, 2, "Do you ship to Chiang Mai?").await;
    let ann = trial.bearer("acme", "ann").await;

    let rows = trial.rows(&ann, "").await;
    assert_eq!(rows.len(), 2);
    let newest = &rows[0];
    assert_eq!(newest["last_message"]["text"], "Do you ship to Chiang Mai?");
    assert_eq!(newest["last_message"]["direction"], "inbound");
    assert_eq!(newest["last_message"]["kind"], "text");
    assert_eq!(newest["channel"]["kind"], "line");
    assert_eq!(newest["channel"]["channel"], "line");
    assert_eq!(newest["channel"]["name"], "Acme Store");
    assert_eq!(newest["unread_count"], 1);
    assert_eq!(newest["status"], "open");
    assert_eq!(newest["assignee"], serde_json::Value::Null);
    assert!(newest["contact"]["id"].is_string());
    // LINE pushes have no messaging window.
    assert_eq!(newest["window"]["state"], "unlimited", "{newest}");

    let (status, first) = trial.call("GET", "/api/conversations?limit=1", Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().expect("a next cursor");
    let (_, second) = trial.call("GET", &format!("/api/conversations?limit=1&after={next}"), Some(&ann), None).await;
    assert_eq!(second["items"][0]["last_message"]["text"], "Where is my order #A1234?");
    assert_eq!(second["next"], serde_json::Value::Null);

    let (status, one) =
        trial.call("GET", &format!("/api/conversations/{}", newest["id"].as_str().unwrap()), Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["id"], newest["id"]);

    let admin = unibox_core::Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), unibox_core::Role::Admin);
    trial.hub.save_agent(&admin, unibox_core::workflow::Agent::new("bob".parse().unwrap(), 10)).await.unwrap();
    let (status, agents) = trial.call("GET", "/api/agents", Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    assert_eq!(agents["items"], json!([{ "user": "bob", "available": true, "capacity": 10 }]));
    let gus = trial.bearer("globex", "gus").await;
    let (_, theirs) = trial.call("GET", "/api/agents", Some(&gus), None).await;
    assert_eq!(theirs["items"], json!([]), "another tenant's roster is its own");

    let (status, accounts) = trial.call("GET", "/api/accounts", Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(accounts["items"].as_array().unwrap().len(), 1, "only acme's account: {accounts}");
    assert_eq!(accounts["items"][0]["kind"], "line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_carry_content_kinds_and_delivery_state() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Hello").await;
    trial
        .customer_writes(ACME_OA, SOMCHAI, 2, json!({ "type": "sticker", "packageId": "11537", "stickerId": "52002738", "stickerResourceType": "STATIC" }))
        .await;
    trial
        .customer_writes(ACME_OA, SOMCHAI, 3, json!({ "type": "location", "title": "Acme Store Siam", "address": "991 Rama I Rd", "latitude": 13.7466, "longitude": 100.5393 }))
        .await;
    let ann = trial.bearer("acme", "ann").await;
    let id = trial.rows(&ann, "").await[0]["id"].as_str().unwrap().to_string();

    let (status, reply) = trial
        .call(
            "POST",
            &format!("/api/conversations/{id}/messages"),
            Some(&ann),
            Some(json!({ "text": "It left the warehouse today." })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["direction"], "outbound");
    assert_eq!(reply["delivery"]["status"], "sent");
    let sent = trial.line_api.last_request().expect("LINE got the reply");
    assert_eq!(sent.json().unwrap()["messages"][0]["text"], "It left the warehouse today.");

    // A reply the platform refuses is recorded as failed, with the reason.
    let (status, refused) = trial
        .call("POST", &format!("/api/conversations/{id}/messages"), Some(&ann), Some(json!({ "text": "please fail" })))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{refused}");
    assert_eq!(error_kind(&refused), "platform_rejected");

    let (status, page) = trial.call("GET", &format!("/api/conversations/{id}/messages"), Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    let kinds: Vec<_> = items.iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["text", "text", "location", "sticker", "text"], "newest first");
    assert_eq!(items[0]["delivery"]["status"], "failed");
    assert!(items[0]["delivery"]["reason"].as_str().unwrap().contains("error"), "{}", items[0]);
    assert_eq!(items[1]["delivery"]["status"], "sent");
    assert_eq!(items[2]["content"]["latitude"], 13.7466);
    assert_eq!(items[4]["delivery"]["status"], "received");

    let (_, older) = trial.call("GET", &format!("/api/conversations/{id}/messages?limit=2"), Some(&ann), None).await;
    let before = older["next"].as_str().unwrap();
    let (_, rest) = trial
        .call("GET", &format!("/api/conversations/{id}/messages?limit=10&before={before}"), Some(&ann), None)
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);

    let (status, found) = trial.call("GET", "/api/search?q=warehouse", Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["conversation"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_note_assign_tag_resolve_snooze_reopen_and_read_through_the_hub() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Refund please").await;
    let bob = trial.bearer("acme", "bob").await;
    let id = trial.rows(&bob, "").await[0]["id"].as_str().unwrap().to_string();
    let path = |what: &str| format!("/api/conversations/{id}/{what}");

    let (status, note) = trial.call("POST", &path("notes"), Some(&bob), Some(json!({ "body": "Paid by card" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["author"], "bob");
    let (_, notes) = trial.call("GET", &path("notes"), Some(&bob), None).await;
    assert_eq!(notes["items"][0]["body"], "Paid by card");
    let (_, messages) = trial.call("GET", &path("messages"), Some(&bob), None).await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1, "a note is not a message");

    let (status, row) = trial.call("POST", &path("assignee"), Some(&bob), Some(json!({ "user": "bob" }))).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["assignee"], "bob");
    assert_eq!(trial.rows(&bob, "?assignee=me").await.len(), 1);
    assert_eq!(trial.rows(&bob, "?assignee=unassigned").await.len(), 0);

    let (_, row) = trial.call("POST", &path("tags"), Some(&bob), Some(json!({ "add": ["refund", "vip"] }))).await;
    assert_eq!(row["tags"], json!(["refund", "vip"]));
    let (_, row) = trial.call("POST", &path("tags"), Some(&bob), Some(json!({ "remove": ["vip"] }))).await;
    assert_eq!(row["tags"], json!(["refund"]));
    assert_eq!(trial.rows(&bob, "?tag=refund").await.len(), 1);

    let (_, row) = trial.call("POST", &path("resolve"), Some(&bob), None).await;
    assert_eq!(row["status"], "resolved");
    assert_eq!(trial.rows(&bob, "?status=open").await.len(), 0);
    assert_eq!(trial.rows(&bob, "?status=resolved").await.len(), 1);
    let (_, row) = trial.call("POST", &path("reopen"), Some(&bob), None).await;
    assert_eq!(row["status"], "open");
    let until = unibox_core::Timestamp::now().as_unix_millis() + 3_600_000;
    let (status, row) = trial.call("POST", &path("snooze"), Some(&bob), Some(json!({ "until": until }))).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["status"], "snoozed");
    assert_eq!(row["snoozed_until"], until);

    assert_eq!(trial.rows(&bob, "?unread=true").await.len(), 1);
    let (status, row) = trial.call("POST", &path("read"), Some(&bob), None).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["unread_count"], 0);

    let (_, row) = trial.call("POST", &path("assignee"), Some(&bob), Some(json!({ "user": null }))).await;
    assert_eq!(row["assignee"], serde_json::Value::Null);

    // Each action is in the audit trail, by bob.
    let trail = trial.hub.audit_trail().unwrap();
    let query = unibox_core::audit::AuditQuery { actor: Some("bob".into()), limit: 100, ..Default::default() };
    let records = trail.query(&"acme".parse().unwrap(), &query).await.unwrap().items;
    let actions: Vec<&str> = records.iter().map(|r| r.record.action.as_str()).collect();
    for action in [
        "note.add",
        "conversation.assign",
        "conversation.tags",
        "conversation.status",
        "conversation.read",
        "conversation.unassign",
        "session.login",
    ] {
        assert!(actions.contains(&action), "{action} is audited: {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_but_cannot_reply_note_or_assign() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Hello?").await;
    let vic = trial.bearer("acme", "vic").await;
    let rows = trial.rows(&vic, "").await;
    assert_eq!(rows.len(), 1, "a viewer reads the inbox");
    let id = rows[0]["id"].as_str().unwrap();
    let before = trial.line_api.request_count();

    let (status, denied) = trial
        .call("POST", &format!("/api/conversations/{id}/messages"), Some(&vic), Some(json!({ "text": "hi" })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_kind(&denied), "permission_denied");
    let (status, _) =
        trial.call("POST", &format!("/api/conversations/{id}/notes"), Some(&vic), Some(json!({ "body": "x" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = trial
        .call("POST", &format!("/api/conversations/{id}/assignee"), Some(&vic), Some(json!({ "user": "vic" })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = trial.call("POST", &format!("/api/conversations/{id}/resolve"), Some(&vic), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Nothing changed and nothing was sent.
    assert_eq!(trial.line_api.request_count(), before);
    let ann = trial.bearer("acme", "ann").await;
    let (_, messages) = trial.call("GET", &format!("/api/conversations/{id}/messages"), Some(&ann), None).await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 1);
    let (_, notes) = trial.call("GET", &format!("/api/conversations/{id}/notes"), Some(&ann), None).await;
    assert!(notes["items"].as_array().unwrap().is_empty());
    let row = &trial.rows(&ann, "").await[0];
    assert_eq!(row["status"], "open");
    assert_eq!(row["assignee"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_ids_are_not_found_and_change_nothing() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "acme's customer").await;
    trial.text_from(GLOBEX_OA, MALEE, 2, "globex's customer").await;
    let ann = trial.bearer("acme", "ann").await;
    let gus = trial.bearer("globex", "gus").await;
    let acme_rows = trial.rows(&ann, "").await;
    assert_eq!(acme_rows.len(), 1);
    assert_eq!(acme_rows[0]["last_message"]["text"], "acme's customer");
    let acme_id = acme_rows[0]["id"].as_str().unwrap();
    let globex_rows = trial.rows(&gus, "").await;
    assert_eq!(globex_rows.len(), 1);
    assert_eq!(globex_rows[0]["last_message"]["text"], "globex's customer");

    for (method, what, body) in [
        ("GET", "", None),
        ("GET", "/messages", None),
        ("GET", "/notes", None),
        ("POST", "/messages", Some(json!({ "text": "from globex" }))),
        ("POST", "/notes", Some(json!({ "body": "from globex" }))),
        ("POST", "/assignee", Some(json!({ "user": "gus" }))),
        ("POST", "/tags", Some(json!({ "add": ["stolen"] }))),
        ("POST", "/resolve", None),
        ("POST", "/read", None),
    ] {
        let (status, json) = trial.call(method, &format!("/api/conversations/{acme_id}{what}"), Some(&gus), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {what}: {json}");
        assert_eq!(error_kind(&json), "not_found");
    }
    let (_, found) = trial.call("GET", "/api/search?q=customer", Some(&gus), None).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "globex finds only its own: {found}");

    let row = &trial.rows(&ann, "").await[0];
    assert_eq!(row["status"], "open");
    assert_eq!(row["assignee"], serde_json::Value::Null);
    assert_eq!(row["tags"], json!([]));
    assert_eq!(row["unread_count"], 1);
    let (_, notes) = trial.call("GET", &format!("/api/conversations/{acme_id}/notes"), Some(&ann), None).await;
    assert!(notes["items"].as_array().unwrap().is_empty());
    assert_eq!(trial.line_api.request_count(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_typed_400s_and_unknown_ids_404s() {
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Hello").await;
    let ann = trial.bearer("acme", "ann").await;
    let id = trial.rows(&ann, "").await[0]["id"].as_str().unwrap().to_string();
    let unknown = unibox_core::ConversationId::new();

    let cases: Vec<(&str, String, Option<serde_json::Value>, StatusCode)> = vec![
        ("GET", "/api/conversations/not-an-id".into(), None, StatusCode::BAD_REQUEST),
        ("GET", format!("/api/conversations/{unknown}"), None, StatusCode::NOT_FOUND),
        ("GET", format!("/api/conversations/{unknown}/messages"), None, StatusCode::NOT_FOUND),
        ("POST", format!("/api/conversations/{unknown}/notes"), Some(json!({ "body": "x" })), StatusCode::NOT_FOUND),
        ("GET", "/api/conversations?status=lost".into(), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/conversations?limit=0".into(), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/conversations?limit=many".into(), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/conversations?after=garbage".into(), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/conversations?colour=red".into(), None, StatusCode::BAD_REQUEST),
        ("GET", format!("/api/conversations/{id}/messages?before=x"), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/search?q=%20%20".into(), None, StatusCode::BAD_REQUEST),
        ("GET", "/api/search".into(), None, StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/messages"), Some(json!({})), StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/messages"), Some(json!({ "text": "   " })), StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/messages"), Some(json!({ "text": 42 })), StatusCode::BAD_REQUEST),
        (
            "POST",
            format!("/api/conversations/{id}/messages"),
            Some(json!({ "text": "a", "content": { "type": "text", "text": "b" } })),
            StatusCode::BAD_REQUEST,
        ),
        ("POST", format!("/api/conversations/{id}/notes"), Some(json!({ "body": "" })), StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/assignee"), Some(json!({ "user": "" })), StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/tags"), Some(json!({})), StatusCode::BAD_REQUEST),
        ("POST", format!("/api/conversations/{id}/snooze"), Some(json!({ "until": 1 })), StatusCode::BAD_REQUEST),
        (
            "POST",
            format!("/api/conversations/{id}/snooze"),
            Some(json!({ "until": "tomorrow" })),
            StatusCode::BAD_REQUEST,
        ),
        ("DELETE", "/api/sessions/not-a-session".into(), None, StatusCode::BAD_REQUEST),
        ("DELETE", format!("/api/sessions/{}", unibox_core::session::SessionId::new()), None, StatusCode::NOT_FOUND),
        ("GET", "/api/events?after=-1".into(), None, StatusCode::BAD_REQUEST),
    ];
    for (method, path, body, expected) in cases {
        let (status, json) = trial.call(method, &path, Some(&ann), body).await;
        assert_eq!(status, expected, "{method} {path}: {json}");
        assert!(json["error"]["kind"].is_string() && json["error"]["message"].is_string(), "{method} {path}: {json}");
    }
    // Not JSON at all.
    let request = http::Request::post(format!("/api/conversations/{id}/notes"))
        .header("authorization", format!("Bearer {ann}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let (status, json) = trial.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_kind(&json), "invalid_input");

    // Nothing of the above changed the conversation.
    let row = &trial.rows(&ann, "").await[0];
    assert_eq!(
        (row["status"].as_str(), row["tags"].clone(), row["assignee"].clone()),
        (Some("open"), json!([]), serde_json::Value::Null)
    );
    assert_eq!(trial.line_api.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_beside_the_chat_are_the_contacts_on_that_account() {
    use unibox_core::orders::{Order, OrderChange};
    use unibox_core::{IdentityKind, PlatformUser, Timestamp};
    let trial = Trial::start().await;
    trial.text_from(ACME_OA, SOMCHAI, 1, "Where is my order?").await;
    trial.text_from(ACME_OA, MALEE, 2, "Hello").await;
    let ann = trial.bearer("acme", "ann").await;
    let rows = trial.rows(&ann, "").await;
    let somchai = rows.iter().find(|r| r["last_message"]["text"] == "Where is my order?").unwrap();
    let malee = rows.iter().find(|r| r["last_message"]["text"] == "Hello").unwrap();
    let account: unibox_core::ChannelAccountId = somchai["channel"]["account"].as_str().unwrap().parse().unwrap();
    let now = Timestamp::now();
    let order = Order::new("acme".parse().unwrap(), account, "A1234", "shipped", now)
        .with_buyer(PlatformUser::new(IdentityKind::LineUserId, SOMCHAI))
        .with_total("590.00", "THB")
        .with_tracking_number("TH123456789")
        .with_change(OrderChange::status("push-1", "shipped", now));
    trial.hub.order_store().expect("SQLite keeps orders").merge_order(order).await.unwrap();

    let path = |row: &serde_json::Value| format!("/api/conversations/{}/orders", row["id"].as_str().unwrap());
    let (status, orders) = trial.call("GET", &path(somchai), Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    assert_eq!(orders["available"], true);
    assert_eq!(orders["items"].as_array().unwrap().len(), 1);
    assert_eq!(orders["items"][0]["order_id"], "A1234");
    assert_eq!(orders["items"][0]["tracking_number"], "TH123456789");
    assert!(orders["items"][0].get("tenant").is_none());
    let (_, none) = trial.call("GET", &path(malee), Some(&ann), None).await;
    assert!(none["items"].as_array().unwrap().is_empty(), "another customer's chat shows none");
    let gus = trial.bearer("globex", "gus").await;
    let (status, json) = trial.call("GET", &path(somchai), Some(&gus), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
}
