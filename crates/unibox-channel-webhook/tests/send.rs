//! Outbound sends over real HTTP on loopback, against the testkit's fake server: the request
//! the receiver gets, and every row of the error table.

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig};
use unibox_core::channel::{SendReceipt, SendRequest, WebhookRequest};
use unibox_core::http::ReqwestClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, Content, Error, ErrorKind, IdentityKind, MessageId, Retry,
    Timestamp,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{NOW, OTHER_SECRET, SECRET};

struct Fixture {
    platform: FakeServer,
    channel: WebhookChannel,
    account: ChannelAccount,
    recipient: ContactIdentity,
}

fn channel_to(url: url::Url, signing: &[&str], timeout: Duration) -> WebhookChannel {
    let mut builder = WebhookChannelConfig::builder().secret(SECRET.into()).send_url(url);
    for secret in signing {
        builder = builder.signing_secret((*secret).into());
    }
    WebhookChannel::new(builder.build().unwrap())
        .with_clock(Arc::new(common::clock()))
        .with_http_client(Arc::new(ReqwestClient::with_timeouts(Duration::from_secs(2), timeout)))
}

async fn fixture() -> Fixture {
    let platform = FakeServer::start().await.unwrap();
    let channel = channel_to(platform.url_for("/unibox/outbound"), &[], Duration::from_secs(5));
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-crm".parse().unwrap(),
        ChannelKind::WEBHOOK,
        "store-th-01",
        Timestamp::from_unix_seconds(NOW),
    );
    let recipient = ContactIdentity { account: account.id, kind: IdentityKind::External, value: "cust-48213".into() };
    Fixture { platform, channel, account, recipient }
}

impl Fixture {
    async fn send(&self, message_id: MessageId) -> Result<SendReceipt, Error> {
        let content = Content::text("Your order TH-20931 left the warehouse this morning.");
        let request = SendRequest::new(&self.account, &self.recipient, &content, message_id);
        self.channel.send(&request).await
    }

    async fn answer(&self, response: ScriptedResponse) -> Result<SendReceipt, Error> {
        self.platform.enqueue(response);
        self.send(MessageId::new()).await
    }

    async fn failure(&self, response: ScriptedResponse) -> Error {
        self.answer(response).await.expect_err("the send should have failed")
    }
}

/// Checks the outbound request's Standard Webhooks signature the way a receiver would.
fn receiver_accepts(request: &RecordedRequest) -> bool {
    let (receiver, _) = common::channel();
    let mut delivery = WebhookRequest::post(common::URL.parse().unwrap(), request.body.clone());
    delivery.headers = request.headers.clone();
    receiver.verify(&delivery).is_ok()
}

#[tokio::test]
async fn a_send_posts_the_documented_json_signed_with_the_message_id() {
    let fixture = fixture().await;
    let message_id = MessageId::new();
    let content = Content::text("Your order TH-20931 left the warehouse this morning.");
    let request = SendRequest::new(&fixture.account, &fixture.recipient, &content, message_id)
        .with_reply_to(Some("crm-msg-90211"))
        .with_human_agent(true);
    fixture.platform.enqueue(ScriptedResponse::json(201, &serde_json::json!({"id": "crm-out-77"})));
    let receipt = fixture.channel.send(&request).await.unwrap();
    assert_eq!(receipt.platform_message_id, "crm-out-77");

    let seen = fixture.platform.last_request().unwrap();
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(seen.target, "/unibox/outbound");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("webhook-id"), Some(message_id.to_string().as_str()));
    assert_eq!(seen.header("webhook-timestamp"), Some(NOW.to_string().as_str()));
    assert!(seen.header("authorization").is_none());
    assert!(receiver_accepts(&seen), "the receiver must accept the signature");
    assert_eq!(
        seen.json().unwrap(),
        serde_json::json!({
            "message_id": message_id.to_string(),
            "account": "store-th-01",
            "recipient": {"kind": "external", "id": "cust-48213"},
            "content": {"type": "text", "text": "Your order TH-20931 left the warehouse this morning."},
            "reply_to": "crm-msg-90211",
            "human_agent": true
        })
    );
}

#[tokio::test]
async fn a_retried_send_carries_the_same_webhook_id() {
    let fixture = fixture().await;
    let message_id = MessageId::new();
    fixture.platform.enqueue(ScriptedResponse::status(503));
    assert!(fixture.send(message_id).await.is_err());
    fixture.send(message_id).await.unwrap();
    let ids: Vec<String> =
        fixture.platform.requests().iter().map(|r| r.header("webhook-id").unwrap().to_owned()).collect();
    assert_eq!(ids, [message_id.to_string(), message_id.to_string()]);
}

