//! Downloading what users send from a fake LINE content host: the bytes and their type, the
//! `202` of content still being prepared, expired content, and the limits.

mod common;

use secrecy::SecretString;
use unibox_channel_line::{DEFAULT_MAX_CONTENT_BYTES, LineChannel, TokenIssuance};
use unibox_core::{Channel, ErrorKind, MediaSource};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::ACCESS_TOKEN;

async fn fake() -> (FakeServer, LineChannel) {
    let api = FakeServer::start().await.unwrap();
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, common::clock());
    (api, channel)
}

fn token() -> SecretString {
    SecretString::from(ACCESS_TOKEN)
}

#[tokio::test]
async fn an_image_a_user_sent_is_downloaded_by_its_message_id() {
    let (api, channel) = fake().await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    api.enqueue(ScriptedResponse::status(200).with_header("Content-Type", "image/jpeg").with_body(jpeg.clone()));

    // The id comes from the parsed image message.
    let events = common::events_of(&channel, &common::fixture("image"));
    let unibox_core::EventKind::Message(message) = &events[0].kind else { panic!("a message") };
    let unibox_core::Content::Image(media) = &message.content else { panic!("an image") };
    let MediaSource::PlatformId { id } = &media.source else { panic!("content kept on LINE") };

    let content = channel.download_content(id, &token(), DEFAULT_MAX_CONTENT_BYTES).await.unwrap();
    assert_eq!(content.bytes.as_ref(), jpeg.as_slice());
    assert_eq!(content.content_type.as_deref(), Some("image/jpeg"));
    let request = api.last_request().unwrap();
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.target, "/v2/bot/message/354718705033693859/content");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
}

#[tokio::test]
async fn content_being_prepared_is_temporary_and_expired_content_is_not_found() {
    let (api, channel) = fake().await;
    api.enqueue(ScriptedResponse::status(202));
    let preparing = channel.download_content("325708", &token(), DEFAULT_MAX_CONTENT_BYTES).await.unwrap_err();
    assert_eq!(preparing.kind(), ErrorKind::PlatformUnavailable);
    assert!(preparing.retry_after().is_some());
    api.enqueue(ScriptedResponse::json(404, &serde_json::json!({"message": "Not found"})));
    let gone = channel.download_content("325708", &token(), DEFAULT_MAX_CONTENT_BYTES).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_bad_id_or_too_much_content_is_refused() {
    let (api, channel) = fake().await;
    let injected = channel.download_content("325708/../../v2/bot/info", &token(), 1024).await.unwrap_err();
    assert_eq!(injected.kind(), ErrorKind::InvalidInput);
    assert_eq!(api.request_count(), 0, "refused before any call");

    api.enqueue(ScriptedResponse::status(200).with_header("Content-Type", "video/mp4").with_body(vec![0u8; 2048]));
    let large = channel.download_content("325708", &token(), 1024).await.unwrap_err();
    assert_eq!(large.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_channel_without_a_client_says_so() {
    let channel = common::channel();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let error = runtime.block_on(channel.download_content("325708", &token(), 1024)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(channel.capabilities().reply_token);
}
