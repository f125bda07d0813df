//! Files sent by their bytes: `multipart/form-data` calls to `sendPhoto`, `sendDocument`,
//! `sendVideo`, `sendAudio` and `sendVoice`, against a loopback fake of the Bot API that parses
//! the body and checks the field names and the bytes. The bot token never shows in an error or
//! a log line.

mod common;

use std::sync::Arc;

use serde_json::json;
use unibox_channel_telegram::{MAX_PHOTO_UPLOAD_BYTES, TelegramApiError, Upload, UploadKind};
use unibox_core::{ContactIdentity, ErrorKind, IdentityKind, Retry};
use unibox_testkit::http::{FakeServer, FormPart, RecordedRequest, ScriptedResponse};
use unibox_testkit::logs::CapturedLogs;

use common::{BLOCKED_USER, BOT_TOKEN, TOKEN_SECRET, USER, error, ok};

/// A JPEG's first bytes, with bytes that are not UTF-8 and a CR LF inside: kept exactly.
const PHOTO: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\r\n--not-a-boundary\r\n\x00\xff";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF";

/// The multipart parts of a request, as Telegram's server would read them, or a 400 saying
/// what is wrong.
fn parts(request: &RecordedRequest) -> Result<Vec<FormPart>, ScriptedResponse> {
    request.multipart().ok_or_else(|| error(400, "Bad Request: there is no file in the request"))
}

fn text<'p>(parts: &'p [FormPart], name: &str) -> Option<&'p str> {
    parts.iter().find(|p| p.name == name && p.file_name.is_none()).and_then(|p| std::str::from_utf8(&p.body).ok())
}

/// Answers `send*` uploads like the Bot API: the file must be in the field the method names,
/// `chat_id` a text field; the sent message carries the file with a new `file_id`.
fn fake_bot_api() -> impl Fn(&RecordedRequest) -> ScriptedResponse + Send + Sync + 'static {
    move |request| {
        let Some(method) = request.path().strip_prefix(&format!("/bot{BOT_TOKEN}/")) else {
            return error(404, "Not Found");
        };
        let parts = match parts(request) {
            Ok(parts) => parts,
            Err(response) => return response,
        };
        let field = match method {
            "sendPhoto" => "photo",
            "sendDocument" => "document",
            "sendVideo" => "video",
            "sendAudio" => "audio",
            "sendVoice" => "voice",
            _ => return error(400, "Bad Request: method not found"),
        };
        let Some(chat) = text(&parts, "chat_id").and_then(|c| c.parse::<i64>().ok()) else {
            return error(400, "Bad Request: chat_id is empty");
        };
        if chat.to_string() == BLOCKED_USER {
            return error(403, "Forbidden: bot was blocked by the user");
        }
        let Some(file) = parts.iter().find(|p| p.name == field && p.file_name.is_some()) else {
            return error(400, &format!("Bad Request: there is no {field} in the request"));
        };
        let file_id = format!("{field}-file-{}", file.body.len());
        let sent_file = if field == "photo" {
            json!([{"file_id": "thumb", "width": 90, "height": 90}, {"file_id": file_id, "width": 800, "height": 800}])
        } else {
            json!({"file_id": file_id, "file_size": file.body.len()})
        };
        let mut message = json!({"message_id": 7001, "chat": {"id": chat, "type": "private"}, "date": 1732000900});
        message[field] = sent_file;
        if let Some(caption) = text(&parts, "caption") {
            message["caption"] = caption.into();
        }
        ok(message)
    }
}

async fn fake() -> FakeServer {
    let api = FakeServer::start().await.expect("a loopback server");
    api.respond_with(fake_bot_api());
    api
}

fn user(user: &str) -> ContactIdentity {
    common::customer(&common::account(), user)
}

