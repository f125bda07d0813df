//! Outbound calls over real HTTP on loopback against a fake LINE API: reply within the window,
//! push with `X-Line-Retry-Key` otherwise, the retry key reused across retries, 409 as "sent
//! once", the invalid-reply-token fallback, and the error table.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_line::{LineApiError, LineChannel, TokenIssuance, retry_key};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::delivery::{RetryDecision, RetryPolicy};
use unibox_core::{
    Channel, ChannelAccount, ContactIdentity, Content, Error, ErrorKind, ManualClock, Media, MessageId, Retry,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{ACCESS_TOKEN, FakeLine, USER};

struct Fixture {
    api: FakeServer,
    clock: Arc<ManualClock>,
    channel: LineChannel,
    account: ChannelAccount,
    recipient: ContactIdentity,
    token: SecretString,
}

async fn fixture() -> Fixture {
    let api = FakeServer::start().await.unwrap();
    let line = FakeLine::default();
    api.respond_with(move |request| line.answer(request));
    let clock = common::clock();
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, clock.clone());
    let account = common::account();
    let recipient = common::customer(&account);
    Fixture { api, clock, channel, account, recipient, token: SecretString::from(ACCESS_TOKEN) }
}

impl Fixture {
    async fn send_id(&self, content: &Content, message_id: MessageId) -> Result<SendReceipt, Error> {
        let request =
            SendRequest::new(&self.account, &self.recipient, content, message_id).with_access_token(Some(&self.token));
        self.channel.send(&request).await
    }

    async fn send(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_id(content, MessageId::new()).await
    }

    /// The customer writes: the channel parses a live text event and holds its reply token.
    fn customer_writes(&self) {
        common::events_of(&self.channel, &common::fixture("text"));
    }

    fn paths(&self) -> Vec<String> {
        self.api.requests().iter().map(|r| r.path().to_owned()).collect()
    }
}

fn text() -> Content {
    Content::text("Hi Somchai, your order TH-20931 left our Bangkok warehouse this morning.")
}

#[tokio::test]
async fn a_fresh_reply_token_replies_once_then_sends_push() {
    let f = fixture().await;
    f.customer_writes();
    let first = f.send(&text()).await.unwrap();
    let second = f.send(&text()).await.unwrap();
    assert_ne!(first.platform_message_id, second.platform_message_id);
    assert!(first.used_reply_token && !second.used_reply_token, "only the reply is free of the push quota");
    assert_eq!(f.paths(), ["/v2/bot/message/reply", "/v2/bot/message/push"]);

    let requests = f.api.requests();
    let reply = requests[0].json().unwrap();
    assert_eq!(reply["replyToken"], "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA7G8H");
    assert_eq!(reply["messages"], json!([{"type": "text", "text": text().searchable_text().unwrap()}]));
    assert_eq!(requests[0].header("x-line-retry-key"), None, "a reply never carries the retry key");
    let push = requests[1].json().unwrap();
    assert_eq!(push["to"], USER);
    assert!(push.get("replyToken").is_none());
    assert_eq!(f.channel.held_reply_tokens(), 0);
}

#[tokio::test]
async fn after_the_reply_window_a_send_pushes() {
    let f = fixture().await;
    f.customer_writes();
    // The event is 2 s old at receipt; its token's age counts from the event: 50 s now.
    f.clock.advance(Duration::from_secs(48));
    f.send(&text()).await.unwrap();
    assert_eq!(f.paths(), ["/v2/bot/message/push"]);
}

#[tokio::test]
async fn a_push_carries_the_message_id_as_retry_key_on_the_first_attempt_and_every_retry() {
    let f = fixture().await;
    let message = MessageId::new();
    f.api.enqueue(ScriptedResponse::json(500, &json!({"message": "An internal server error occurred."})));
    let failed = f.send_id(&text(), message).await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::PlatformUnavailable);
    assert!(failed.is_temporary(), "a push's 500 is retried: the key deduplicates");
    f.send_id(&text(), message).await.unwrap();

    let keys: Vec<Option<String>> =
        f.api.requests().iter().map(|r| r.header("x-line-retry-key").map(str::to_owned)).collect();
    assert_eq!(keys, vec![Some(retry_key(message)), Some(retry_key(message))]);
    assert_eq!(retry_key(message), message.to_string());
}

