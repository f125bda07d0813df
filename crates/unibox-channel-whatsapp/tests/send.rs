//! Every outbound call against a loopback fake of the Graph API: the request WhatsApp gets,
//! and every error kind its answers map to.

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use sha2::{Digest, Sha256};
use unibox_channel_meta::{AppSecret, GRAPH_API_VERSION};
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{
    Button, ButtonAction, Channel, ChannelAccount, ContactIdentity, Content, ErrorKind, Media, MediaSource, MessageId,
    QuickReply, Result, Retry, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, APP_SECRET, CUSTOMER, PHONE_NUMBER_ID};

struct Setup {
    graph: FakeServer,
    channel: WhatsAppChannel,
    account: ChannelAccount,
    recipient: ContactIdentity,
    token: SecretString,
}

async fn setup() -> Setup {
    let graph = FakeServer::start().await.unwrap();
    let channel = common::channel_for(&graph);
    let account = common::account();
    let recipient = common::customer(&account);
    Setup { graph, channel, account, recipient, token: SecretString::from(ACCESS_TOKEN) }
}

fn accepted(id: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &json!({"messaging_product": "whatsapp", "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
            "messages": [{"id": id}]}),
    )
}

impl Setup {
    async fn send_with(&self, content: &Content, id: MessageId, reply_to: Option<&str>) -> Result<SendReceipt> {
        let request = SendRequest::new(&self.account, &self.recipient, content, id)
            .with_access_token(Some(&self.token))
            .with_reply_to(reply_to);
        self.channel.send(&request).await
    }

    /// Sends `content` against an accepting fake and returns the JSON body WhatsApp got.
    async fn body_of(&self, content: &Content) -> serde_json::Value {
        self.graph.enqueue(accepted("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBQ0NFUFRFRAA="));
        self.send_with(content, MessageId::new(), None).await.unwrap_or_else(|e| panic!("{content:?}: {e}"));
        self.graph.last_request().unwrap().json().unwrap()
    }
}

fn proof() -> String {
    AppSecret::new(APP_SECRET).appsecret_proof(&SecretString::from(ACCESS_TOKEN))
}

fn media(source: MediaSource, caption: Option<&str>, file_name: Option<&str>) -> Media {
    Media { source, mime_type: None, caption: caption.map(Into::into), file_name: file_name.map(Into::into) }
}

fn url(text: &str) -> MediaSource {
    MediaSource::Url { url: text.parse().unwrap() }
}

#[tokio::test]
async fn a_text_goes_to_the_numbers_endpoint_with_a_bearer_token_and_proof_never_in_the_url() {
    let s = setup().await;
    s.graph.enqueue(accepted("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJURVhUMDEA"));
    let id = MessageId::new();
    let receipt = s.send_with(&Content::text("Your desk left the warehouse."), id, None).await.unwrap();
    assert_eq!(receipt.platform_message_id, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJURVhUMDEA");

    let request = s.graph.last_request().unwrap();
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.path(), format!("/{GRAPH_API_VERSION}/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(request.query(), Some(format!("appsecret_proof={}", proof()).as_str()));
    assert!(!request.target.contains(ACCESS_TOKEN), "the token is never in the URL");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json().unwrap(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER, "type": "text",
            "text": {"body": "Your desk left the warehouse.", "preview_url": false},
            "biz_opaque_callback_data": id.to_string()})
    );
}

#[tokio::test]
async fn a_reply_quotes_the_customers_message() {
    let s = setup().await;
    s.graph.enqueue(accepted("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJSRVBMWTAxAA=="));
    let quoted = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
    s.send_with(&Content::text("Yes, in blue and in oak."), MessageId::new(), Some(quoted)).await.unwrap();
    assert_eq!(s.graph.last_request().unwrap().json().unwrap()["context"], json!({"message_id": quoted}));
}