#[tokio::test]
async fn every_signing_secret_adds_a_signature() {
    let platform = FakeServer::start().await.unwrap();
    let channel = channel_to(platform.url(), &[OTHER_SECRET, SECRET], Duration::from_secs(5));
    let fixture = Fixture { channel, platform, ..fixture().await };
    fixture.send(MessageId::new()).await.unwrap();
    let seen = fixture.platform.last_request().unwrap();
    let signatures: Vec<&str> = seen.header("webhook-signature").unwrap().split(' ').collect();
    assert_eq!(signatures.len(), 2);
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    assert!(receiver_accepts(&seen), "the signature under SECRET is in the list");
}

#[tokio::test]
async fn the_access_token_is_sent_as_a_bearer_token() {
    let fixture = fixture().await;
    let token = SecretString::from("crm-api-key-5f3b");
    let content = Content::text("hello");
    let request = SendRequest::new(&fixture.account, &fixture.recipient, &content, MessageId::new())
        .with_access_token(Some(&token));
    fixture.channel.send(&request).await.unwrap();
    let seen = fixture.platform.last_request().unwrap();
    assert_eq!(seen.header("authorization"), Some("Bearer crm-api-key-5f3b"));
}

#[tokio::test]
async fn success_without_an_id_uses_the_webhook_id() {
    let fixture = fixture().await;
    let message_id = MessageId::new();
    fixture.platform.enqueue(ScriptedResponse::status(204));
    let receipt = fixture.send(message_id).await.unwrap();
    assert_eq!(receipt.platform_message_id, message_id.to_string());
    fixture.platform.enqueue(ScriptedResponse::text(200, "accepted"));
    let receipt = fixture.send(message_id).await.unwrap();
    assert_eq!(receipt.platform_message_id, message_id.to_string());
}

#[tokio::test]
async fn a_conflict_means_already_accepted() {
    let fixture = fixture().await;
    let message_id = MessageId::new();
    fixture.platform.enqueue(ScriptedResponse::status(409));
    assert_eq!(fixture.send(message_id).await.unwrap().platform_message_id, message_id.to_string());
    fixture.platform.enqueue(ScriptedResponse::json(409, &serde_json::json!({"id": "crm-out-1"})));
    assert_eq!(fixture.send(message_id).await.unwrap().platform_message_id, "crm-out-1");
}

#[tokio::test]
async fn refused_credentials_are_token_invalid() {
    let fixture = fixture().await;
    for status in [401, 403] {
        let error = fixture.failure(ScriptedResponse::json(status, &serde_json::json!({"error": "bad key"}))).await;
        assert_eq!(error.kind(), ErrorKind::TokenInvalid, "{status}");
        assert_eq!(error.retry(), Retry::Permanent);
    }
}

#[tokio::test]
async fn throttling_is_rate_limited_with_the_servers_delay() {
    let fixture = fixture().await;
    let error = fixture.failure(ScriptedResponse::status(429).with_header("Retry-After", "7")).await;
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    let error = fixture.failure(ScriptedResponse::status(429)).await;
    assert_eq!(error.retry(), Retry::Temporary { after: None });
}

#[tokio::test]
async fn not_found_and_gone_are_permanent_rejections_of_the_url() {
    let fixture = fixture().await;
    let error = fixture.failure(ScriptedResponse::status(404)).await;
    assert_eq!(error.kind(), ErrorKind::PlatformRejected);
    assert!(error.message().contains("send URL"), "{error}");
    let error = fixture.failure(ScriptedResponse::status(410)).await;
    assert_eq!(error.kind(), ErrorKind::PlatformRejected);
    assert!(error.message().contains("410"), "{error}");
    assert_eq!(error.retry(), Retry::Permanent);
}

#[tokio::test]
async fn the_receiver_can_say_the_recipient_is_unavailable() {
    let fixture = fixture().await;
    let body = serde_json::json!({"error": "recipient_unavailable", "message": "customer unsubscribed"});
    let error = fixture.failure(ScriptedResponse::json(422, &body)).await;
    assert_eq!(error.kind(), ErrorKind::RecipientUnavailable);
}

