//! Base URLs keep their path: a LINE API behind a proxy at `http://host/line` is called at
//! `/line/v2/...`, never at the host's root (the Messaging API, the data API and token issuance).

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_line::{DEFAULT_MAX_CONTENT_BYTES, LineChannel, LineConfig, TokenIssuance};
use unibox_core::channel::SendRequest;
use unibox_core::{Channel, Content, MessageId, TokenSet};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, CHANNEL_ID, CHANNEL_SECRET};

/// A channel whose API and data API sit under paths of the fake server, without a trailing slash.
fn proxied_channel(api: &FakeServer, issuance: TokenIssuance) -> LineChannel {
    let config = LineConfig::builder()
        .channel_secret(CHANNEL_SECRET)
        .channel_id(CHANNEL_ID)
        .token_issuance(issuance)
        .api_base_url(api.url_for("/line"))
        .api_data_base_url(api.url_for("/proxy/line-data"))
        .build()
        .unwrap();
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(2));
    LineChannel::new(config).with_clock(common::clock()).with_http_client(Arc::new(client))
}

#[tokio::test]
async fn a_push_goes_under_the_api_base_path() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(ScriptedResponse::json(200, &json!({"sentMessages": [{"id": "481234567890123456"}]})));
    let channel = proxied_channel(&api, TokenIssuance::LongLived);
    let account = common::account();
    let recipient = common::customer(&account);
    let content = Content::text("Your parcel left Bangkok this morning.");
    let token = SecretString::from(ACCESS_TOKEN);
    let request = SendRequest::new(&account, &recipient, &content, MessageId::new()).with_access_token(Some(&token));

    channel.send(&request).await.unwrap();
    assert_eq!(api.last_request().unwrap().path(), "/line/v2/bot/message/push");
}

#[tokio::test]
async fn content_downloads_go_under_the_data_api_base_path() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(
        ScriptedResponse::status(200).with_header("Content-Type", "image/jpeg").with_body(vec![0xFF, 0xD8]),
    );
    let channel = proxied_channel(&api, TokenIssuance::LongLived);

    channel
        .download_content("354718705033693859", &SecretString::from(ACCESS_TOKEN), DEFAULT_MAX_CONTENT_BYTES)
        .await
        .unwrap();
    assert_eq!(api.last_request().unwrap().path(), "/proxy/line-data/v2/bot/message/354718705033693859/content");
}

#[tokio::test]
async fn token_issuance_goes_under_the_api_base_path() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(ScriptedResponse::json(
        200,
        &json!({"access_token": "W1TeHCgfH2Liwa.short", "expires_in": 2592000, "token_type": "Bearer"}),
    ));
    let channel = proxied_channel(&api, TokenIssuance::ShortLived);

    channel.refresh_tokens(&common::account(), &TokenSet::new("old-token")).await.unwrap();
    assert_eq!(api.last_request().unwrap().path(), "/line/v2/oauth/accessToken");
}
