//! Outbound calls over real HTTP on loopback against a fake Twilio API: the form, the
//! credentials, segments reported for metering, and every row of the error table (63016,
//! 20429 with Retry-After, 21211, 20003, timeouts, 5xx), plus media downloads.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_twilio::{TwilioApiError, TwilioChannel, TwilioCredentials};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::delivery::{RetryDecision, RetryPolicy};
use unibox_core::metering::UsageMetric;
use unibox_core::{Channel, ChannelAccount, ContactIdentity, Content, Error, ErrorKind, Media, MessageId, Retry};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{
    ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN, FakeTwilio, NUMBER, ORDER_SHIPPED, WHATSAPP_SENDER,
};

struct Fixture {
    api: FakeServer,
    channel: TwilioChannel,
    sms: ChannelAccount,
    whatsapp: ChannelAccount,
    stored: SecretString,
}

async fn fixture() -> Fixture {
    let api = FakeServer::start().await.unwrap();
    let twilio = FakeTwilio::default();
    api.respond_with(move |request| twilio.answer(request));
    let channel = common::sending_channel(&api);
    Fixture {
        api,
        channel,
        sms: common::account(NUMBER),
        whatsapp: common::account(WHATSAPP_SENDER),
        stored: common::stored_credentials(),
    }
}

impl Fixture {
    async fn send_as(
        &self,
        account: &ChannelAccount,
        recipient: &ContactIdentity,
        content: &Content,
        stored: &SecretString,
    ) -> Result<SendReceipt, Error> {
        let request = SendRequest::new(account, recipient, content, MessageId::new()).with_access_token(Some(stored));
        self.channel.send(&request).await
    }

    async fn sms(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_as(&self.sms, &common::sms_customer(&self.sms), content, &self.stored).await
    }

    async fn whatsapp(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_as(&self.whatsapp, &common::whatsapp_customer(&self.whatsapp), content, &self.stored).await
    }

    fn form(&self, index: usize) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.api.requests()[index].body).into_owned().collect()
    }
}

fn created(sid: &str, segments: Option<&str>) -> ScriptedResponse {
    ScriptedResponse::json(
        201,
        &json!({"sid": sid, "status": "queued", "num_segments": segments, "direction": "outbound-api"}),
    )
}

