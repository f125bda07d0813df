//! Sends and mark-read over real HTTP against a fake Shopee API that checks each request's
//! signature, and every row of the error table.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use unibox_channel_shopee::{DEFAULT_RATE_LIMIT_DELAY, ShopeeApiError};
use unibox_core::channel::SendRequest;
use unibox_core::{Channel, Content, ErrorKind, Media, MessageId, Result};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, BUYER, CONVERSATION_ID, FakeShopee, SHOP};

async fn send(channel: &unibox_channel_shopee::ShopeeChannel, content: Content) -> Result<String> {
    let account = common::account("acme");
    let buyer = common::buyer(&account);
    let token = SecretString::from(ACCESS_TOKEN);
    let request = SendRequest::new(&account, &buyer, &content, MessageId::new()).with_access_token(Some(&token));
    channel.send(&request).await.map(|receipt| receipt.platform_message_id)
}

#[tokio::test]
async fn each_content_kind_is_one_signed_send_message_call() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    FakeShopee::new(clock.clone()).serve(&api);
    let channel = common::sending_channel(&api, clock);
    let cases = [
        (
            Content::text("It left our Bangkok warehouse this morning."),
            "text",
            serde_json::json!({"text": "It left our Bangkok warehouse this morning."}),
        ),
        (
            Content::Image(Media::from_url("https://cf.shopee.co.th/file/th-11134207-7r98o-parcel".parse().unwrap())),
            "image",
            serde_json::json!({"image_url": "https://cf.shopee.co.th/file/th-11134207-7r98o-parcel"}),
        ),
        (
            Content::Sticker { sticker_id: "11".into(), package_id: Some("1".into()), url: None },
            "sticker",
            serde_json::json!({"sticker_id": "11", "sticker_package_id": "1"}),
        ),
        (
            Content::Product { product_id: "42342345656789".into(), name: None, url: None },
            "item",
            serde_json::json!({"item_id": 42342345656789u64}),
        ),
        (
            Content::Order { order_id: "2411290R48U37H".into(), status: None },
            "order",
            serde_json::json!({"order_sn": "2411290R48U37H"}),
        ),
    ];
    for (number, (content, message_type, expected)) in cases.into_iter().enumerate() {
        let id = send(&channel, content).await.unwrap();
        assert_eq!(id, format!("{}", 2302748948493200000u64 + number as u64 + 1));
        let request = api.last_request().unwrap();
        assert_eq!(request.path(), "/api/v2/sellerchat/send_message");
        let body = request.json().unwrap();
        assert_eq!(body["to_id"], 384920111, "the buyer id is a JSON number");
        assert_eq!(body["message_type"], message_type);
        assert_eq!(body["content"], expected);
        let query = request.query().unwrap();
        assert!(query.contains(&format!("shop_id={SHOP}")) && query.contains("partner_id=2001887"));
    }
    // The answer's conversation id is a bare number past 2^53: remembered exactly.
    assert_eq!(channel.conversation_of(SHOP, BUYER), Some(CONVERSATION_ID.to_string()));
}

