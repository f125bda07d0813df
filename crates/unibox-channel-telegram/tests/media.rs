//! Inbound media downloaded through the adapter: `getFile`, then the file at a URL that holds
//! the bot token, against a loopback fake of the Bot API. The token never shows in an error or
//! in `Debug`.

mod common;

use common::{BOT_TOKEN, TOKEN_SECRET, error, ok, sending_channel};
use serde_json::json;
use unibox_channel_telegram::MAX_DOWNLOAD_BYTES;
use unibox_core::ErrorKind;
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 a small JPEG";

async fn fake_files() -> FakeServer {
    let api = FakeServer::start().await.expect("a loopback server");
    api.respond_with(|request| {
        let path = request.path();
        if path == format!("/bot{BOT_TOKEN}/getFile") {
            return match request.json().unwrap_or_default()["file_id"].as_str() {
                Some("AgACAgIAAxkBAAIBZ2Zx") => {
                    ok(json!({"file_id": "AgACAgIAAxkBAAIBZ2Zx", "file_unique_id": "AQADa", "file_size": PHOTO.len(), "file_path": "photos/file_12.jpg"}))
                }
                Some("BQACAgIAAxkBig") => {
                    ok(json!({"file_id": "BQACAgIAAxkBig", "file_unique_id": "AQADb", "file_size": 30_000_000, "file_path": "documents/file_3.pdf"}))
                }
                Some("gone") => ok(json!({"file_id": "gone", "file_unique_id": "AQADc", "file_size": 10, "file_path": "photos/file_13.jpg"})),
                Some("escape") => ok(json!({"file_id": "escape", "file_unique_id": "AQADd", "file_path": "../../bot/getMe"})),
                _ => error(400, "Bad Request: invalid file_id"),
            };
        }
        if path == format!("/file/bot{BOT_TOKEN}/photos/file_12.jpg") {
            return ScriptedResponse::status(200).with_header("content-type", "image/jpeg").with_body(PHOTO);
        }
        error(404, "Not Found")
    });
    api
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN_SECRET), "the bot token leaked: {text}");
}

#[tokio::test]
async fn a_photo_is_downloaded_through_get_file_with_its_type() {
    let api = fake_files().await;
    let channel = sending_channel(&api);
    let file = channel.download_file("AgACAgIAAxkBAAIBZ2Zx", None, MAX_DOWNLOAD_BYTES).await.unwrap();
    assert_eq!(file.bytes.as_ref(), PHOTO);
    assert_eq!(file.file_path, "photos/file_12.jpg");
    assert_eq!(file.content_type.as_deref(), Some("image/jpeg"));
    assert_no_token(&format!("{file:?} {channel:?}"));
    let calls: Vec<String> = api.requests().iter().map(|r| r.path().to_string()).collect();
    assert_eq!(calls.len(), 2, "getFile, then the file: {calls:?}");
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_before_it_is_downloaded() {
    let api = fake_files().await;
    let channel = sending_channel(&api);
    let error = channel.download_file("BQACAgIAAxkBig", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(api.requests().len(), 1, "only getFile was called");
    let small_limit = channel.download_file("AgACAgIAAxkBAAIBZ2Zx", None, 4).await.unwrap_err();
    assert_eq!(small_limit.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn failures_are_typed_and_never_show_the_token() {
    let api = fake_files().await;
    let channel = sending_channel(&api);
    let unknown = channel.download_file("nope", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::PlatformRejected);
    let gone = channel.download_file("gone", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    let escape = channel.download_file("escape", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(escape.kind(), ErrorKind::Configuration, "a file path leaving the bot's files is not fetched");
    assert!(!api.requests().iter().any(|r| r.path().contains("getMe")));
    let empty = channel.download_file("", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
    for error in [&unknown, &gone, &escape] {
        assert_no_token(&format!("{error} {error:?}"));
    }
    // Nothing listens here: the transport error, which may quote the URL, is redacted too.
    drop(api);
    let closed = FakeServer::start().await.unwrap();
    let url = closed.url();
    drop(closed);
    let config = unibox_channel_telegram::TelegramConfig::builder()
        .bot_token(BOT_TOKEN)
        .secret_token(common::SECRET_TOKEN)
        .api_base_url(url)
        .build()
        .unwrap();
    let offline = unibox_channel_telegram::TelegramChannel::new(config)
        .with_http_client(std::sync::Arc::new(unibox_core::http::ReqwestClient::new()));
    let unreachable = offline.download_file("AgACAgIAAxkBAAIBZ2Zx", None, MAX_DOWNLOAD_BYTES).await.unwrap_err();
    assert_eq!(unreachable.kind(), ErrorKind::PlatformUnavailable);
    assert_no_token(&format!("{unreachable} {unreachable:?}"));
}
