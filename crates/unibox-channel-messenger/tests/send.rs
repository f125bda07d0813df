//! Outbound calls over real HTTP on loopback against a fake Graph API: the requests Meta
//! receives, and every row of the error table.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_messenger::{AppCredentials, AppSecret, MessengerChannel, TokenRefresh};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{
    Button, ButtonAction, Channel, ChannelAccount, ChannelKind, ContactIdentity, Content, ContentKind, Error,
    ErrorKind, IdentityKind, ManualClock, Media, MediaSource, MessageId, QuickReply, Retry, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{APP_SECRET, PAGE_ID, PAGE_TOKEN, PSID};

struct Fixture {
    graph: FakeServer,
    channel: MessengerChannel,
    account: ChannelAccount,
    recipient: ContactIdentity,
    token: SecretString,
}

async fn fixture() -> Fixture {
    let graph = FakeServer::start().await.unwrap();
    graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_out_default"})));
    let channel = common::sending_channel(graph.url());
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-messenger".parse().unwrap(),
        ChannelKind::MESSENGER,
        PAGE_ID,
        Timestamp::from_unix_seconds(1_732_000_000),
    );
    let recipient = ContactIdentity { account: account.id, kind: IdentityKind::PageScopedId, value: PSID.into() };
    Fixture { graph, channel, account, recipient, token: SecretString::from(PAGE_TOKEN) }
}

impl Fixture {
    async fn send_as(
        &self,
        content: &Content,
        human_agent: bool,
        reply_to: Option<&str>,
    ) -> Result<SendReceipt, Error> {
        let request = SendRequest::new(&self.account, &self.recipient, content, MessageId::new())
            .with_access_token(Some(&self.token))
            .with_human_agent(human_agent)
            .with_reply_to(reply_to)
            .with_since_customer_message(Some(Duration::from_secs(60)));
        self.channel.send(&request).await
    }

    async fn send(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_as(content, false, None).await
    }

    async fn failure(&self, response: ScriptedResponse) -> Error {
        self.graph.enqueue(response);
        self.send(&Content::text("Your order TH-20931 shipped")).await.expect_err("the send should fail")
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.graph.requests().iter().map(|r| r.json().unwrap()).collect()
    }
}

fn graph_error(code: i64, subcode: Option<i64>) -> ScriptedResponse {
    ScriptedResponse::json(
        400,
        &json!({"error": {"message": "(#code) something", "type": "OAuthException", "code": code,
                          "error_subcode": subcode, "fbtrace_id": "AjUuEq4Zz8NVHxjjvtq0Zwz"}}),
    )
}

fn expected_proof() -> String {
    AppSecret::new(APP_SECRET).appsecret_proof(&SecretString::from(PAGE_TOKEN))
}

fn assert_authenticated(request: &RecordedRequest) {
    assert_eq!(request.header("authorization"), Some(format!("Bearer {PAGE_TOKEN}").as_str()));
    assert_eq!(request.query(), Some(format!("appsecret_proof={}", expected_proof()).as_str()));
    assert!(!request.target.contains(PAGE_TOKEN), "the token is never in the URL");
}

