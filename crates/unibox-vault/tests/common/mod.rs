//! Shared test pieces: a Shopee-like platform on loopback HTTP that accepts each refresh token
//! once, and a channel whose `refresh_tokens` calls it over real HTTP.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use secrecy::ExposeSecret;
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::http::{HttpClient, ReqwestClient};
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContentKinds, Error, ErrorKind, InboundEvent, Result, Timestamp,
    TokenSet,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// Now, in the tests' world.
pub const NOW: i64 = 1_800_000_000;
/// Shopee access tokens last 4 hours.
pub const ACCESS_LIFETIME: i64 = 14_400;

/// The platform's books: which refresh tokens are current, which were spent.
#[derive(Default)]
pub struct ShopeeBooks {
    pub valid: HashSet<String>,
    pub spent: HashSet<String>,
    pub issued: u64,
}

/// Starts a fake Shopee auth server: `POST /api/v2/auth/access_token/get` with
/// `{refresh_token, partner_id, shop_id}` answers a new token pair the first time a refresh
/// token is used, and `error_auth` ("Invalid refresh_token.") for a spent or unknown one.
/// Answers are delayed a little, so concurrent callers really overlap.
pub async fn shopee_platform(first_refresh_token: &str) -> (FakeServer, Arc<Mutex<ShopeeBooks>>) {
    let server = FakeServer::start().await.expect("fake server");
    let books = Arc::new(Mutex::new(ShopeeBooks::default()));
    books.lock().unwrap().valid.insert(first_refresh_token.to_string());
    let state = books.clone();
    server.respond_with(move |request: &RecordedRequest| {
        let body = request.json().unwrap_or_default();
        let given = body["refresh_token"].as_str().unwrap_or_default().to_string();
        let mut books = state.lock().unwrap();
        if !books.valid.remove(&given) {
            return ScriptedResponse::json(
                403,
                &serde_json::json!({"error": "error_auth", "message": "Invalid refresh_token.", "request_id": "e3e3e7f3"}),
            );
        }
        books.spent.insert(given);
        books.issued += 1;
        let refresh = format!("5a6d4e52536f6c4a54-r{}", books.issued);
        books.valid.insert(refresh.clone());
        ScriptedResponse::json(
            200,
            &serde_json::json!({
                "refresh_token": refresh,
                "access_token": format!("4e4b6f70736c7a5a-a{}", books.issued),
                "expire_in": ACCESS_LIFETIME,
                "request_id": "b5ad7d3c9c5a0ee",
                "error": "",
                "message": "",
                "partner_id": 2001887,
                "shop_id": 600000012
            }),
        )
        .delayed(Duration::from_millis(30))
    });
    (server, books)
}

/// A channel that can only refresh: what a marketplace adapter's `refresh_tokens` does.
#[derive(Debug)]
pub struct RefreshingChannel {
    pub url: url::Url,
    pub http: ReqwestClient,
    pub clock: Arc<dyn Clock>,
    pub capabilities: Capabilities,
    /// The access token of every send, in order.
    pub sent_with: Mutex<Vec<Option<String>>>,
}

impl RefreshingChannel {
    pub fn new(platform: &FakeServer, clock: Arc<dyn Clock>) -> Self {
        RefreshingChannel {
            url: platform.url_for("/api/v2/auth/access_token/get"),
            http: ReqwestClient::new(),
            clock,
            capabilities: Capabilities { token_refresh: true, send: ContentKinds::all(), ..Capabilities::default() },
            sent_with: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Channel for RefreshingChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::SHOPEE
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "this test channel receives no webhooks"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let token = request.access_token.map(|t| t.expose_secret().to_string());
        let mut sent = self.sent_with.lock().unwrap();
        sent.push(token);
        Ok(SendReceipt::new(format!("shopee-msg-{}", sent.len())))
    }
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        let refresh =
            tokens.refresh_token.as_ref().ok_or_else(|| Error::new(ErrorKind::TokenInvalid, "no refresh token"))?;
        let body = serde_json::json!({
            "refresh_token": refresh.expose_secret(),
            "partner_id": 2001887,
            "shop_id": account.platform_account_id.parse::<u64>().unwrap_or(0),
        });
        let request = http::Request::post(self.url.as_str())
            .header("content-type", "application/json")
            .body(Bytes::from(serde_json::to_vec(&body).unwrap()))
            .unwrap();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| Error::new(ErrorKind::PlatformUnavailable, format!("refresh failed: {e}")).temporary())?;
        let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
        match response.status().as_u16() {
            200 => {
                let now = self.clock.now();
                let mut fresh = TokenSet::new(answer["access_token"].as_str().unwrap_or_default())
                    .with_refresh_token(answer["refresh_token"].as_str().unwrap_or_default())
                    .expiring_at(now.saturating_add(Duration::from_secs(answer["expire_in"].as_u64().unwrap_or(0))));
                fresh.scopes = tokens.scopes.clone();
                Ok(fresh)
            }
            status if status >= 500 => {
                Err(Error::new(ErrorKind::PlatformUnavailable, format!("Shopee answered {status}")).temporary())
            }
            _ => Err(Error::new(
                ErrorKind::TokenInvalid,
                format!("Shopee refused the refresh: {}", answer["error"].as_str().unwrap_or("unknown")),
            )),
        }
    }
}

/// A Shopee shop account's tokens, expiring `in_seconds` from [`NOW`].
pub fn shop_tokens(refresh: &str, in_seconds: i64) -> TokenSet {
    let mut tokens = TokenSet::new("4e4b6f70736c7a5a-a0")
        .with_refresh_token(refresh)
        .expiring_at(Timestamp::from_unix_seconds(NOW + in_seconds));
    tokens.refresh_expires_at = Some(Timestamp::from_unix_seconds(NOW + 30 * 86_400));
    tokens
}

/// Decodes lowercase or uppercase hex (Wycheproof fields).
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}