/// Accepts the first push but loses its answer (`lose` turns LINE's answer into a hang-up or a
/// late answer); answers later attempts as LINE does.
fn losing_the_first_answer(
    line: FakeLine,
    lost: Arc<AtomicUsize>,
    lose: fn(ScriptedResponse) -> ScriptedResponse,
) -> impl Fn(&RecordedRequest) -> ScriptedResponse {
    move |request| {
        let answer = line.answer(request);
        if answer.status == 200 && lost.fetch_add(1, Ordering::SeqCst) == 0 { lose(answer) } else { answer }
    }
}

/// The push is accepted but its answer never arrives (`lose`); retries of the same message get
/// 409 and name the one accepted message.
async fn accepted_push_with_a_lost_answer(lose: fn(ScriptedResponse) -> ScriptedResponse) {
    let f = fixture().await;
    let lost = Arc::new(AtomicUsize::new(0));
    f.api.respond_with(losing_the_first_answer(FakeLine::default(), lost.clone(), lose));
    let message = MessageId::new();

    let unknown = f.send_id(&text(), message).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::DeliveryUnknown);
    assert_ne!(unknown.retry(), Retry::Persistent);
    assert!(matches!(RetryPolicy::default().decide(&unknown, 1, true), RetryDecision::RetryAfter(_)));

    let again = f.send_id(&text(), message).await.unwrap();
    let third = f.send_id(&text(), message).await.unwrap();
    assert_eq!(again.platform_message_id, third.platform_message_id, "every retry names the one accepted message");
    assert_eq!(f.paths(), ["/v2/bot/message/push"; 3]);
    let keys: std::collections::HashSet<Option<String>> =
        f.api.requests().iter().map(|r| r.header("x-line-retry-key").map(str::to_owned)).collect();
    assert_eq!(keys, std::collections::HashSet::from([Some(retry_key(message))]), "one retry key for every attempt");
    assert_eq!(lost.load(Ordering::SeqCst), 1, "LINE accepted the message exactly once");
}

#[tokio::test]
async fn a_push_whose_connection_broke_after_acceptance_is_sent_once() {
    accepted_push_with_a_lost_answer(|_| ScriptedResponse::hang_up()).await;
}

#[tokio::test]
async fn a_push_that_timed_out_after_acceptance_is_sent_once() {
    // The client gives up after 1.5 s; LINE's answer would come after 4 s.
    accepted_push_with_a_lost_answer(|answer| answer.delayed(Duration::from_secs(4))).await;
}

#[tokio::test]
async fn a_409_without_sent_messages_uses_the_accepted_request_id() {
    let f = fixture().await;
    f.api.enqueue(
        ScriptedResponse::json(409, &json!({"message": "The retry key is already accepted"}))
            .with_header("x-line-accepted-request-id", "123e4567-e89b-12d3-a456-426614174000"),
    );
    let receipt = f.send(&text()).await.unwrap();
    assert_eq!(receipt.platform_message_id, "123e4567-e89b-12d3-a456-426614174000");
}

#[tokio::test]
async fn a_message_once_pushed_is_never_switched_to_a_reply() {
    let f = fixture().await;
    let message = MessageId::new();
    f.api.enqueue(ScriptedResponse::json(429, &json!({"message": "Too Many Requests"})));
    assert_eq!(f.send_id(&text(), message).await.unwrap_err().kind(), ErrorKind::RateLimited);
    f.customer_writes();
    f.send_id(&text(), message).await.unwrap();
    assert_eq!(f.paths(), ["/v2/bot/message/push", "/v2/bot/message/push"]);
    assert_eq!(f.channel.held_reply_tokens(), 1, "the token stays for another message");
}

#[tokio::test]
async fn an_invalid_reply_token_falls_back_to_push() {
    let f = fixture().await;
    f.customer_writes();
    f.api.enqueue(ScriptedResponse::json(400, &json!({"message": "Invalid reply token"})));
    let receipt = f.send(&text()).await.unwrap();
    assert!(!receipt.platform_message_id.is_empty());
    assert_eq!(f.paths(), ["/v2/bot/message/reply", "/v2/bot/message/push"]);
    assert!(f.api.requests()[1].header("x-line-retry-key").is_some());
}