fn twilio_error(status: u16, code: u32, message: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        status,
        &json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

#[tokio::test]
async fn a_text_is_one_form_post_with_basic_credentials_and_its_segments_reported() {
    let f = fixture().await;
    let receipt = f.sms(&Content::text("Your order TH-20931 left our Bangkok warehouse this morning.")).await.unwrap();
    assert!(receipt.platform_message_id.starts_with("SM"));
    assert_eq!(receipt.usage, vec![(UsageMetric::SmsSegments, 1)]);
    let request = &f.api.requests()[0];
    assert_eq!(request.path(), format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"));
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.header("authorization"), Some(common::basic(API_KEY_SID, API_KEY_SECRET).as_str()));
    assert!(
        !request.target.contains(API_KEY_SECRET) && !String::from_utf8_lossy(&request.body).contains(API_KEY_SECRET)
    );
    let form = f.form(0);
    for expected in [
        ("To", common::CUSTOMER),
        ("From", NUMBER),
        ("Body", "Your order TH-20931 left our Bangkok warehouse this morning."),
        ("StatusCallback", common::URL),
    ] {
        assert!(form.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {form:?}");
    }
}

#[tokio::test]
async fn twilios_segment_count_wins_and_the_own_count_fills_in_when_it_is_missing() {
    let f = fixture().await;
    f.api.enqueue(created("SM5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b", Some("3")));
    let receipt = f.sms(&Content::text("Long message")).await.unwrap();
    assert_eq!(receipt.usage, vec![(UsageMetric::SmsSegments, 3)], "what Twilio bills, not the adapter's count");
    // No num_segments: the adapter counts. Thai is UCS-2: 71 to 134 characters are 2 segments.
    let thai = "พัสดุของคุณออกจากคลังสินค้าที่กรุงเทพฯ เมื่อเช้านี้แล้ว ขอบคุณที่อุดหนุนค่ะ";
    f.api.enqueue(created("SM6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c", None));
    assert_eq!(f.sms(&Content::text(thai)).await.unwrap().usage, vec![(UsageMetric::SmsSegments, 2)]);
    let english = "Your parcel left our Bangkok warehouse this morning, thank you for shopping";
    f.api.enqueue(created("SM7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d", None));
    assert_eq!(f.sms(&Content::text(english)).await.unwrap().usage, vec![(UsageMetric::SmsSegments, 1)]);
}

#[tokio::test]
async fn whatsapp_sends_go_to_whatsapp_addresses_and_are_not_sms_segments() {
    let f = fixture().await;
    let receipt = f.whatsapp(&Content::text("Hello Somchai!")).await.unwrap();
    assert!(receipt.usage.is_empty());
    let form = f.form(0);
    assert!(form.contains(&("To".into(), "whatsapp:+66812345678".into())));
    assert!(form.contains(&("From".into(), WHATSAPP_SENDER.into())));
}

#[tokio::test]
async fn a_template_sends_its_content_sid_and_variables() {
    let f = fixture().await;
    let template = Content::Template {
        name: "order_shipped".into(),
        language: "en".into(),
        parameters: vec!["Somchai".into(), "TH-20931".into()],
    };
    f.whatsapp(&template).await.unwrap();
    let form = f.form(0);
    assert!(form.contains(&("ContentSid".into(), ORDER_SHIPPED.into())));
    assert!(form.contains(&("ContentVariables".into(), r#"{"1":"Somchai","2":"TH-20931"}"#.into())));
    assert!(!form.iter().any(|(name, _)| name == "Body"));
}

#[tokio::test]
async fn outside_the_whatsapp_window_63016_is_window_closed() {
    let f = fixture().await;
    f.api.enqueue(twilio_error(400, 63016, "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."));
    let error = f.whatsapp(&Content::text("Are you still there?")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MessagingWindowClosed);
    assert!(error.message().contains("Content Template"));
    assert_eq!(TwilioApiError::of(&error).and_then(|e| e.code), Some(63016));
    assert!(!error.is_temporary());
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_the_retry_after_delay() {
    let f = fixture().await;
    f.api.enqueue(twilio_error(429, 20429, "Too Many Requests").with_header("Retry-After", "7"));
    let error = f.sms(&Content::text("hi")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry(), Retry::Temporary { after: Some(Duration::from_secs(7)) });
    assert!(
        matches!(RetryPolicy::default().decide(&error, 1, false), RetryDecision::RetryAfter(d) if d >= Duration::from_secs(7))
    );
}

#[tokio::test]
async fn an_invalid_number_is_recipient_unavailable() {
    let f = fixture().await;
    f.api.enqueue(twilio_error(400, 21211, "Invalid 'To' Phone Number: +66812XXXXX"));
    let error = f.sms(&Content::text("hi")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RecipientUnavailable);
    assert!(!error.is_temporary());
    assert_eq!(TwilioApiError::of(&error).map(|e| (e.status, e.code)), Some((400, Some(21211))));
}

#[tokio::test]
async fn refused_credentials_are_token_invalid_and_never_appear_in_the_error() {
    let f = fixture().await;
    let wrong =
        TwilioCredentials::api_key(API_KEY_SID, "wrong-secret-0123456789abcdef").unwrap().to_token_set().access_token;
    let error = f.send_as(&f.sms, &common::sms_customer(&f.sms), &Content::text("hi"), &wrong).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert_eq!(TwilioApiError::of(&error).and_then(|e| e.code), Some(20003));
    let shown = format!("{error} {error:?}");
    for secret in ["wrong-secret-0123456789abcdef", API_KEY_SECRET, AUTH_TOKEN] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    // The Auth Token works as well, with the Account SID as the user name.
    let token = TwilioCredentials::auth_token(AUTH_TOKEN).to_token_set().access_token;
    f.send_as(&f.sms, &common::sms_customer(&f.sms), &Content::text("hi"), &token).await.unwrap();
    assert_eq!(f.api.requests()[1].header("authorization"), Some(common::basic(ACCOUNT_SID, AUTH_TOKEN).as_str()));
}

#[tokio::test]
async fn a_send_whose_answer_is_lost_stays_unknown_and_is_never_resent() {
    let f = fixture().await;
    f.api.enqueue(created("SM8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e", Some("1")).delayed(Duration::from_secs(4)));
    let timeout = f.sms(&Content::text("hi")).await.unwrap_err();
    assert_eq!((timeout.kind(), timeout.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
    assert!(matches!(RetryPolicy::default().decide(&timeout, 1, false), RetryDecision::Unknown(_)));
    assert!(timeout.message().contains("idempotency"));
    for status in [500, 502, 504] {
        f.api.enqueue(ScriptedResponse::text(status, "upstream error"));
        let error = f.sms(&Content::text("hi")).await.unwrap_err();
        assert_eq!((error.kind(), error.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent), "{status}");
    }
    f.api.enqueue(ScriptedResponse::text(503, "maintenance"));
    assert!(f.sms(&Content::text("hi")).await.unwrap_err().is_temporary());
    assert_eq!(f.api.request_count(), 5, "the channel itself never resends");
}

#[tokio::test]
async fn missing_credentials_and_unsendable_content_fail_before_any_call() {
    let f = fixture().await;
    let content = Content::text("hi");
    let recipient = common::sms_customer(&f.sms);
    let no_token = SendRequest::new(&f.sms, &recipient, &content, MessageId::new());
    assert_eq!(f.channel.send(&no_token).await.unwrap_err().kind(), ErrorKind::Configuration);
    // A channel configured for inspection only (no Account SID) cannot send.
    let config = unibox_channel_twilio::TwilioConfig::builder()
        .auth_token(AUTH_TOKEN)
        .webhook_url(common::URL)
        .api_base_url(f.api.url())
        .build()
        .unwrap();
    let client = std::sync::Arc::new(unibox_core::http::ReqwestClient::new());
    let inspector = TwilioChannel::new(config).with_http_client(client);
    let with_token =
        SendRequest::new(&f.sms, &recipient, &content, MessageId::new()).with_access_token(Some(&f.stored));
    let refused = inspector.send(&with_token).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.message().contains("Account SID"));
    let location = Content::Location { latitude: 13.7, longitude: 100.5, name: None, address: None };
    assert_eq!(f.sms(&location).await.unwrap_err().kind(), ErrorKind::Unsupported);
    let mut media = Media::from_url("https://cdn.example.com/p/TH-20931.jpg".parse().unwrap());
    media.source = unibox_core::MediaSource::PlatformId { id: "ME1".into() };
    assert_eq!(f.sms(&Content::Image(media)).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(f.api.request_count(), 0);
}

#[tokio::test]
async fn media_downloads_send_credentials_to_twilio_only_and_follow_the_redirect_without_them() {
    let f = fixture().await;
    let media_path = format!(
        "/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM2dae4f6a8b0c2d4e6f8a0b2c4d6e8f0a/Media/ME4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c"
    );
    f.api.enqueue(
        ScriptedResponse::status(307)
            .with_header("Location", "/media-store/ME4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c?Signature=abc"),
    );
    f.api.enqueue(
        ScriptedResponse::status(200).with_header("Content-Type", "image/jpeg").with_body(vec![0xFF, 0xD8, 0xFF, 0xE0]),
    );
    let media = f.channel.download_media(&f.api.url_for(&media_path), &f.stored, 1024).await.unwrap();
    assert_eq!((media.content_type.as_deref(), media.bytes.len()), (Some("image/jpeg"), 4));
    let requests = f.api.requests();
    assert_eq!(requests[0].header("authorization"), Some(common::basic(API_KEY_SID, API_KEY_SECRET).as_str()));
    assert_eq!(requests[1].path(), "/media-store/ME4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c");
    assert_eq!(requests[1].header("authorization"), None, "the media store gets no credentials");

    let elsewhere = "https://attacker.example.com/2010-04-01/Accounts/AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/Media/ME1"
        .parse()
        .unwrap();
    assert_eq!(
        f.channel.download_media(&elsewhere, &f.stored, 1024).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let other_account = f.api.url_for("/2010-04-01/Accounts/AC0000000000000000000000000000000a/Messages/MM1/Media/ME1");
    assert_eq!(
        f.channel.download_media(&other_account, &f.stored, 1024).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(f.api.request_count(), 2);

    f.api.enqueue(twilio_error(404, 20404, "The requested resource was not found"));
    let gone = f.channel.download_media(&f.api.url_for(&media_path), &f.stored, 1024).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    f.api.enqueue(ScriptedResponse::status(200).with_body(vec![0u8; 2048]));
    assert_eq!(
        f.channel.download_media(&f.api.url_for(&media_path), &f.stored, 1024).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