#[tokio::test]
async fn media_goes_by_link_or_by_uploaded_id_with_caption_and_file_name() {
    let s = setup().await;
    let image =
        s.body_of(&Content::Image(media(url("https://cdn.example.com/p/desk.jpg"), Some("The blue one"), None))).await;
    assert_eq!(image["type"], "image");
    assert_eq!(image["image"], json!({"link": "https://cdn.example.com/p/desk.jpg", "caption": "The blue one"}));
    let video = s.body_of(&Content::Video(media(url("https://cdn.example.com/howto.mp4"), None, None))).await;
    assert_eq!(video["video"], json!({"link": "https://cdn.example.com/howto.mp4"}));
    let audio =
        s.body_of(&Content::Audio(media(MediaSource::PlatformId { id: "2215482298911374".into() }, None, None))).await;
    assert_eq!(audio["audio"], json!({"id": "2215482298911374"}));
    let document = s
        .body_of(&Content::File(media(
            MediaSource::PlatformId { id: "1578926442789123".into() },
            Some("Your invoice"),
            Some("INV-2024-0042.pdf"),
        )))
        .await;
    assert_eq!(document["type"], "document");
    assert_eq!(
        document["document"],
        json!({"id": "1578926442789123", "caption": "Your invoice", "filename": "INV-2024-0042.pdf"})
    );
    let sticker =
        s.body_of(&Content::Sticker { sticker_id: "793234105998142".into(), package_id: None, url: None }).await;
    assert_eq!(sticker["sticker"], json!({"id": "793234105998142"}));
}

#[tokio::test]
async fn locations_contact_cards_templates_and_reactions_have_their_whatsapp_shapes() {
    let s = setup().await;
    let location = s
        .body_of(&Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Acme Store Siam".into()),
            address: Some("991 Rama I Rd, Bangkok".into()),
        })
        .await;
    assert_eq!(
        location["location"],
        json!({"latitude": 13.7466, "longitude": 100.5393, "name": "Acme Store Siam", "address": "991 Rama I Rd, Bangkok"})
    );
    let card = s
        .body_of(&Content::ContactCard {
            name: "Acme Support".into(),
            phones: vec!["+6621234567".into()],
            emails: vec!["support@acme.example".into()],
        })
        .await;
    assert_eq!(card["contacts"][0]["name"]["formatted_name"], "Acme Support");
    assert_eq!(card["contacts"][0]["phones"][0]["phone"], "+6621234567");
    assert_eq!(card["contacts"][0]["emails"][0]["email"], "support@acme.example");
    let template = s
        .body_of(&Content::Template {
            name: "order_shipped".into(),
            language: "en_US".into(),
            parameters: vec!["Sheena".into(), "TH-20931".into()],
        })
        .await;
    assert_eq!(
        template["template"],
        json!({"name": "order_shipped", "language": {"code": "en_US"}, "components": [{"type": "body",
            "parameters": [{"type": "text", "text": "Sheena"}, {"type": "text", "text": "TH-20931"}]}]})
    );
    let bare = s
        .body_of(&Content::Template { name: "hello_world".into(), language: "en_US".into(), parameters: vec![] })
        .await;
    assert!(bare["template"].get("components").is_none());
    let reaction = s
        .body_of(&Content::Reaction {
            target_message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
            emoji: "👍".into(),
        })
        .await;
    assert_eq!(reaction["type"], "reaction");
    assert_eq!(reaction["reaction"]["emoji"], "👍");
}

#[tokio::test]
async fn buttons_and_quick_replies_are_interactive_messages() {
    let s = setup().await;
    let buttons = s
        .body_of(&Content::Buttons {
            text: "Was your problem solved?".into(),
            buttons: vec![
                Button { title: "Yes".into(), action: ButtonAction::Postback { payload: "CSAT_YES".into() } },
                Button { title: "No".into(), action: ButtonAction::Postback { payload: "CSAT_NO".into() } },
            ],
        })
        .await;
    assert_eq!(buttons["type"], "interactive");
    assert_eq!(
        buttons["interactive"],
        json!({"type": "button", "body": {"text": "Was your problem solved?"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "CSAT_YES", "title": "Yes"}},
            {"type": "reply", "reply": {"id": "CSAT_NO", "title": "No"}}]}})
    );
    let replies: Vec<QuickReply> = ["XS", "S", "M", "L", "XL"]
        .iter()
        .map(|size| QuickReply { title: format!("Size {size}"), payload: format!("SIZE_{size}") })
        .collect();
    let list = s.body_of(&Content::QuickReplies { text: "Which size?".into(), replies }).await;
    assert_eq!(list["interactive"]["type"], "list");
    assert_eq!(list["interactive"]["action"]["sections"][0]["rows"][2], json!({"id": "SIZE_M", "title": "Size M"}));
}