#[tokio::test]
async fn a_reply_whose_answer_is_lost_is_unknown_and_never_resent_automatically() {
    let f = fixture().await;
    f.customer_writes();
    f.api.enqueue(ScriptedResponse::json(200, &json!({"sentMessages": []})).delayed(Duration::from_secs(4)));
    let timeout = f.send(&text()).await.unwrap_err();
    assert_eq!(timeout.kind(), ErrorKind::DeliveryUnknown);
    assert_eq!(timeout.retry(), Retry::Persistent);
    assert!(matches!(RetryPolicy::default().decide(&timeout, 1, true), RetryDecision::Unknown(_)));

    f.customer_writes();
    f.api.enqueue(ScriptedResponse::json(500, &json!({"message": "An internal server error occurred."})));
    let failed = f.send(&text()).await.unwrap_err();
    assert_eq!((failed.kind(), failed.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
    assert_eq!(f.paths(), ["/v2/bot/message/reply", "/v2/bot/message/reply"], "no push after an ambiguous reply");
}

#[tokio::test]
async fn throttling_and_quota_map_to_rate_limited_without_a_delay() {
    let f = fixture().await;
    f.api.enqueue(ScriptedResponse::json(429, &json!({"message": "Too Many Requests"})));
    let throttled = f.send(&text()).await.unwrap_err();
    assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    assert_eq!(throttled.retry(), Retry::Temporary { after: None });
    f.api.enqueue(ScriptedResponse::json(429, &json!({"message": "You have reached your monthly limit."})));
    let quota = f.send(&text()).await.unwrap_err();
    assert_eq!(quota.kind(), ErrorKind::RateLimited);
    assert!(!quota.is_temporary(), "the monthly quota does not come back after a backoff");
}

#[tokio::test]
async fn the_token_goes_only_in_the_authorization_header_and_a_refused_one_is_token_invalid() {
    let f = fixture().await;
    f.send(&text()).await.unwrap();
    let request = &f.api.requests()[0];
    assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    assert!(!request.target.contains(ACCESS_TOKEN));
    assert!(!String::from_utf8_lossy(&request.body).contains(ACCESS_TOKEN));

    let wrong = SecretString::from("revoked-token");
    let content = text();
    let refused = f
        .channel
        .send(&SendRequest::new(&f.account, &f.recipient, &content, MessageId::new()).with_access_token(Some(&wrong)))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TokenInvalid);
    assert!(!refused.to_string().contains("revoked-token"));
    assert_eq!(LineApiError::of(&refused).map(|e| e.status), Some(401));
}

#[tokio::test]
async fn an_image_with_a_caption_is_one_request_of_two_messages() {
    let f = fixture().await;
    let mut media = Media::from_url("https://cdn.example.com/parcels/TH-20931.jpg".parse().unwrap());
    media.caption = Some("Your parcel, packed and sealed".into());
    f.send(&Content::Image(media)).await.unwrap();
    let body = f.api.requests()[0].json().unwrap();
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["messages"][0]["originalContentUrl"], "https://cdn.example.com/parcels/TH-20931.jpg");
}

#[tokio::test]
async fn a_bot_in_standby_sends_nothing() {
    let f = fixture().await;
    common::events_of(&f.channel, &common::fixture("standby_text"));
    let refused = f.send(&text()).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PlatformRejected);
    assert!(refused.message().contains("standby"));
    assert_eq!(f.api.request_count(), 0);
}

#[tokio::test]
async fn unsupported_content_and_a_missing_token_fail_before_any_call() {
    let f = fixture().await;
    let card = Content::ContactCard { name: "Acme Support".into(), phones: vec![], emails: vec![] };
    assert_eq!(f.send(&card).await.unwrap_err().kind(), ErrorKind::Unsupported);
    let content = text();
    let no_token = SendRequest::new(&f.account, &f.recipient, &content, MessageId::new());
    assert_eq!(f.channel.send(&no_token).await.unwrap_err().kind(), ErrorKind::Configuration);
    assert_eq!(f.api.request_count(), 0);
}
