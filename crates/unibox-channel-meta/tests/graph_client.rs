//! GraphClient against a fake Graph API on loopback: media download, token exchange, errors.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use unibox_channel_meta::{AppSecret, GraphClient, MultipartForm};
use unibox_core::http::ReqwestClient;
use unibox_core::{ErrorKind, Timestamp};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const TOKEN: &str = "EAAJB0SystemUserToken99";

fn client(graph: &FakeServer) -> GraphClient {
    let http = ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
    GraphClient::new(Arc::new(http)).with_base_url(graph.url()).with_app_secret(AppSecret::new("appsecret"))
}

#[tokio::test]
async fn a_media_id_resolves_to_a_short_lived_url_fetched_with_the_token() {
    let graph = FakeServer::start().await.unwrap();
    let media_url = graph.url_for("/whatsapp_business/attachments/?mid=1037543291543636&ext=1732003600&hash=ATuPSm3E");
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"url": media_url.as_str(), "mime_type": "image/jpeg", "sha256": "e3b0c44298fc1c149afbf4c8996fb924",
                "file_size": "303833", "id": "1037543291543636", "messaging_product": "whatsapp"}),
    ));
    graph.enqueue(
        ScriptedResponse::status(200).with_header("content-type", "image/jpeg").with_body(vec![0xff, 0xd8, 0xff, 0xe0]),
    );
    let token = SecretString::from(TOKEN);
    let (info, bytes) = client(&graph).download_media("1037543291543636", &token).await.unwrap();
    assert_eq!(info.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(info.file_size, Some(303_833));
    assert_eq!(bytes.as_ref(), [0xff, 0xd8, 0xff, 0xe0]);
    let requests = graph.requests();
    assert_eq!(requests[0].path(), "/v23.0/1037543291543636");
    assert!(requests[0].query().unwrap().starts_with("appsecret_proof="));
    assert_eq!(requests[1].path(), "/whatsapp_business/attachments/");
    for request in &requests {
        assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert!(!request.target.contains(TOKEN));
    }
    let bad = client(&graph).media_info("../../me", &token).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn media_is_never_fetched_in_the_clear_from_another_host() {
    let graph = FakeServer::start().await.unwrap();
    let elsewhere: url::Url = "http://attacker.example/steal".parse().unwrap();
    let error = client(&graph).download(&elsewhere, &SecretString::from(TOKEN)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(graph.request_count(), 0);
}

#[tokio::test]
async fn an_expired_media_url_or_missing_media_maps_through_the_graph_table() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(
        404,
        &json!({"error": {"message": "Unsupported get request. Object with ID '1037543291543636' does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}),
    ));
    let error = client(&graph).media_info("1037543291543636", &SecretString::from(TOKEN)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    graph.enqueue(ScriptedResponse::hang_up());
    let lost = client(&graph).media_info("1037543291543636", &SecretString::from(TOKEN)).await.unwrap_err();
    assert_eq!(
        (lost.kind(), lost.is_temporary()),
        (ErrorKind::PlatformUnavailable, true),
        "a lost read is retried safely"
    );
}

#[tokio::test]
async fn an_instagram_token_is_exchanged_with_secrets_in_the_body() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"access_token": "IGAAlongLived", "token_type": "bearer", "expires_in": 5_183_944}),
    ));
    let instagram = GraphClient::instagram(Arc::new(ReqwestClient::new())).with_base_url(graph.url());
    let tokens = instagram
        .exchange_instagram_token(
            &AppSecret::new("ig-secret"),
            &SecretString::from("IGAAshort"),
            Timestamp::from_unix_seconds(1_000),
        )
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "IGAAlongLived");
    assert_eq!(tokens.expires_at, Some(Timestamp::from_unix_seconds(1_000 + 5_183_944)));
    let request = graph.last_request().unwrap();
    assert_eq!(request.target, "/access_token");
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        String::from_utf8(request.body.to_vec()).unwrap(),
        "grant_type=ig_exchange_token&client_secret=ig-secret&access_token=IGAAshort"
    );
    graph.enqueue(ScriptedResponse::json(200, &json!({"access_token": ""})));
    let empty = instagram
        .exchange_instagram_token(
            &AppSecret::new("ig-secret"),
            &SecretString::from("IGAAshort"),
            Timestamp::from_unix_seconds(1_000),
        )
        .await
        .unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::Unexpected);
}

#[tokio::test]
async fn a_multipart_upload_carries_its_fields_and_file() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(200, &json!({"id": "1166846181421424"})));
    let form = MultipartForm::new().text("messaging_product", "whatsapp").text("type", "image/png").file(
        "file",
        "receipt.png",
        "image/png",
        b"\x89PNG\r\n".to_vec(),
    );
    let answer: serde_json::Value =
        client(&graph).post_multipart("106540352242922/media", &SecretString::from(TOKEN), &form).await.unwrap();
    assert_eq!(answer["id"], "1166846181421424");
    let request = graph.last_request().unwrap();
    let content_type = request.header("content-type").unwrap().to_owned();
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
    let body = request.body.to_vec();
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with(&format!("--{boundary}\r\n")));
    assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    assert!(text.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"));
    assert!(text.contains("name=\"file\"; filename=\"receipt.png\"\r\nContent-Type: image/png\r\n\r\n\u{fffd}PNG"));
}

#[test]
fn debug_output_never_shows_the_app_secret() {
    let client = GraphClient::new(Arc::new(ReqwestClient::new())).with_app_secret(AppSecret::new("appsecret-value"));
    assert!(!format!("{client:?}").contains("appsecret-value"));
}
