//! Outbound calls over real HTTP on loopback against a fake Lazada that checks every
//! signature: each content kind as its template, mark read, and every row of the error table.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_lazada::{LazadaApiError, LazadaChannel};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{Channel, ChannelAccount, ContactIdentity, Content, Error, ErrorKind, Media, MessageId, Retry};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, FakeLazada, SESSION};

struct Fixture {
    platform: FakeServer,
    lazada: FakeLazada,
    channel: LazadaChannel,
    account: ChannelAccount,
    chat: ContactIdentity,
}

async fn fixture() -> Fixture {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock());
    let account = common::account();
    let chat = common::chat(&account);
    Fixture { platform, lazada, channel, account, chat }
}

impl Fixture {
    async fn send_with(&self, content: &Content, token: &str) -> Result<SendReceipt, Error> {
        let token = SecretString::from(token);
        let request =
            SendRequest::new(&self.account, &self.chat, content, MessageId::new()).with_access_token(Some(&token));
        self.channel.send(&request).await
    }

    async fn send(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_with(content, ACCESS_TOKEN).await
    }

    fn sent(&self, id: &str) -> std::collections::HashMap<String, String> {
        self.lazada.books.lock().unwrap().sent[id].clone()
    }
}

#[tokio::test]
async fn each_content_kind_is_sent_as_its_template_with_a_valid_signature() {
    let f = fixture().await;
    let text = f.send(&Content::text("It left our Bangkok warehouse this morning.")).await.unwrap();
    let sent = f.sent(&text.platform_message_id);
    assert_eq!((sent["session_id"].as_str(), sent["template_id"].as_str()), (SESSION, "1"));
    assert_eq!(sent["txt"], "It left our Bangkok warehouse this morning.");
    assert_eq!(sent["timestamp"].len(), 13, "milliseconds");

    let product = Content::Product { product_id: "2736412345".into(), name: None, url: None };
    let sent = f.sent(&f.send(&product).await.unwrap().platform_message_id);
    assert_eq!((sent["template_id"].as_str(), sent["item_id"].as_str()), ("10006", "2736412345"));
    let order = Content::Order { order_id: "260422900198363".into(), status: None };
    let sent = f.sent(&f.send(&order).await.unwrap().platform_message_id);
    assert_eq!((sent["template_id"].as_str(), sent["order_id"].as_str()), ("10007", "260422900198363"));

    let mut image = Media::from_url("https://cdn.acme.example/parcels/TH-20931.jpg".parse().unwrap());
    image.caption = Some("Your parcel, packed".into());
    let receipt = f.send(&Content::Image(image)).await.unwrap();
    let sent = f.sent(&receipt.platform_message_id);
    assert_eq!(
        (sent["template_id"].as_str(), sent["img_url"].as_str()),
        ("3", "https://cdn.acme.example/parcels/TH-20931.jpg")
    );
    assert_eq!(f.lazada.books.lock().unwrap().sent.len(), 5, "the caption followed as a text");

    // The access token travels in the signed form body, never in the URL.
    assert!(f.platform.requests().iter().all(|r| r.query().is_none() && r.path() == "/rest/im/message/send"));
}

#[tokio::test]
async fn mark_read_names_the_session_and_the_last_message() {
    let f = fixture().await;
    f.channel.mark_read(&f.account, &SecretString::from(ACCESS_TOKEN), SESSION, "1zYOS7N0cuIqw96026").await.unwrap();
    assert_eq!(f.lazada.books.lock().unwrap().read, vec![(SESSION.to_owned(), "1zYOS7N0cuIqw96026".to_owned())]);
    let refused = f.channel.mark_read(&f.account, &SecretString::from("expired"), SESSION, "1").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TokenInvalid);
}

#[tokio::test]
async fn a_refused_access_token_is_token_invalid_and_never_shown() {
    let f = fixture().await;
    let error = f.send_with(&Content::text("hi"), "50000601c30-revoked-token").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert_eq!(LazadaApiError::of(&error).unwrap().code, "IllegalAccessToken");
    assert!(!format!("{error} {error:?}").contains("revoked-token"));
}

#[tokio::test]
async fn every_error_answer_maps_to_its_kind_over_http() {
    let f = fixture().await;
    let text = Content::text("hi");
    let lazada = |code: &str, message: &str| {
        ScriptedResponse::json(
            200,
            &json!({"type": "ISP", "code": code, "message": message, "request_id": "0ba2887315178178017221014"}),
        )
    };
    let cases = [
        (
            lazada("ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 1 seconds"),
            ErrorKind::RateLimited,
        ),
        (
            lazada("IncompleteSignature", "The request signature does not conform to platform standards"),
            ErrorKind::Configuration,
        ),
        (lazada("MissingParameter", "session_id"), ErrorKind::InvalidInput),
        (lazada("ServiceTimeout", "The service timed out"), ErrorKind::DeliveryUnknown),
        (
            ScriptedResponse::json(
                200,
                &json!({"code": "0", "success": false, "err_code": "17", "err_message": "session is closed"}),
            ),
            ErrorKind::PlatformRejected,
        ),
        (ScriptedResponse::text(429, "Too Many Requests"), ErrorKind::RateLimited),
        (ScriptedResponse::text(503, "<html>Service Unavailable</html>"), ErrorKind::PlatformUnavailable),
        (ScriptedResponse::text(200, "<html>proxy error</html>"), ErrorKind::DeliveryUnknown),
        (ScriptedResponse::hang_up(), ErrorKind::DeliveryUnknown),
    ];
    for (answer, kind) in cases {
        f.platform.enqueue(answer);
        let error = f.send(&text).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        if kind == ErrorKind::RateLimited && LazadaApiError::of(&error).is_some() {
            assert_eq!(error.retry(), Retry::Temporary { after: Some(Duration::from_secs(1)) }, "the one-second ban");
        }
        if kind == ErrorKind::DeliveryUnknown {
            assert_eq!(error.retry(), Retry::Persistent, "no idempotency key: never resent automatically");
        }
    }
    f.platform.enqueue(ScriptedResponse::ok().delayed(Duration::from_secs(3)));
    assert_eq!(
        f.send(&text).await.unwrap_err().kind(),
        ErrorKind::DeliveryUnknown,
        "a timeout may have been delivered"
    );
}

#[tokio::test]
async fn content_lazada_cannot_carry_is_refused_before_any_call() {
    let f = fixture().await;
    let sticker = Content::Sticker { sticker_id: "[happy]".into(), package_id: None, url: None };
    assert_eq!(f.send(&sticker).await.unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(f.send(&Content::text(" ")).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(f.platform.request_count(), 0);
}