fn graph_error(status: u16, code: i64, subcode: Option<i64>) -> ScriptedResponse {
    ScriptedResponse::json(
        status,
        &json!({"error": {"message": format!("(#{code}) error"), "type": "OAuthException", "code": code,
            "error_subcode": subcode, "error_data": {"messaging_product": "whatsapp", "details": "details"},
            "fbtrace_id": "AQZbKk8pFrBf"}}),
    )
}

#[tokio::test]
async fn every_graph_error_maps_to_its_kind_and_retry() {
    let s = setup().await;
    let usage = r#"{"102290129340398":[{"type":"whatsapp_business_messaging","call_count":100,"total_cputime":3,"total_time":5,"estimated_time_to_regain_access":3}]}"#;
    let temporary = |after: Option<u64>| Retry::Temporary { after: after.map(Duration::from_secs) };
    let cases: Vec<(ScriptedResponse, ErrorKind, Retry)> = vec![
        (graph_error(401, 190, Some(463)), ErrorKind::TokenInvalid, Retry::Permanent),
        (graph_error(400, 131047, None), ErrorKind::MessagingWindowClosed, Retry::Permanent),
        (graph_error(400, 470, None), ErrorKind::MessagingWindowClosed, Retry::Permanent),
        (graph_error(400, 131026, None), ErrorKind::RecipientUnavailable, Retry::Permanent),
        (graph_error(400, 131050, None), ErrorKind::RecipientUnavailable, Retry::Permanent),
        (graph_error(400, 131056, None), ErrorKind::RateLimited, temporary(Some(6))),
        (graph_error(400, 130429, None), ErrorKind::RateLimited, temporary(Some(1))),
        (
            graph_error(400, 130429, None).with_header("X-Business-Use-Case-Usage", usage),
            ErrorKind::RateLimited,
            temporary(Some(180)),
        ),
        (graph_error(400, 4, None), ErrorKind::RateLimited, temporary(None)),
        (graph_error(400, 80007, None), ErrorKind::RateLimited, temporary(None)),
        (graph_error(400, 131048, None), ErrorKind::RateLimited, temporary(None)),
        (graph_error(503, 131057, None), ErrorKind::PlatformUnavailable, temporary(Some(60))),
        (graph_error(500, 131000, None), ErrorKind::PlatformUnavailable, temporary(None)),
        (graph_error(400, 132001, None), ErrorKind::PlatformRejected, Retry::Permanent),
        (graph_error(400, 132000, None), ErrorKind::InvalidInput, Retry::Permanent),
        (graph_error(400, 100, None), ErrorKind::InvalidInput, Retry::Permanent),
        (graph_error(403, 10, None), ErrorKind::PlatformRejected, Retry::Permanent),
        (graph_error(400, 133010, None), ErrorKind::Configuration, Retry::Permanent),
        (ScriptedResponse::text(502, "<html>Bad Gateway</html>"), ErrorKind::PlatformUnavailable, temporary(None)),
        (ScriptedResponse::hang_up(), ErrorKind::DeliveryUnknown, temporary(None)),
        (
            ScriptedResponse::json(200, &json!({"messaging_product": "whatsapp", "messages": []})),
            ErrorKind::DeliveryUnknown,
            Retry::Permanent,
        ),
    ];
    for (answer, kind, retry) in cases {
        let described = format!("{} {:?}", answer.status, String::from_utf8_lossy(&answer.body));
        s.graph.enqueue(answer);
        let error = s.send_with(&Content::text("Hello"), MessageId::new(), None).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{described}: {error}");
        assert_eq!(error.retry(), retry, "{described}: {error}");
        assert_eq!(error.operation(), "whatsapp.send", "{described}");
        assert!(!format!("{error} {error:?}").contains(ACCESS_TOKEN), "the token leaked into {error:?}");
    }
}