#[tokio::test]
async fn a_photo_is_uploaded_as_multipart_with_its_bytes_caption_and_reply() {
    let api = fake().await;
    let channel = common::sending_channel(&api);
    let upload = Upload::new(UploadKind::Photo, "receipt.jpg", "image/jpeg", PHOTO).with_caption("ใบเสร็จของคุณ");
    let sent = channel.send_upload(&user(USER), &upload, None, Some(&format!("{USER}:1365"))).await.unwrap();
    assert_eq!(sent.receipt.platform_message_id, format!("{USER}:7001"));
    assert_eq!(
        sent.file_id,
        Some(format!("photo-file-{}", PHOTO.len())),
        "the largest size's file_id, to send it again"
    );

    let request = api.last_request().unwrap();
    assert_eq!(request.path(), format!("/bot{BOT_TOKEN}/sendPhoto"));
    assert!(request.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let parts = request.multipart().expect("a well-formed multipart body");
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["chat_id", "caption", "reply_parameters", "photo"]);
    assert_eq!(text(&parts, "chat_id"), Some(USER));
    assert_eq!(text(&parts, "caption"), Some("ใบเสร็จของคุณ"));
    let reply: serde_json::Value = serde_json::from_str(text(&parts, "reply_parameters").unwrap()).unwrap();
    assert_eq!(reply["message_id"], 1365);
    let photo = &parts[3];
    assert_eq!(photo.body.as_ref(), PHOTO, "the bytes arrive exactly");
    assert_eq!((photo.file_name.as_deref(), photo.content_type.as_deref()), (Some("receipt.jpg"), Some("image/jpeg")));
}

#[tokio::test]
async fn each_kind_goes_to_its_method_and_field() {
    let api = fake().await;
    let channel = common::sending_channel(&api);
    let cases = [
        (UploadKind::Document, "sendDocument", "document", "invoice.pdf", "application/pdf"),
        (UploadKind::Video, "sendVideo", "video", "unboxing.mp4", "video/mp4"),
        (UploadKind::Audio, "sendAudio", "audio", "jingle.mp3", "audio/mpeg"),
        (UploadKind::Voice, "sendVoice", "voice", "note.ogg", "audio/ogg"),
    ];
    for (kind, method, field, file_name, content_type) in cases {
        let upload = Upload::new(kind, file_name, content_type, PDF);
        let sent = channel.send_upload(&user(USER), &upload, None, None).await.unwrap();
        assert_eq!(sent.file_id, Some(format!("{field}-file-{}", PDF.len())), "{method}");
        let request = api.last_request().unwrap();
        assert_eq!(request.path(), format!("/bot{BOT_TOKEN}/{method}"));
        let parts = request.multipart().unwrap();
        let file = parts.iter().find(|p| p.file_name.is_some()).unwrap();
        assert_eq!((file.name.as_str(), file.body.as_ref()), (field, PDF), "{method}");
        assert_eq!(file.content_type.as_deref(), Some(content_type));
        assert!(text(&parts, "caption").is_none() && text(&parts, "reply_parameters").is_none());
    }
}

#[tokio::test]
async fn a_business_chat_upload_carries_its_connection() {
    let api = fake().await;
    let channel = common::sending_channel(&api);
    let to = ContactIdentity {
        account: common::account().id,
        kind: IdentityKind::Other(unibox_channel_telegram::BUSINESS_CHAT_IDENTITY.into()),
        value: format!("{}:{}", common::BUSINESS_CONNECTION, common::BUSINESS_CUSTOMER),
    };
    channel.send_upload(&to, &Upload::new(UploadKind::Document, "a.pdf", "", PDF), None, None).await.unwrap();
    let parts = api.last_request().unwrap().multipart().unwrap();
    assert_eq!(text(&parts, "business_connection_id"), Some(common::BUSINESS_CONNECTION));
    assert_eq!(text(&parts, "chat_id"), Some(common::BUSINESS_CUSTOMER));
    let file = parts.iter().find(|p| p.name == "document").unwrap();
    assert_eq!(file.content_type.as_deref(), Some("application/octet-stream"), "an unknown type is sent as bytes");
}

