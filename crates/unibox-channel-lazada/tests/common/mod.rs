//! Shared test helpers: the app's key and secret, the fixtures, signing pushes as Lazada
//! signs them, and a loopback fake of Lazada's Open Platform that checks every signature.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use unibox_channel_lazada::{LazadaChannel, LazadaConfig, request_signature};
use unibox_channel_marketplace::push::signed_push;
use unibox_core::channel::WebhookRequest;
use unibox_core::{ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The app key (App Console).
pub const APP_KEY: &str = "115527";
/// The app secret.
pub const APP_SECRET: &str = "Xq8v2LmZp4Rt7Ws1Nc6Bd9Fh3Jk5Yg0A";
/// Another app's secret.
pub const OTHER_SECRET: &str = "Zz9y8x7w6v5u4t3s2r1q0pOnMlKjIhGf";
/// The seller of the IM fixtures.
pub const SELLER: &str = "20240305";
/// The chat of the IM fixtures.
pub const SESSION: &str = "100094063_2_1011822749_1_103";
/// The access token the tests send with.
pub const ACCESS_TOKEN: &str = "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB7701ceb156fPunYZ43GBg";
/// The public push URL.
pub const URL: &str = "https://inbox.example.com/webhooks/lazada";
/// The test clock's time (ms).
pub const NOW_MILLIS: i64 = 1_732_000_010_000;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_millis(NOW_MILLIS)))
}

pub fn config() -> LazadaConfig {
    LazadaConfig::builder().app_key(APP_KEY).app_secret(APP_SECRET).build().expect("valid configuration")
}

pub fn channel() -> LazadaChannel {
    LazadaChannel::new(config()).with_clock(clock())
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The exact bytes of `tests/fixtures/{name}.json`.
pub fn fixture(name: &str) -> Vec<u8> {
    unibox_testkit::fixture_files::read(FIXTURES, name)
}

/// Every fixture's name.
pub fn fixture_names() -> Vec<String> {
    unibox_testkit::fixture_files::names(FIXTURES)
}

/// A push of `body` signed with `secret` as Lazada signs it.
pub fn signed_with(secret: &str, body: &[u8]) -> WebhookRequest {
    signed_push(URL.parse().unwrap(), APP_KEY, secret, body)
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_with(APP_SECRET, body)
}

/// The events of a body, verified and parsed by `channel`.
pub fn events_of(channel: &LazadaChannel, body: &[u8]) -> Vec<InboundEvent> {
    unibox_testkit::channel::events_of(channel, &signed(body))
}

/// The one event of a fixture.
pub fn event(name: &str) -> InboundEvent {
    unibox_testkit::channel::one_event(&channel(), &signed(&fixture(name)))
}

/// A channel calling `platform` (a loopback fake of Lazada) with a real HTTP client.
pub fn sending_channel(platform: &FakeServer, clock: Arc<ManualClock>) -> LazadaChannel {
    let config = LazadaConfig::builder()
        .app_key(APP_KEY)
        .app_secret(APP_SECRET)
        .api_base_url(platform.url_for("/rest"))
        .auth_base_url(platform.url_for("/auth-rest"))
        .build()
        .expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    LazadaChannel::new(config).with_clock(clock).with_http_client(Arc::new(client))
}

/// The seller's account.
pub fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-lazada".parse().unwrap(),
        ChannelKind::LAZADA,
        SELLER,
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

/// The chat's identity on that account.
pub fn chat(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::Other("lazada_session".into()), value: SESSION.into() }
}

/// What the fake platform saw and holds.
#[derive(Default)]
pub struct Books {
    /// Access tokens that work.
    pub access: HashSet<String>,
    /// Refresh tokens not yet used.
    pub refresh: HashSet<String>,
    /// Refresh tokens used once (a second use fails).
    pub spent: HashSet<String>,
    /// How many refresh calls arrived.
    pub refreshes: usize,
    /// How many tokens were issued.
    pub issued: usize,
    /// Messages sent, by id: the parameters.
    pub sent: HashMap<String, HashMap<String, String>>,
    /// Sessions marked read: (session, last message).
    pub read: Vec<(String, String)>,
    /// Orders by id: the `/order/get` data and the `/order/items/get` lines.
    pub orders: HashMap<String, (serde_json::Value, serde_json::Value)>,
    /// Chat sessions, newest first: (session id, its messages as `/im/message/list` lists them).
    pub sessions: Vec<(String, Vec<serde_json::Value>)>,
    /// The live products `/products/get` lists.
    pub products: Vec<serde_json::Value>,
    /// Every API path called, in order.
    pub calls: Vec<String>,
    /// An error code the next read answers with (once).
    pub fail_next: Option<String>,
}