#[tokio::test]
async fn other_client_errors_are_rejections_quoting_the_receiver() {
    let fixture = fixture().await;
    for status in [400, 413, 422] {
        let error =
            fixture.failure(ScriptedResponse::json(status, &serde_json::json!({"error": "content too long"}))).await;
        assert_eq!(error.kind(), ErrorKind::PlatformRejected, "{status}");
        assert_eq!(error.retry(), Retry::Permanent);
        assert!(error.to_string().contains("content too long"), "{error}");
        assert!(error.to_string().contains(&format!("status: {status}")), "{error}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let fixture = fixture().await;
    let error =
        fixture.failure(ScriptedResponse::status(302).with_header("Location", "https://elsewhere.example/")).await;
    assert_eq!(error.kind(), ErrorKind::PlatformRejected);
    assert_eq!(fixture.platform.request_count(), 1);
}

#[tokio::test]
async fn server_errors_are_temporary() {
    let fixture = fixture().await;
    for status in [500, 502, 503, 504] {
        let error = fixture.failure(ScriptedResponse::text(status, "upstream down")).await;
        assert_eq!(error.kind(), ErrorKind::PlatformUnavailable, "{status}");
        assert!(error.is_temporary());
    }
}

#[tokio::test]
async fn a_refused_connection_is_platform_unavailable() {
    let platform = FakeServer::start().await.unwrap();
    let url = platform.url_for("/unibox/outbound");
    platform.shutdown().await;
    let Fixture { account, recipient, .. } = fixture().await;
    let channel = channel_to(url, &[], Duration::from_secs(5));
    let content = Content::text("hello");
    let error = channel.send(&SendRequest::new(&account, &recipient, &content, MessageId::new())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PlatformUnavailable, "{error}");
    assert!(error.is_temporary());
}

#[tokio::test]
async fn a_timeout_is_delivery_unknown() {
    let platform = FakeServer::start().await.unwrap();
    let channel = channel_to(platform.url(), &[], Duration::from_millis(200));
    let fixture = Fixture { channel, platform, ..fixture().await };
    let error = fixture.failure(ScriptedResponse::ok().delayed(Duration::from_secs(5))).await;
    assert_eq!(error.kind(), ErrorKind::DeliveryUnknown, "{error}");
    assert!(error.is_temporary(), "idempotent: a retry with the same webhook-id is safe");
    assert_eq!(fixture.platform.request_count(), 1, "the request did reach the receiver");
}

#[tokio::test]
async fn a_dropped_connection_is_delivery_unknown() {
    let fixture = fixture().await;
    let error = fixture.failure(ScriptedResponse::hang_up()).await;
    assert_eq!(error.kind(), ErrorKind::DeliveryUnknown, "{error}");
}

#[tokio::test]
async fn a_receive_only_channel_refuses_to_send() {
    let Fixture { account, recipient, .. } = fixture().await;
    let (channel, _) = common::channel();
    assert!(channel.capabilities().send.iter().next().is_none());
    assert!(!channel.capabilities().idempotent_send);
    let content = Content::text("hello");
    let error = channel.send(&SendRequest::new(&account, &recipient, &content, MessageId::new())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn a_send_url_without_an_http_client_is_a_configuration_error() {
    let Fixture { account, recipient, .. } = fixture().await;
    let config = WebhookChannelConfig::builder()
        .secret(SECRET.into())
        .send_url("https://crm.example.com/out".parse().unwrap())
        .build()
        .unwrap();
    let channel = WebhookChannel::new(config);
    let content = Content::text("hello");
    let error = channel.send(&SendRequest::new(&account, &recipient, &content, MessageId::new())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn errors_name_the_url_without_its_credentials() {
    let platform = FakeServer::start().await.unwrap();
    let mut url = platform.url_for("/out?api_key=s3cr3t");
    url.set_username("bot").unwrap();
    url.set_password(Some("pa55")).unwrap();
    let channel = channel_to(url, &[], Duration::from_secs(5));
    let fixture = Fixture { channel, platform, ..fixture().await };
    let error = fixture.failure(ScriptedResponse::status(400)).await;
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("/out"), "{shown}");
    assert!(!shown.contains("s3cr3t") && !shown.contains("pa55"), "{shown}");
}

#[tokio::test]
async fn the_send_url_is_called_exactly_with_its_path_and_query() {
    let platform = FakeServer::start().await.unwrap();
    let channel = channel_to(platform.url_for("/crm/hooks/unibox?tenant=acme"), &[], Duration::from_secs(5));
    let fixture = fixture().await;
    let content = Content::text("Your order TH-20931 left the warehouse this morning.");
    platform.enqueue(ScriptedResponse::json(201, &serde_json::json!({"id": "crm-out-78"})));

    channel.send(&SendRequest::new(&fixture.account, &fixture.recipient, &content, MessageId::new())).await.unwrap();
    assert_eq!(platform.last_request().unwrap().target, "/crm/hooks/unibox?tenant=acme");
}
