//! Outbound calls over real HTTP on loopback against a fake TikTok Shop that checks every
//! signature: each content kind, the access token header and the shop cipher, mark read, and
//! every row of the error table.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_tiktok_shop::{TikTokShopApiError, TikTokShopChannel};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{Channel, ChannelAccount, ContactIdentity, Content, Error, ErrorKind, Media, MessageId, Retry};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, CIPHER, CONVERSATION, FakeTikTokShop};

struct Fixture {
    platform: FakeServer,
    tiktok: FakeTikTokShop,
    channel: TikTokShopChannel,
    account: ChannelAccount,
    chat: ContactIdentity,
}

async fn fixture(with_cipher: bool) -> Fixture {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock(), with_cipher);
    let account = common::account();
    let chat = common::chat(&account);
    Fixture { platform, tiktok, channel, account, chat }
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

    fn sent(&self, id: &str) -> (String, serde_json::Value) {
        self.tiktok.books.lock().unwrap().sent[id].clone()
    }
}

#[tokio::test]
async fn each_content_kind_is_sent_signed_with_the_token_header_and_the_shop_cipher() {
    let f = fixture(true).await;
    let receipt = f.send(&Content::text("Your desk left our Bangkok warehouse this morning.")).await.unwrap();
    let (conversation, body) = f.sent(&receipt.platform_message_id);
    assert_eq!(conversation, CONVERSATION);
    assert_eq!(
        body,
        json!({"type": "TEXT", "content": "{\"content\":\"Your desk left our Bangkok warehouse this morning.\"}"})
    );
    let request = f.platform.last_request().unwrap();
    assert_eq!(request.header("x-tts-access-token"), Some(ACCESS_TOKEN));
    assert!(!request.query().unwrap().contains(ACCESS_TOKEN), "the token is never in the URL");
    assert!(request.query().unwrap().contains(&format!("shop_cipher={CIPHER}")));

    let product = Content::Product { product_id: "1729587769570529475".into(), name: None, url: None };
    let (_, body) = f.sent(&f.send(&product).await.unwrap().platform_message_id);
    assert_eq!(body, json!({"type": "PRODUCT_CARD", "content": "{\"product_id\":\"1729587769570529475\"}"}));
    let order = Content::Order { order_id: "576486316948490001".into(), status: None };
    let (_, body) = f.sent(&f.send(&order).await.unwrap().platform_message_id);
    assert_eq!(body["type"], "ORDER_CARD");
    let mut image = Media::from_url("https://cdn.acme.example/parcels/TH-20931.jpg".parse().unwrap());
    image.caption = Some("Packed and sealed".into());
    let (_, body) = f.sent(&f.send(&Content::Image(image)).await.unwrap().platform_message_id);
    assert_eq!(
        body,
        json!({"type": "IMAGE", "content": "{\"url\":\"https://cdn.acme.example/parcels/TH-20931.jpg\"}"})
    );
    assert_eq!(f.tiktok.books.lock().unwrap().sent.len(), 5, "the caption followed as a text");
}

#[tokio::test]
async fn the_shop_cipher_comes_from_the_authorized_shops_call() {
    let f = fixture(false).await;
    let missing = f.send(&Content::text("hi")).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Configuration);
    assert_eq!(f.platform.request_count(), 0);
    let shops = f.channel.authorized_shops(&SecretString::from(ACCESS_TOKEN)).await.unwrap();
    assert_eq!((shops[0].id.as_str(), shops[0].cipher.as_str()), (common::SHOP, CIPHER));
    f.send(&Content::text("hi")).await.unwrap();
}

#[tokio::test]
async fn mark_read_names_the_conversation() {
    let f = fixture(true).await;
    f.channel.mark_read(&f.account, &SecretString::from(ACCESS_TOKEN), CONVERSATION).await.unwrap();
    assert_eq!(f.tiktok.books.lock().unwrap().read, vec![CONVERSATION.to_owned()]);
    let bad = f.channel.mark_read(&f.account, &SecretString::from(ACCESS_TOKEN), "../../shops").await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn expired_credentials_are_token_invalid_and_never_shown() {
    let f = fixture(true).await;
    let error = f.send_with(&Content::text("hi"), "ROW_expired-token-value").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert_eq!(TikTokShopApiError::of(&error).unwrap().code, 105002);
    assert!(!format!("{error} {error:?}").contains("expired-token-value"));
}

#[tokio::test]
async fn every_error_answer_maps_to_its_kind_over_http() {
    let f = fixture(true).await;
    let text = Content::text("hi");
    let tiktok = |status: u16, code: i64, message: &str| {
        ScriptedResponse::json(
            status,
            &json!({"code": code, "message": message, "request_id": "202411190706500003", "data": null}),
        )
    };
    let cases = [
        (tiktok(429, 36009002, "Too many requests").with_header("retry-after", "2"), ErrorKind::RateLimited),
        (ScriptedResponse::text(429, "Too Many Requests"), ErrorKind::RateLimited),
        (tiktok(200, 45101004, "daily limit reached"), ErrorKind::RateLimited),
        (tiktok(200, 45109001, "conversation closed"), ErrorKind::MessagingWindowClosed),
        (tiktok(200, 45102007, "no permission"), ErrorKind::RecipientUnavailable),
        (tiktok(200, 45101006, "sensitive content"), ErrorKind::PlatformRejected),
        (tiktok(401, 106001, "Invalid sign"), ErrorKind::Configuration),
        (tiktok(200, 105005, "scope missing"), ErrorKind::PermissionDenied),
        (tiktok(200, 36009007, "timeout"), ErrorKind::DeliveryUnknown),
        (ScriptedResponse::text(503, "overloaded"), ErrorKind::PlatformUnavailable),
        (ScriptedResponse::hang_up(), ErrorKind::DeliveryUnknown),
    ];
    for (answer, kind) in cases {
        f.platform.enqueue(answer);
        let error = f.send(&text).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        if TikTokShopApiError::of(&error).is_some_and(|e| e.code == 36009002) {
            assert_eq!(
                error.retry(),
                Retry::Temporary { after: Some(Duration::from_secs(2)) },
                "Retry-After is honoured"
            );
        }
        if TikTokShopApiError::of(&error).is_some_and(|e| e.code == 45101004) {
            assert_eq!(error.retry(), Retry::Persistent, "the daily quota is not retried by backoff");
        }
    }
}
