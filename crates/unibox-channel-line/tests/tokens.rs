//! Token issuance through `Channel::refresh_tokens` against a fake LINE token API: short-lived
//! v2.0, stateless v3, v2.1 with a JWT assertion, and the failures.

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde_json::json;
use unibox_channel_line::{AssertionSigner, TokenIssuance};
use unibox_core::{Channel, ErrorKind, Result, Timestamp, TokenSet};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{CHANNEL_ID, CHANNEL_SECRET};

/// Signs by reversing the input: stands in for an RSA key, so the test can check what was signed.
#[derive(Debug)]
struct ReversingSigner;

impl AssertionSigner for ReversingSigner {
    fn key_id(&self) -> &str {
        "sDTOzw5wIfWxxxxzcmeQA"
    }

    fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
        Ok(signing_input.iter().rev().copied().collect())
    }
}

fn form(request: &RecordedRequest) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(&request.body).into_owned().collect()
}

async fn refresh(api: &FakeServer, issuance: TokenIssuance) -> Result<TokenSet> {
    let channel = common::sending_channel(api, issuance, common::clock());
    channel.refresh_tokens(&common::account(), &TokenSet::new("old-token")).await
}

/// The test clock's time (`common::clock`).
fn now() -> Timestamp {
    Timestamp::from_unix_millis(common::EVENT_MILLIS + 2_000)
}

#[tokio::test]
async fn a_short_lived_token_is_issued_with_the_channel_id_and_secret() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(ScriptedResponse::json(
        200,
        &json!({"access_token": "W1TeHCgfH2Liwa.short", "expires_in": 2592000, "token_type": "Bearer"}),
    ));
    let tokens = refresh(&api, TokenIssuance::ShortLived).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "W1TeHCgfH2Liwa.short");
    assert_eq!(tokens.expires_at, Some(now().saturating_add(Duration::from_secs(2_592_000))));

    let request = api.last_request().unwrap();
    assert_eq!(request.path(), "/v2/oauth/accessToken");
    assert_eq!(request.query(), None, "credentials never go in the URL");
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    let form = form(&request);
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!((form["client_id"].as_str(), form["client_secret"].as_str()), (CHANNEL_ID, CHANNEL_SECRET));
}

#[tokio::test]
async fn a_stateless_token_lives_fifteen_minutes() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(ScriptedResponse::json(
        200,
        &json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.stateless", "expires_in": 900, "token_type": "Bearer"}),
    ));
    let tokens = refresh(&api, TokenIssuance::Stateless).await.unwrap();
    assert_eq!(tokens.expires_at, Some(now().saturating_add(Duration::from_secs(900))));
    let request = api.last_request().unwrap();
    assert_eq!(request.path(), "/oauth2/v3/token");
    assert_eq!(form(&request)["client_id"], CHANNEL_ID);
}

#[tokio::test]
async fn a_v2_1_token_is_issued_with_a_signed_jwt_assertion() {
    let api = FakeServer::start().await.unwrap();
    api.set_default(ScriptedResponse::json(
        200,
        &json!({"access_token": "eyJhbGciOiJIUz.v21", "token_type": "Bearer", "expires_in": 86400, "key_id": "sDTOzw5wIfxxxxPEzcmeQA"}),
    ));
    let issuance =
        TokenIssuance::Assertion { signer: Arc::new(ReversingSigner), lifetime: Duration::from_secs(86_400) };
    let tokens = refresh(&api, issuance).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "eyJhbGciOiJIUz.v21");

    let request = api.last_request().unwrap();
    assert_eq!(request.path(), "/oauth2/v2.1/token");
    let form = form(&request);
    assert_eq!(form["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    assert!(!form.contains_key("client_secret"), "the assertion replaces the secret");
    let parts: Vec<&str> = form["client_assertion"].split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode =
        |part: &str| -> serde_json::Value { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap() };
    assert_eq!(decode(parts[0]), json!({"alg": "RS256", "typ": "JWT", "kid": "sDTOzw5wIfWxxxxzcmeQA"}));
    let claims = decode(parts[1]);
    assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some(CHANNEL_ID), Some(CHANNEL_ID)));
    assert_eq!(claims["aud"], "https://api.line.me/");
    assert_eq!(claims["exp"], now().as_unix_seconds() + 30 * 60);
    assert_eq!(claims["token_exp"], 86_400);
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    assert_eq!(signature, signed.bytes().rev().collect::<Vec<u8>>(), "the signer signed header.payload");
}

#[tokio::test]
async fn refused_credentials_are_token_invalid_and_outages_are_temporary() {
    let api = FakeServer::start().await.unwrap();
    api.enqueue(ScriptedResponse::json(
        400,
        &json!({"error": "invalid_client", "error_description": "invalid client_secret"}),
    ));
    let refused = refresh(&api, TokenIssuance::ShortLived).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TokenInvalid);
    assert!(!refused.to_string().contains(CHANNEL_SECRET));
    api.enqueue(ScriptedResponse::text(503, "maintenance"));
    let outage = refresh(&api, TokenIssuance::Stateless).await.unwrap_err();
    assert_eq!(outage.kind(), ErrorKind::PlatformUnavailable);
    assert!(outage.is_temporary());
}

#[tokio::test]
async fn a_long_lived_token_is_never_refreshed() {
    let api = FakeServer::start().await.unwrap();
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, common::clock());
    assert!(!channel.capabilities().token_refresh);
    let error = channel.refresh_tokens(&common::account(), &TokenSet::new("long-lived")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert_eq!(api.request_count(), 0);
}
