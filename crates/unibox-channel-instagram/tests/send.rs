//! Instagram Login sends and token refresh against a fake graph.instagram.com.

mod common;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use unibox_core::channel::SendRequest;
use unibox_core::{
    Button, ButtonAction, Channel, ChannelAccount, ChannelKind, ContactIdentity, Content, ContentKind, ErrorKind,
    IdentityKind, Media, MediaSource, MessageId, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{IG_ID, IG_TOKEN, IGSID, NOW};

fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-instagram".parse().unwrap(),
        ChannelKind::INSTAGRAM,
        IG_ID,
        Timestamp::from_unix_seconds(NOW),
    )
}

#[tokio::test]
async fn sends_go_to_the_instagram_account_with_the_user_token_and_no_appsecret_proof() {
    let graph = FakeServer::start().await.unwrap();
    graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": IGSID, "message_id": "aWdfZAG1faXRlbTo"})));
    let channel = common::sending_channel(graph.url());
    let account = account();
    let recipient = ContactIdentity { account: account.id, kind: IdentityKind::InstagramScopedId, value: IGSID.into() };
    let token = SecretString::from(IG_TOKEN);
    let buttons = Content::Buttons {
        text: "Need help with your order?".into(),
        buttons: vec![Button { title: "Track".into(), action: ButtonAction::Postback { payload: "TRACK".into() } }],
    };
    let request = SendRequest::new(&account, &recipient, &buttons, MessageId::new())
        .with_access_token(Some(&token))
        .with_since_customer_message(Some(Duration::from_secs(60)));
    assert_eq!(channel.send(&request).await.unwrap().platform_message_id, "aWdfZAG1faXRlbTo");
    let seen = graph.last_request().unwrap();
    assert_eq!(seen.path(), format!("/v23.0/{IG_ID}/messages"));
    assert_eq!(seen.header("authorization"), Some(format!("Bearer {IG_TOKEN}").as_str()));
    assert_eq!(seen.query(), None, "Instagram user tokens carry no appsecret_proof");
    assert_eq!(
        seen.json().unwrap()["message"]["attachment"]["payload"],
        json!({"template_type": "generic", "elements": [{"title": "Need help with your order?",
               "buttons": [{"type": "postback", "title": "Track", "payload": "TRACK"}]}]})
    );

    let image = Content::Image(Media::from_url("https://cdn.example.com/red-dress-m.jpg".parse().unwrap()));
    let request = SendRequest::new(&account, &recipient, &image, MessageId::new())
        .with_access_token(Some(&token))
        .with_since_customer_message(Some(Duration::from_secs(60)));
    channel.send(&request).await.unwrap();
    assert_eq!(
        graph.last_request().unwrap().json().unwrap()["message"],
        json!({"attachment": {"type": "image", "payload": {"url": "https://cdn.example.com/red-dress-m.jpg"}}})
    );
    let by_id = Content::Image(Media {
        source: MediaSource::PlatformId { id: "1857777774821032".into() },
        mime_type: None,
        caption: None,
        file_name: None,
    });
    let request = SendRequest::new(&account, &recipient, &by_id, MessageId::new())
        .with_access_token(Some(&token))
        .with_since_customer_message(Some(Duration::from_secs(60)));
    assert_eq!(channel.send(&request).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(!channel.capabilities().can_send(ContentKind::File));
    assert_eq!(channel.capabilities().max_text_length, Some(1000));
}

#[tokio::test]
async fn a_long_lived_instagram_token_is_refreshed_with_the_token_in_the_header() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"access_token": "IGAAJxZBkRefreshed0043", "token_type": "bearer", "expires_in": 5_183_944}),
    ));
    let channel = common::sending_channel(graph.url());
    let mut tokens = TokenSet::new(IG_TOKEN);
    tokens.scopes = vec!["instagram_business_basic".into(), "instagram_business_manage_messages".into()];
    let fresh = channel.refresh_tokens(&account(), &tokens).await.unwrap();
    assert_eq!(fresh.access_token.expose_secret(), "IGAAJxZBkRefreshed0043");
    assert_eq!(fresh.expires_at, Some(Timestamp::from_unix_seconds(NOW + 5_183_944)));
    assert_eq!(fresh.scopes, tokens.scopes);
    let request = graph.last_request().unwrap();
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.target, "/refresh_access_token?grant_type=ig_refresh_token");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {IG_TOKEN}").as_str()));

    graph.enqueue(ScriptedResponse::json(
        400,
        &json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190}}),
    ));
    let expired = channel.refresh_tokens(&account(), &tokens).await.unwrap_err();
    assert_eq!(expired.kind(), ErrorKind::TokenInvalid);
    assert!(!expired.to_string().contains(IG_TOKEN));
}
