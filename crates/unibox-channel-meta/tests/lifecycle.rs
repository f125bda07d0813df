//! The account lifecycle calls of the Messenger Platform channel against a fake Graph API on
//! loopback: revoking a token (`DELETE /me/permissions`) and reading a contact's profile.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use serde_json::json;
use unibox_channel_meta::AppSecret;
use unibox_channel_meta::messaging::{MessagingChannel, MessagingPlatform, TokenRefresh};
use unibox_core::http::ReqwestClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, ErrorKind, IdentityKind, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const TOKEN: &str = "EAAGm0PX4ZCpsBAPageTokenForTests";
const PSID: &str = "6201234567890123";

fn channel(platform: MessagingPlatform, graph: &FakeServer, refresh: TokenRefresh) -> MessagingChannel {
    let http = ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
    MessagingChannel::builder(platform)
        .app_secret(AppSecret::new("appsecret"))
        .verify_token("meatyhamhock")
        .http_client(Arc::new(http))
        .graph_base_url(graph.url())
        .token_refresh(refresh)
        .build()
        .unwrap()
}

fn account(kind: ChannelKind) -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "meta".parse().unwrap(),
        kind,
        "104738291837465",
        Timestamp::from_unix_seconds(0),
    )
}

fn customer(account: &ChannelAccount, kind: IdentityKind) -> ContactIdentity {
    ContactIdentity { account: account.id, kind, value: PSID.into() }
}

fn graph_error(code: i64, message: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        400,
        &json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}),
    )
}

#[tokio::test]
async fn revoking_deletes_the_apps_permissions_with_the_token_in_the_header() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(200, &json!({"success": true})));
    let messenger = channel(MessagingPlatform::messenger(), &graph, TokenRefresh::None);
    assert!(messenger.capabilities().token_revocation);
    messenger.revoke_tokens(&account(ChannelKind::MESSENGER), &TokenSet::new(TOKEN)).await.unwrap();
    let request = graph.last_request().unwrap();
    assert_eq!(request.method, Method::DELETE);
    assert_eq!(request.path(), "/v23.0/me/permissions");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(request.query().unwrap().starts_with("appsecret_proof="));
    assert!(!request.target.contains(TOKEN));
}

#[tokio::test]
async fn a_refused_revoke_is_an_error_without_the_token() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(graph_error(190, "Error validating access token: The session has been invalidated"));
    let messenger = channel(MessagingPlatform::messenger(), &graph, TokenRefresh::None);
    let error = messenger.revoke_tokens(&account(ChannelKind::MESSENGER), &TokenSet::new(TOKEN)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid, "{error}");
    assert!(!format!("{error:?}").contains(TOKEN));
    // Graph answering 200 without success is not a revocation either.
    graph.enqueue(ScriptedResponse::json(200, &json!({"success": false})));
    let error = messenger.revoke_tokens(&account(ChannelKind::MESSENGER), &TokenSet::new(TOKEN)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PlatformRejected);
}

#[tokio::test]
async fn instagram_login_tokens_have_no_revoke_call_and_nothing_is_sent() {
    let graph = FakeServer::start().await.unwrap();
    let instagram = channel(MessagingPlatform::instagram(), &graph, TokenRefresh::InstagramRefresh);
    assert!(!instagram.capabilities().token_revocation);
    let error = instagram.revoke_tokens(&account(ChannelKind::INSTAGRAM), &TokenSet::new(TOKEN)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert_eq!(graph.request_count(), 0);
}

#[tokio::test]
async fn a_messenger_profile_joins_first_and_last_name_and_keeps_the_picture() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(
        200,
        &json!({"first_name": "Somchai", "last_name": "Jaidee", "profile_pic": "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=6201234567890123", "id": PSID}),
    ));
    let messenger = channel(MessagingPlatform::messenger(), &graph, TokenRefresh::None);
    assert!(messenger.capabilities().contact_profiles);
    let page = account(ChannelKind::MESSENGER);
    let tokens = TokenSet::new(TOKEN);
    let profile =
        messenger.contact_profile(&page, &customer(&page, IdentityKind::PageScopedId), Some(&tokens)).await.unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Somchai Jaidee"));
    assert!(profile.picture_url.unwrap().starts_with("https://platform-lookaside.fbsbx.com/"));
    let request = graph.last_request().unwrap();
    assert_eq!(request.path(), format!("/v23.0/{PSID}"));
    assert!(request.query().unwrap().contains("fields=first_name%2Clast_name%2Cprofile_pic"), "{:?}", request.query());
}

#[tokio::test]
async fn an_instagram_profile_uses_name_and_a_blocked_user_is_unavailable() {
    let graph = FakeServer::start().await.unwrap();
    graph.enqueue(ScriptedResponse::json(200, &json!({"name": "Malee S.", "username": "malee.s", "profile_pic": "https://scontent.cdninstagram.com/v/t51/p.jpg"})));
    graph.enqueue(graph_error(100, "Unsupported get request. Object with ID '6201234567890123' does not exist"));
    let instagram = channel(MessagingPlatform::instagram(), &graph, TokenRefresh::None);
    let ig = account(ChannelKind::INSTAGRAM);
    let identity = customer(&ig, IdentityKind::InstagramScopedId);
    let tokens = TokenSet::new(TOKEN);
    let profile = instagram.contact_profile(&ig, &identity, Some(&tokens)).await.unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Malee S."));
    assert!(graph.last_request().unwrap().query().unwrap().contains("fields=name%2Cusername%2Cprofile_pic"));
    let blocked = instagram.contact_profile(&ig, &identity, Some(&tokens)).await.unwrap_err();
    assert_eq!(blocked.kind(), ErrorKind::RecipientUnavailable, "{blocked}");
    // An id that is not Meta's digits never reaches the API; no token, no call either.
    let forged = ContactIdentity { value: "../me".into(), ..identity.clone() };
    assert_eq!(
        instagram.contact_profile(&ig, &forged, Some(&tokens)).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(instagram.contact_profile(&ig, &identity, None).await.unwrap_err().kind(), ErrorKind::TokenInvalid);
    assert_eq!(graph.request_count(), 2);
}