#[tokio::test]
async fn content_shopee_cannot_send_fails_before_any_call() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    FakeShopee::new(clock.clone()).serve(&api);
    let channel = common::sending_channel(&api, clock);
    let template = Content::Template { name: "x".into(), language: "th".into(), parameters: vec![] };
    assert_eq!(send(&channel, template).await.unwrap_err().kind(), ErrorKind::Unsupported);
    let sku = Content::Product { product_id: "SKU-DESK-120".into(), name: None, url: None };
    assert_eq!(send(&channel, sku).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    let sticker = Content::Sticker { sticker_id: "11".into(), package_id: None, url: None };
    assert_eq!(send(&channel, sticker).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(send(&channel, Content::text("  ")).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(api.request_count(), 0);
}

#[tokio::test]
async fn mark_read_names_the_conversation_as_an_exact_number() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.serve(&api);
    let channel = common::sending_channel(&api, clock);
    let account = common::account("acme");
    let token = SecretString::from(ACCESS_TOKEN);
    channel.mark_read(&account, &token, "9007199254740995", "2302748948493124012").await.unwrap();
    let request = api.last_request().unwrap();
    assert_eq!(request.path(), "/api/v2/sellerchat/read_conversation");
    assert_eq!(
        String::from_utf8_lossy(&request.body),
        r#"{"conversation_id":9007199254740995,"last_read_message_id":"2302748948493124012"}"#
    );
    let error = channel.mark_read(&account, &token, "not-a-number", "1").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let expired = SecretString::from("expired-token");
    let error = channel.mark_read(&account, &expired, "9007199254740995", "1").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
}

#[tokio::test]
async fn every_error_kind_over_http() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    FakeShopee::new(clock.clone()).serve(&api);
    let channel = common::sending_channel(&api, clock.clone());
    let text = || Content::text("Hello");
    let error_body =
        |error: &str, message: &str| serde_json::json!({"error": error, "message": message, "request_id": "7f1e2d3c"});

    // A spent access token: the fake's own answer.
    let account = common::account("acme");
    let buyer = common::buyer(&account);
    let stale = SecretString::from("stale-token");
    let content = text();
    let request = SendRequest::new(&account, &buyer, &content, MessageId::new()).with_access_token(Some(&stale));
    let error = channel.send(&request).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert_eq!(ShopeeApiError::of(&error).unwrap().request_id.as_deref(), Some("e3e3e7f3a1"));
    assert!(!error.to_string().contains("stale-token"), "{error}");

    let cases: Vec<(ScriptedResponse, ErrorKind)> = vec![
        (
            ScriptedResponse::json(403, &error_body("error_auth", "No permission to current api.")),
            ErrorKind::PlatformRejected,
        ),
        (ScriptedResponse::json(403, &error_body("error_sign", "Wrong sign.")), ErrorKind::Configuration),
        (ScriptedResponse::json(400, &error_body("error_param", "Invalid timestamp.")), ErrorKind::Configuration),
        (ScriptedResponse::json(400, &error_body("error_param", "content.text is too long")), ErrorKind::InvalidInput),
        (
            ScriptedResponse::json(404, &error_body("error_not_found", "user not exist")),
            ErrorKind::RecipientUnavailable,
        ),
        (ScriptedResponse::json(403, &error_body("error_shop", "shop is banned")), ErrorKind::PlatformRejected),
        (
            ScriptedResponse::json(500, &error_body("error_server", "Something wrong. Please try later.")),
            ErrorKind::PlatformUnavailable,
        ),
        (ScriptedResponse::text(502, "bad gateway"), ErrorKind::PlatformUnavailable),
        (ScriptedResponse::hang_up(), ErrorKind::DeliveryUnknown),
        (ScriptedResponse::json(200, &error_body("error_unknown", "?")), ErrorKind::PlatformRejected),
        // 200 without a message id: accepted, but which message?
        (ScriptedResponse::json(200, &serde_json::json!({"error": "", "response": {}})), ErrorKind::DeliveryUnknown),
    ];
    for (answer, kind) in cases {
        api.enqueue(answer);
        let error = send(&channel, text()).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
    }

    // Rate limits carry the server's delay, or the default one.
    api.enqueue(ScriptedResponse::json(200, &error_body("error_server", "Too many requests, please try again later")));
    let error = send(&channel, text()).await.unwrap_err();
    assert_eq!((error.kind(), error.retry_after()), (ErrorKind::RateLimited, Some(DEFAULT_RATE_LIMIT_DELAY)));
    api.enqueue(ScriptedResponse::json(429, &error_body("error_too_many_request", "")).with_header("Retry-After", "7"));
    let error = send(&channel, text()).await.unwrap_err();
    assert_eq!((error.kind(), error.retry_after()), (ErrorKind::RateLimited, Some(Duration::from_secs(7))));

    // A timeout after the request was written may have delivered it.
    api.enqueue(ScriptedResponse::json(200, &serde_json::json!({})).delayed(Duration::from_secs(3)));
    assert_eq!(send(&channel, text()).await.unwrap_err().kind(), ErrorKind::DeliveryUnknown);

    // A clock more than 5 minutes off: the fake refuses the timestamp like Shopee.
    clock.advance(Duration::from_secs(600));
    let skewed = common::sending_channel(&api, common::clock());
    assert_eq!(send(&skewed, text()).await.unwrap_err().kind(), ErrorKind::Configuration);

    // Nothing listening: nothing was sent.
    let gone = FakeServer::start().await.unwrap();
    let unreachable = common::sending_channel(&gone, common::clock());
    gone.shutdown().await;
    let error = send(&unreachable, text()).await.unwrap_err();
    assert_eq!((error.kind(), error.is_temporary()), (ErrorKind::PlatformUnavailable, true));
}

#[tokio::test]
async fn a_shop_account_must_name_the_shop_and_a_token() {
    let api = FakeServer::start().await.unwrap();
    let channel = common::sending_channel(&api, common::clock());
    let mut account = common::account("acme");
    let buyer = common::buyer(&account);
    let content = Content::text("Hello");
    let request = SendRequest::new(&account, &buyer, &content, MessageId::new());
    assert_eq!(channel.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration, "no token");
    account.platform_account_id = "acme-th".into();
    let token = SecretString::from(ACCESS_TOKEN);
    let request = SendRequest::new(&account, &buyer, &content, MessageId::new()).with_access_token(Some(&token));
    assert_eq!(channel.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration, "no shop id");
    assert_eq!(api.request_count(), 0);
}

#[tokio::test]
async fn a_channel_configured_for_inspection_only_verifies_but_calls_nothing() {
    let api = FakeServer::start().await.unwrap();
    let config = unibox_channel_shopee::ShopeeConfig::builder()
        .partner_key(common::PARTNER_KEY)
        .callback_url(common::CALLBACK_URL)
        .api_base_url(api.url())
        .build()
        .unwrap();
    let channel = unibox_channel_shopee::ShopeeChannel::new(config)
        .with_http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()));
    assert!(channel.verify(&common::signed(&common::fixture("text"))).is_ok());
    let error = send(&channel, Content::text("Hello")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.message().contains("partner id"), "{error}");
    assert_eq!(api.request_count(), 0);
}