#[tokio::test]
async fn media_is_uploaded_as_multipart_and_sent_by_its_id() {
    let s = setup().await;
    s.graph.enqueue(ScriptedResponse::json(200, &json!({"id": "1578926442789123"})));
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let id = s
        .channel
        .upload_media(&s.account, &s.token, pdf.clone().into(), "application/pdf", "INV-2024-0042.pdf")
        .await
        .unwrap();
    assert_eq!(id, "1578926442789123");
    let request = s.graph.last_request().unwrap();
    assert_eq!(request.path(), format!("/{GRAPH_API_VERSION}/{PHONE_NUMBER_ID}/media"));
    assert!(request.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8_lossy(&request.body);
    assert!(body.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"), "{body}");
    assert!(body.contains("filename=\"INV-2024-0042.pdf\""), "{body}");
    assert!(request.body.windows(pdf.len()).any(|w| w == pdf.as_slice()), "the file's bytes are in the body");
}

#[tokio::test]
async fn a_media_id_resolves_to_a_short_lived_url_fetched_with_the_token() {
    let s = setup().await;
    let bytes = b"\xff\xd8\xff\xe0 a tiny jpeg".to_vec();
    let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let download_url = s.graph.url_for("/whatsapp_business/attachments/?mid=1479537139650973&ext=1749417000&hash=ATs");
    s.graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"messaging_product": "whatsapp", "url": download_url.as_str(), "mime_type": "image/jpeg",
            "sha256": sha256, "file_size": bytes.len(), "id": "1479537139650973"}),
    ));
    s.graph.enqueue(ScriptedResponse::status(200).with_header("content-type", "image/jpeg").with_body(bytes.clone()));
    let media = s.channel.download_media("1479537139650973", &s.token).await.unwrap();
    assert_eq!(media.bytes.as_ref(), bytes.as_slice());

    // The same file named by a base64 SHA-256, as WhatsApp's webhooks write media hashes.
    let base64_sha256 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Sha256::digest(&bytes));
    s.graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"url": download_url.as_str(), "mime_type": "image/jpeg", "sha256": base64_sha256, "id": "1479537139650973"}),
    ));
    s.graph.enqueue(ScriptedResponse::status(200).with_body(bytes.clone()));
    assert_eq!(s.channel.download_media("1479537139650973", &s.token).await.unwrap().bytes.as_ref(), bytes.as_slice());
    s.graph.clear_requests();
    s.graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"messaging_product": "whatsapp", "url": download_url.as_str(), "mime_type": "image/jpeg",
            "sha256": sha256, "file_size": bytes.len(), "id": "1479537139650973"}),
    ));
    s.graph.enqueue(ScriptedResponse::status(200).with_header("content-type", "image/jpeg").with_body(bytes.clone()));
    let media = s.channel.download_media("1479537139650973", &s.token).await.unwrap();
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));

    let requests = s.graph.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path(), format!("/{GRAPH_API_VERSION}/1479537139650973"));
    assert_eq!(requests[1].path(), "/whatsapp_business/attachments/");
    for request in &requests {
        assert_eq!(request.method, http::Method::GET);
        assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
        assert!(!request.target.contains(ACCESS_TOKEN));
    }
}