#[tokio::test]
async fn bad_uploads_are_refused_before_any_call() {
    let api = fake().await;
    let channel = common::sending_channel(&api);
    let empty = Upload::new(UploadKind::Document, "a.pdf", "application/pdf", Vec::new());
    let too_big = Upload::new(UploadKind::Photo, "a.jpg", "image/jpeg", vec![0u8; MAX_PHOTO_UPLOAD_BYTES + 1]);
    let long_caption = Upload::new(UploadKind::Photo, "a.jpg", "image/jpeg", PHOTO).with_caption("x".repeat(1025));
    for upload in [empty, too_big, long_caption] {
        let error = channel.send_upload(&user(USER), &upload, None, None).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{upload:?}: {error}");
    }
    let group_name = ContactIdentity { value: "not-a-chat".into(), ..user(USER) };
    let upload = Upload::new(UploadKind::Photo, "a.jpg", "image/jpeg", PHOTO);
    assert_eq!(
        channel.send_upload(&group_name, &upload, None, None).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(api.request_count(), 0);
}

#[tokio::test]
async fn failures_are_typed_and_neither_errors_nor_logs_show_the_token() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let api = fake().await;
    let channel = common::sending_channel(&api);
    let upload = Upload::new(UploadKind::Photo, "a.jpg", "image/jpeg", PHOTO);
    let blocked = channel.send_upload(&user(BLOCKED_USER), &upload, None, None).await.unwrap_err();
    assert_eq!(blocked.kind(), ErrorKind::RecipientUnavailable);
    assert_eq!(blocked.retry(), Retry::Permanent);
    assert!(TelegramApiError::of(&blocked).unwrap().is_blocked_by_user());

    api.enqueue(
        ScriptedResponse::json(
            429,
            &json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}),
        ),
    );
    let flood = channel.send_upload(&user(USER), &upload, None, None).await.unwrap_err();
    assert_eq!(flood.kind(), ErrorKind::RateLimited);
    assert_eq!(flood.retry_after(), Some(std::time::Duration::from_secs(7)));

    api.enqueue(ScriptedResponse::json(200, &json!({"ok": true, "result": {"chat": {"id": 1}}})));
    let unknown = channel.send_upload(&user(USER), &upload, None, None).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::DeliveryUnknown, "accepted without a message id: never resent blindly");

    api.enqueue(ScriptedResponse::hang_up());
    let lost = channel.send_upload(&user(USER), &upload, None, None).await.unwrap_err();
    assert_eq!(lost.kind(), ErrorKind::DeliveryUnknown, "{lost}");

    // A client that quotes the URL (with the token in its path) in its error.
    let quoting =
        unibox_channel_telegram::TelegramChannel::new(common::config()).with_http_client(Arc::new(QuotingClient));
    let quoted = quoting.send_upload(&user(USER), &upload, None, None).await.unwrap_err();
    assert_eq!(quoted.kind(), ErrorKind::PlatformUnavailable);

    for error in [&blocked, &flood, &unknown, &lost, &quoted] {
        let said = format!("{error}\n{error:?}\n{:?}", std::error::Error::source(error).map(|s| s.to_string()));
        assert!(!said.contains(TOKEN_SECRET), "an error shows the bot token: {said}");
    }
    tracing::error!(error = %quoted, "upload failed"); // what an application logs
    assert!(!captured.text().contains(TOKEN_SECRET), "a log line shows the bot token: {}", captured.text());
}

#[derive(Debug)]
struct QuotingClient;

#[unibox_core::async_trait]
impl unibox_core::http::HttpClient for QuotingClient {
    async fn execute(
        &self,
        request: unibox_core::http::HttpRequest,
    ) -> Result<unibox_core::http::HttpResponse, unibox_core::http::HttpError> {
        Err(unibox_core::http::HttpError::new(
            unibox_core::http::HttpErrorKind::Connect,
            format!("error sending request for url ({})", request.uri()),
        ))
    }
}