#[tokio::test]
async fn a_text_posts_the_send_api_body_with_bearer_token_and_appsecret_proof() {
    let f = fixture().await;
    f.graph.enqueue(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_AG5Hz2U"})));
    let receipt = f.send(&Content::text("Your order TH-20931 shipped")).await.unwrap();
    assert_eq!(receipt.platform_message_id, "m_AG5Hz2U");
    let request = f.graph.last_request().unwrap();
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.path(), format!("/v23.0/{PAGE_ID}/messages"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_authenticated(&request);
    assert_eq!(
        request.json().unwrap(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Your order TH-20931 shipped"}})
    );
}

#[tokio::test]
async fn a_human_agent_reply_inside_24_hours_is_a_plain_response_and_names_the_replied_message() {
    let f = fixture().await;
    f.send_as(&Content::text("I checked with the warehouse"), true, Some("m_in_41")).await.unwrap();
    assert_eq!(
        f.bodies()[0],
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
               "message": {"text": "I checked with the warehouse"}, "reply_to": {"mid": "m_in_41"}})
    );
}

#[tokio::test]
async fn after_24_hours_only_a_human_agent_of_a_tagging_app_sends_and_with_the_human_agent_tag() {
    let f = fixture().await;
    let content = Content::text("Sorry for the wait, it ships today");
    let request = |human_agent: bool, since: Option<Duration>| {
        SendRequest::new(&f.account, &f.recipient, &content, MessageId::new())
            .with_access_token(Some(&f.token))
            .with_human_agent(human_agent)
            .with_since_customer_message(since)
    };
    let thirty_hours = Some(Duration::from_secs(30 * 3600));

    let tagging = common::tagging_channel(f.graph.url());
    assert_eq!(
        tagging.capabilities().messaging_window.as_ref().unwrap().human_agent,
        Some(Duration::from_secs(7 * 86_400))
    );
    tagging.send(&request(true, thirty_hours)).await.unwrap();
    let body = f.graph.last_request().unwrap().json().unwrap();
    assert_eq!((body["messaging_type"].as_str(), body["tag"].as_str()), (Some("MESSAGE_TAG"), Some("HUMAN_AGENT")));

    // By default the app has no Human Agent permission: a typed refusal, before any call.
    assert!(f.channel.capabilities().messaging_window.as_ref().unwrap().human_agent.is_none());
    let untagged = f.channel.send(&request(true, thirty_hours)).await.unwrap_err();
    assert_eq!(untagged.kind(), ErrorKind::MessagingWindowClosed);
    assert!(untagged.message().contains("Human Agent permission"), "{untagged}");
    let automation = tagging.send(&request(false, thirty_hours)).await.unwrap_err();
    assert_eq!(automation.kind(), ErrorKind::MessagingWindowClosed);
    let eight_days = tagging.send(&request(true, Some(Duration::from_secs(8 * 86_400)))).await.unwrap_err();
    assert_eq!(eight_days.kind(), ErrorKind::MessagingWindowClosed);
    let never_wrote = tagging.send(&request(true, None)).await.unwrap_err();
    assert_eq!(never_wrote.kind(), ErrorKind::MessagingWindowClosed);
    assert_eq!(f.graph.request_count(), 1, "only the tagged send reached Graph");
}

#[tokio::test]
async fn media_by_url_or_attachment_id_and_a_caption_as_a_following_text() {
    let f = fixture().await;
    f.graph.enqueue(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_image"})));
    f.graph.enqueue(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_caption"})));
    let image = Content::Image(Media {
        source: MediaSource::Url { url: "https://cdn.example.com/parcels/TH-20931.jpg".parse().unwrap() },
        mime_type: Some("image/jpeg".into()),
        caption: Some("Your parcel, packed".into()),
        file_name: None,
    });
    assert_eq!(f.send(&image).await.unwrap().platform_message_id, "m_image");
    let bodies = f.bodies();
    assert_eq!(
        bodies[0]["message"],
        json!({"attachment": {"type": "image", "payload": {"url": "https://cdn.example.com/parcels/TH-20931.jpg", "is_reusable": true}}})
    );
    assert_eq!(bodies[1]["message"], json!({"text": "Your parcel, packed"}));

    let uploaded = Content::File(Media {
        source: MediaSource::PlatformId { id: "1857777774821032".into() },
        mime_type: None,
        caption: None,
        file_name: Some("INV-2024-0042.pdf".into()),
    });
    f.send(&uploaded).await.unwrap();
    assert_eq!(
        f.graph.last_request().unwrap().json().unwrap()["message"],
        json!({"attachment": {"type": "file", "payload": {"attachment_id": "1857777774821032"}}})
    );
}

#[tokio::test]
async fn quick_replies_buttons_and_reactions_have_their_send_api_shapes() {
    let f = fixture().await;
    let quick = Content::QuickReplies {
        text: "Which size?".into(),
        replies: vec![QuickReply { title: "M".into(), payload: "SIZE_M".into() }],
    };
    f.send(&quick).await.unwrap();
    assert_eq!(
        f.graph.last_request().unwrap().json().unwrap()["message"],
        json!({"text": "Which size?", "quick_replies": [{"content_type": "text", "title": "M", "payload": "SIZE_M"}]})
    );
    let buttons = Content::Buttons {
        text: "Was your problem solved?".into(),
        buttons: vec![
            Button { title: "Yes".into(), action: ButtonAction::Postback { payload: "CSAT_YES".into() } },
            Button {
                title: "Track".into(),
                action: ButtonAction::Url { url: "https://acme.example/t/1".parse().unwrap() },
            },
            Button { title: "Call us".into(), action: ButtonAction::Call { phone: "+6621234567".into() } },
        ],
    };
    f.send(&buttons).await.unwrap();
    assert_eq!(
        f.graph.last_request().unwrap().json().unwrap()["message"]["attachment"]["payload"],
        json!({"template_type": "button", "text": "Was your problem solved?", "buttons": [
            {"type": "postback", "title": "Yes", "payload": "CSAT_YES"},
            {"type": "web_url", "title": "Track", "url": "https://acme.example/t/1"},
            {"type": "phone_number", "title": "Call us", "payload": "+6621234567"}]})
    );
    f.graph.enqueue(ScriptedResponse::json(200, &json!({"recipient_id": PSID})));
    let receipt = f.send(&Content::Reaction { target_message_id: "m_in_41".into(), emoji: "❤️".into() }).await.unwrap();
    assert_eq!(receipt.platform_message_id, "reaction:m_in_41");
    assert_eq!(
        f.graph.last_request().unwrap().json().unwrap(),
        json!({"recipient": {"id": PSID}, "sender_action": "react", "payload": {"message_id": "m_in_41", "reaction": "love"}})
    );
}

#[tokio::test]
async fn content_the_send_api_cannot_express_is_refused_before_any_call() {
    let f = fixture().await;
    let template = Content::Template { name: "order_shipped".into(), language: "en_US".into(), parameters: vec![] };
    assert_eq!(f.send(&template).await.unwrap_err().kind(), ErrorKind::Unsupported);
    let too_many = Content::QuickReplies {
        text: "Pick".into(),
        replies: (0..14).map(|i| QuickReply { title: format!("{i}"), payload: format!("P{i}") }).collect(),
    };
    assert_eq!(f.send(&too_many).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    let content = Content::text("hi");
    let without_token = SendRequest::new(&f.account, &f.recipient, &content, MessageId::new())
        .with_since_customer_message(Some(Duration::from_secs(60)));
    assert_eq!(f.channel.send(&without_token).await.unwrap_err().kind(), ErrorKind::TokenInvalid);
    assert_eq!(f.graph.request_count(), 0);
    assert!(!f.channel.capabilities().can_send(ContentKind::Template));
}

#[tokio::test]
async fn every_graph_error_maps_to_its_kind() {
    let f = fixture().await;
    let expired = f.failure(graph_error(190, Some(463))).await;
    assert_eq!(expired.kind(), ErrorKind::TokenInvalid);
    assert_eq!(expired.retry(), Retry::Permanent);
    assert!(!expired.to_string().contains(PAGE_TOKEN));

    let throttled = f
        .failure(graph_error(4, None).with_header(
            "X-Business-Use-Case-Usage",
            r#"{"104738291837465":[{"type":"messenger","call_count":100,"total_cputime":20,"total_time":35,"estimated_time_to_regain_access":2}]}"#,
        ))
        .await;
    assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    assert_eq!(throttled.retry_after(), Some(Duration::from_secs(120)));
    for code in [17, 32, 613, 80006] {
        let error = f.failure(graph_error(code, None)).await;
        assert_eq!(error.kind(), ErrorKind::RateLimited, "code {code}");
        assert!(error.is_temporary());
    }
    let app_usage = f
        .failure(
            graph_error(4, None).with_header("X-App-Usage", r#"{"call_count":100,"total_time":12,"total_cputime":4}"#),
        )
        .await;
    assert_eq!(app_usage.retry_after(), Some(unibox_channel_meta::EXHAUSTED_BUDGET_WAIT));

    assert_eq!(f.failure(graph_error(10, Some(2018278))).await.kind(), ErrorKind::MessagingWindowClosed);
    assert_eq!(f.failure(graph_error(551, None)).await.kind(), ErrorKind::RecipientUnavailable);
    assert_eq!(f.failure(graph_error(100, Some(2018001))).await.kind(), ErrorKind::RecipientUnavailable);
    assert_eq!(f.failure(graph_error(100, None)).await.kind(), ErrorKind::InvalidInput);
    assert_eq!(f.failure(graph_error(230, None)).await.kind(), ErrorKind::PlatformRejected);
    let temporary = f.failure(graph_error(2, None)).await;
    assert_eq!((temporary.kind(), temporary.is_temporary()), (ErrorKind::PlatformUnavailable, true));
    let transient = f
        .failure(ScriptedResponse::json(
            500,
            &json!({"error": {"message": "An unexpected error has occurred.", "code": 99_999, "is_transient": true}}),
        ))
        .await;
    assert_eq!((transient.kind(), transient.is_temporary()), (ErrorKind::PlatformUnavailable, true));
    let gateway = f.failure(ScriptedResponse::text(502, "<html>Bad Gateway</html>")).await;
    assert_eq!(gateway.kind(), ErrorKind::PlatformUnavailable);
    let lost = f.failure(ScriptedResponse::hang_up()).await;
    assert_eq!(lost.kind(), ErrorKind::DeliveryUnknown);
}

#[tokio::test]
async fn sender_actions_mark_seen_and_typing() {
    let f = fixture().await;
    f.graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": PSID})));
    f.channel.mark_seen(&f.account, PSID, Some(&f.token)).await.unwrap();
    f.channel.typing(&f.account, PSID, true, Some(&f.token)).await.unwrap();
    f.channel.typing(&f.account, PSID, false, Some(&f.token)).await.unwrap();
    let actions: Vec<String> = f.bodies().iter().map(|b| b["sender_action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(actions, ["mark_seen", "typing_on", "typing_off"]);
    assert_authenticated(&f.graph.last_request().unwrap());
}

#[tokio::test]
async fn an_attachment_upload_is_multipart_and_returns_the_attachment_id() {
    let f = fixture().await;
    f.graph.enqueue(ScriptedResponse::json(200, &json!({"attachment_id": "1857777774821032"})));
    let sender = f.channel.messaging_sender().unwrap();
    let id = sender
        .upload_attachment(
            &f.account,
            Some(&f.token),
            ContentKind::Image,
            "desk.jpg",
            "image/jpeg",
            vec![0xff, 0xd8, 0xff, 0xe0],
        )
        .await
        .unwrap();
    assert_eq!(id, "1857777774821032");
    let request = f.graph.last_request().unwrap();
    assert_eq!(request.path(), format!("/v23.0/{PAGE_ID}/message_attachments"));
    assert!(request.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8_lossy(&request.body);
    assert!(body.contains(r#"name="message""#) && body.contains(r#""is_reusable":true"#));
    assert!(body.contains(r#"name="filedata"; filename="desk.jpg""#) && body.contains("Content-Type: image/jpeg"));
    assert_authenticated(&request);
}

#[tokio::test]
async fn a_long_lived_token_is_exchanged_with_the_secret_in_the_body_not_the_url() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"access_token": "EAAGm0PX4ZCpsBAnewLongLived", "token_type": "bearer", "expires_in": 5_183_944}),
    ));
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_732_000_000));
    let channel = unibox_channel_messenger::builder()
        .app_secret(common::secret())
        .verify_token("t")
        .graph_base_url(graph.url())
        .http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()))
        .token_refresh(TokenRefresh::FacebookExchange(AppCredentials::new("1234567890123456", common::secret())))
        .clock(std::sync::Arc::new(clock))
        .build()
        .unwrap();
    assert!(channel.capabilities().token_refresh);
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-messenger".parse().unwrap(),
        ChannelKind::MESSENGER,
        PAGE_ID,
        Timestamp::from_unix_seconds(0),
    );
    let fresh = channel.refresh_tokens(&account, &TokenSet::new(PAGE_TOKEN)).await.unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&fresh.access_token), "EAAGm0PX4ZCpsBAnewLongLived");
    assert_eq!(fresh.expires_at, Some(Timestamp::from_unix_seconds(1_732_000_000 + 5_183_944)));
    let request = graph.last_request().unwrap();
    assert_eq!(request.path(), "/v23.0/oauth/access_token");
    assert!(!request.target.contains(APP_SECRET) && !request.target.contains(PAGE_TOKEN));
    let form = String::from_utf8(request.body.to_vec()).unwrap();
    assert!(form.contains("grant_type=fb_exchange_token") && form.contains("client_id=1234567890123456"));
    assert!(form.contains(&format!("fb_exchange_token={PAGE_TOKEN}")));

    graph.enqueue(graph_error(190, Some(463)));
    let expired = channel.refresh_tokens(&account, &TokenSet::new(PAGE_TOKEN)).await.unwrap_err();
    assert_eq!(expired.kind(), ErrorKind::TokenInvalid);
    let fixed = common::channel();
    assert_eq!(
        fixed.refresh_tokens(&account, &TokenSet::new(PAGE_TOKEN)).await.unwrap_err().kind(),
        ErrorKind::Configuration
    );
}

#[tokio::test]
async fn a_graph_base_url_keeps_its_path() {
    let graph = FakeServer::start().await.unwrap();
    graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_proxied"})));
    let proxied = common::sending_channel(graph.url_for("/meta-proxy"));
    let f = fixture().await;
    let content = Content::text("Your order TH-20931 shipped");
    let request = SendRequest::new(&f.account, &f.recipient, &content, MessageId::new())
        .with_access_token(Some(&f.token))
        .with_since_customer_message(Some(Duration::from_secs(60)));

    proxied.send(&request).await.unwrap();
    assert_eq!(graph.last_request().unwrap().path(), format!("/meta-proxy/v23.0/{PAGE_ID}/messages"));
}