/// Answers like Lazada's Open Platform: checks `sign` over the received parameters, the
/// millisecond timestamp and the access token; issues tokens for the code `0_115527_valid`;
/// refresh tokens work once.
#[derive(Clone)]
pub struct FakeLazada {
    pub books: Arc<Mutex<Books>>,
}

fn error(code: &str, message: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &json!({"type": "ISV", "code": code, "message": message, "request_id": "0ba2887315178178017221014"}),
    )
}

impl FakeLazada {
    pub fn new() -> Self {
        let mut books = Books::default();
        books.access.insert(ACCESS_TOKEN.to_owned());
        books.refresh.insert("50001600a30hkQ2bhuL7Sjdzf1f2c8sVdXyd5XYR0ez.refresh-0".to_owned());
        FakeLazada { books: Arc::new(Mutex::new(books)) }
    }

    /// Installs the fake as `platform`'s responder.
    pub fn serve(&self, platform: &FakeServer) {
        let fake = self.clone();
        platform.respond_with(move |request| fake.answer(request));
    }

    fn issue(&self, books: &mut Books) -> serde_json::Value {
        books.issued += 1;
        let n = books.issued;
        let access = format!("50000601c30atpedfgu3LVvik87Ixlsvle3mSoB.access-{n}");
        let refresh = format!("50001600a30hkQ2bhuL7Sjdzf1f2c8sVdXyd5XYR0ez.refresh-{n}");
        books.access.insert(access.clone());
        books.refresh.insert(refresh.clone());
        json!({
            "access_token": access, "refresh_token": refresh, "expires_in": 2_592_000, "refresh_expires_in": 15_552_000,
            "country": "th", "account": "seller@acme.example", "account_platform": "seller_center",
            "country_user_info": [{"country": "th", "seller_id": SELLER, "user_id": "100094063", "short_code": "THJ2K7A1"}],
            "code": "0", "request_id": "2101b1c117320000100001234"
        })
    }

    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let params: HashMap<String, String> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let path = request.path();
        let api_path = path.strip_prefix("/rest").or_else(|| path.strip_prefix("/auth-rest")).unwrap_or(path);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let expected = request_signature(APP_SECRET, api_path, &pairs, None);
        if params.get("sign") != Some(&expected) || params.get("sign_method").map(String::as_str) != Some("sha256") {
            return error("IncompleteSignature", "The request signature does not conform to platform standards");
        }
        if params.get("app_key").map(String::as_str) != Some(APP_KEY) {
            return error("InvalidAppKey", "the app key is invalid");
        }
        let timestamp: i64 = params.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
        if (timestamp - NOW_MILLIS).abs() > 7_200_000 {
            return error("InvalidTimestamp", "the timestamp (milliseconds) is out of range");
        }
        if request.query().is_some() {
            return error("MissingParameter", "parameters go in the body in these tests");
        }
        let mut books = self.books.lock().unwrap();
        match api_path {
            "/auth/token/create" => {
                if params.get("code").map(String::as_str) == Some("0_115527_valid") {
                    ScriptedResponse::json(200, &self.issue(&mut books))
                } else {
                    error("InvalidCode", "Invalid authorization code")
                }
            }
            "/auth/token/refresh" => {
                books.refreshes += 1;
                let token = params.get("refresh_token").cloned().unwrap_or_default();
                if books.refresh.remove(&token) {
                    books.spent.insert(token);
                    ScriptedResponse::json(200, &self.issue(&mut books))
                } else {
                    error(
                        "IllegalRefreshToken",
                        "Refresh token is invalid or expired, please have your seller re-login",
                    )
                }
            }
            "/order/get" | "/order/items/get" | "/im/session/list" | "/im/message/list" | "/products/get" => {
                books.calls.push(api_path.to_owned());
                let token = params.get("access_token").cloned().unwrap_or_default();
                if !books.access.contains(&token) {
                    return error("IllegalAccessToken", "The specified access token is invalid or expired");
                }
                if let Some(code) = books.fail_next.take() {
                    return error(&code, "Api access frequency exceeds the limit. this ban will last 1 seconds");
                }
                let ok = |data: serde_json::Value| {
                    ScriptedResponse::json(
                        200,
                        &json!({"code": "0", "data": data, "request_id": "2101b1c117320000100007777"}),
                    )
                };
                let param = |name: &str| params.get(name).cloned().unwrap_or_default();
                match api_path {
                    "/order/get" | "/order/items/get" => match books.orders.get(&param("order_id")) {
                        Some((order, _)) if api_path == "/order/get" => ok(order.clone()),
                        Some((_, items)) => ok(items.clone()),
                        None => error("E0001", "Order not found"),
                    },
                    "/im/session/list" => {
                        // Paged by last_session_id: the sessions after it.
                        let size: usize = param("page_size").parse().unwrap_or(20);
                        let after = params.get("last_session_id");
                        let start = after
                            .and_then(|last| books.sessions.iter().position(|(id, _)| id == last).map(|i| i + 1))
                            .unwrap_or(0);
                        let page: Vec<&(String, Vec<serde_json::Value>)> =
                            books.sessions.iter().skip(start).take(size).collect();
                        let has_more = start + page.len() < books.sessions.len();
                        let list: Vec<serde_json::Value> = page
                            .iter()
                            .map(|(id, _)| json!({"session_id": id, "title": "buyer", "summary": "…", "unread_count": 0, "site_id": "TH"}))
                            .collect();
                        ok(
                            json!({"has_more": has_more, "next_start_time": NOW_MILLIS - 1000, "last_session_id": page.last().map(|(id, _)| id.clone()), "session_list": list}),
                        )
                    }
                    "/im/message/list" => {
                        let session = param("session_id");
                        let messages = books
                            .sessions
                            .iter()
                            .find(|(id, _)| *id == session)
                            .map(|(_, m)| m.clone())
                            .unwrap_or_default();
                        ok(json!({"has_more": false, "next_start_time": 0, "message_list": messages}))
                    }
                    _ => {
                        let offset: usize = param("offset").parse().unwrap_or(0);
                        let limit: usize = param("limit").parse().unwrap_or(10);
                        let page: Vec<serde_json::Value> =
                            books.products.iter().skip(offset).take(limit).cloned().collect();
                        ok(json!({"total_products": books.products.len(), "products": page}))
                    }
                }
            }
            "/im/message/send" | "/im/session/read" => {
                let token = params.get("access_token").cloned().unwrap_or_default();
                if !books.access.contains(&token) {
                    return ScriptedResponse::json(
                        200,
                        &json!({"type": "ISV", "code": "IllegalAccessToken", "message": "The specified access token is invalid or expired", "request_id": "0ba2887315178178017221014"}),
                    );
                }
                if api_path == "/im/session/read" {
                    books.read.push((params["session_id"].clone(), params["last_read_message_id"].clone()));
                    return ScriptedResponse::json(200, &json!({"code": "0", "success": true, "request_id": "1"}));
                }
                let id = format!("3zYOS7N0cuIqw9{:04}", books.sent.len() + 1);
                books.sent.insert(id.clone(), params.clone());
                ScriptedResponse::json(
                    200,
                    &json!({"code": "0", "success": true, "err_code": "0", "err_message": "SUCCESS",
                        "data": {"current_time": NOW_MILLIS, "message_id": id, "template_id": params.get("template_id").and_then(|t| t.parse::<i64>().ok())},
                        "request_id": "2101b1c117320000100005678"}),
                )
            }
            _ => error("InvalidApiPath", "The specified API path is invalid"),
        }
    }
}