#[tokio::test]
async fn corrupted_oversized_and_unknown_media_are_refused() {
    let s = setup().await;
    let info = |size: usize| {
        json!({"url": s.graph.url_for("/media/blob").as_str(), "mime_type": "image/jpeg",
            "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "file_size": size,
            "id": "1479537139650973"})
    };
    s.graph.enqueue(ScriptedResponse::json(200, &info(5)));
    s.graph.enqueue(ScriptedResponse::status(200).with_body("hello"));
    let corrupted = s.channel.download_media("1479537139650973", &s.token).await.unwrap_err();
    assert_eq!(corrupted.kind(), ErrorKind::PlatformRejected);

    let config = WhatsAppConfig::builder()
        .app_secret(APP_SECRET)
        .verify_token(common::VERIFY_TOKEN)
        .graph_base_url(s.graph.url())
        .max_media_bytes(1024)
        .build()
        .unwrap();
    let small =
        WhatsAppChannel::new(config).with_http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()));
    s.graph.clear_requests();
    s.graph.enqueue(ScriptedResponse::json(200, &info(50 * 1024 * 1024)));
    let oversized = small.download_media("1479537139650973", &s.token).await.unwrap_err();
    assert_eq!(oversized.kind(), ErrorKind::InvalidInput);
    assert_eq!(s.graph.request_count(), 1, "an oversized file is not fetched");

    s.graph.enqueue(graph_error(400, 100, Some(33)));
    let unknown = s.channel.download_media("1479537139650973", &s.token).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::InvalidInput);
    let bad_id = s.channel.download_media("../me/accounts", &s.token).await.unwrap_err();
    assert_eq!(bad_id.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn marking_as_read_posts_the_read_status() {
    let s = setup().await;
    s.graph.enqueue(ScriptedResponse::json(200, &json!({"success": true})));
    let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
    s.channel.mark_as_read(&s.account, &s.token, wamid).await.unwrap();
    let request = s.graph.last_request().unwrap();
    assert_eq!(request.path(), format!("/{GRAPH_API_VERSION}/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(
        request.json().unwrap(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid})
    );

    s.graph.enqueue(graph_error(401, 190, None));
    let error = s.channel.mark_as_read(&s.account, &s.token, wamid).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
}

#[tokio::test]
async fn an_expiring_token_is_exchanged_for_a_long_lived_one_when_the_app_id_is_known() {
    let graph = FakeServer::start().await.unwrap();
    let config = WhatsAppConfig::builder()
        .app_secret(APP_SECRET)
        .verify_token(common::VERIFY_TOKEN)
        .app_id("1234567890123456")
        .graph_base_url(graph.url())
        .build()
        .unwrap();
    let channel = WhatsAppChannel::new(config)
        .with_clock(common::clock())
        .with_http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()));
    assert!(channel.capabilities().token_refresh);
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"access_token": "EAAGm0PX4ZCpsBAFreshLongLivedToken", "token_type": "bearer", "expires_in": 5183944}),
    ));
    let old = TokenSet::new(ACCESS_TOKEN).expiring_at(Timestamp::from_unix_seconds(common::NOW + 3600));
    let fresh = channel.refresh_tokens(&common::account(), &old).await.unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&fresh.access_token), "EAAGm0PX4ZCpsBAFreshLongLivedToken");
    assert_eq!(fresh.expires_at, Some(Timestamp::from_unix_seconds(common::NOW + 5_183_944)));
    let request = graph.last_request().unwrap();
    assert!(!request.target.contains(ACCESS_TOKEN) && !request.target.contains(APP_SECRET));
    let form = String::from_utf8_lossy(&request.body).into_owned();
    assert!(form.contains("grant_type=fb_exchange_token") && form.contains("client_id=1234567890123456"), "{form}");

    graph.enqueue(graph_error(400, 190, Some(463)));
    let expired = channel.refresh_tokens(&common::account(), &old).await.unwrap_err();
    assert_eq!(expired.kind(), ErrorKind::TokenInvalid);

    let without_app_id = common::channel_for(&graph);
    assert!(!without_app_id.capabilities().token_refresh);
    let unsupported = without_app_id.refresh_tokens(&common::account(), &old).await.unwrap_err();
    assert_eq!(unsupported.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn sending_without_a_token_a_client_or_a_numeric_number_id_is_a_configuration_error() {
    let s = setup().await;
    let content = Content::text("Hello");
    let no_token = SendRequest::new(&s.account, &s.recipient, &content, MessageId::new());
    assert_eq!(s.channel.send(&no_token).await.unwrap_err().kind(), ErrorKind::Configuration);

    let offline = common::channel();
    let request =
        SendRequest::new(&s.account, &s.recipient, &content, MessageId::new()).with_access_token(Some(&s.token));
    assert_eq!(offline.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration);

    let mut odd = s.account.clone();
    odd.platform_account_id = "../me/accounts".into();
    let request = SendRequest::new(&odd, &s.recipient, &content, MessageId::new()).with_access_token(Some(&s.token));
    assert_eq!(s.channel.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration);
    assert_eq!(s.graph.request_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_graph_base_url_keeps_its_path() {
    let graph = FakeServer::start().await.unwrap();
    let config = WhatsAppConfig::builder()
        .app_secret(APP_SECRET)
        .verify_token(common::VERIFY_TOKEN)
        .graph_base_url(graph.url_for("/meta-proxy"))
        .build()
        .unwrap();
    let channel = WhatsAppChannel::new(config)
        .with_clock(common::clock())
        .with_http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()));
    let account = common::account();
    let recipient = common::customer(&account);
    let token = SecretString::from(ACCESS_TOKEN);
    let content = Content::text("Your desk left the warehouse.");
    graph.enqueue(accepted("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJQUk9YWQA="));
    let request = SendRequest::new(&account, &recipient, &content, MessageId::new()).with_access_token(Some(&token));

    channel.send(&request).await.unwrap();
    assert_eq!(
        graph.last_request().unwrap().path(),
        format!("/meta-proxy/{GRAPH_API_VERSION}/{PHONE_NUMBER_ID}/messages")
    );
}
