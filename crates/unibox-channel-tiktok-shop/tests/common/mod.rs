//! Shared test helpers: the app's key and secret, the fixtures, signing webhooks as TikTok Shop
//! signs them, and a loopback fake of the Partner API that checks every signature.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use unibox_channel_marketplace::push::signed_push;
use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig, request_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The app key.
pub const APP_KEY: &str = "6a1b2c3d4e5f6";
/// The app secret.
pub const APP_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6";
/// Another app's secret.
pub const OTHER_SECRET: &str = "ffeeddccbbaa99887766554433221100ffeeddcc";
/// The shop of the fixtures.
pub const SHOP: &str = "7494049642642441621";
/// Its cipher.
pub const CIPHER: &str = "ROW_Gq1WTQAAAAAhh4FxnW7oUgR8lmB7xVqC";
/// The conversation of the message fixtures.
pub const CONVERSATION: &str = "710688832392260838";
/// The access token the tests send with.
pub const ACCESS_TOKEN: &str = "ROW_i1HMewAAAAD5yxkKcU3Ge0rxGZp8Lw2hk8a2pNa9";
/// The public webhook URL.
pub const URL: &str = "https://inbox.example.com/webhooks/tiktok-shop";
/// The test clock (seconds).
pub const NOW: i64 = 1_732_000_010;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)))
}

pub fn config() -> TikTokShopConfig {
    TikTokShopConfig::builder().app_key(APP_KEY).app_secret(APP_SECRET).build().expect("valid configuration")
}

pub fn channel() -> TikTokShopChannel {
    TikTokShopChannel::new(config()).with_clock(clock())
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn fixture(name: &str) -> Vec<u8> {
    unibox_testkit::fixture_files::read(FIXTURES, name)
}

pub fn fixture_names() -> Vec<String> {
    unibox_testkit::fixture_files::names(FIXTURES)
}

/// A webhook of `body` signed with `secret` as TikTok Shop signs it.
pub fn signed_with(secret: &str, body: &[u8]) -> WebhookRequest {
    signed_push(URL.parse().unwrap(), APP_KEY, secret, body)
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_with(APP_SECRET, body)
}

pub fn events_of(channel: &TikTokShopChannel, body: &[u8]) -> Vec<InboundEvent> {
    unibox_testkit::channel::events_of(channel, &signed(body))
}

pub fn event(name: &str) -> InboundEvent {
    unibox_testkit::channel::one_event(&channel(), &signed(&fixture(name)))
}

/// A channel calling `platform` (a loopback fake of TikTok Shop) with a real HTTP client; it
/// knows the shop's cipher when `with_cipher`.
pub fn sending_channel(platform: &FakeServer, clock: Arc<ManualClock>, with_cipher: bool) -> TikTokShopChannel {
    let mut builder = TikTokShopConfig::builder()
        .app_key(APP_KEY)
        .app_secret(APP_SECRET)
        .api_base_url(platform.url_for("/api"))
        .auth_base_url(platform.url_for("/auth"));
    if with_cipher {
        builder = builder.shop(SHOP, CIPHER);
    }
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    TikTokShopChannel::new(builder.build().expect("valid configuration"))
        .with_clock(clock)
        .with_http_client(Arc::new(client))
}

pub fn account() -> ChannelAccount {
    ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-tiktok".parse().unwrap(),
        ChannelKind::TIKTOK_SHOP,
        SHOP,
        Timestamp::from_unix_seconds(1_700_000_000),
    )
}

pub fn chat(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity {
        account: account.id,
        kind: IdentityKind::Other("tiktok_shop_conversation".into()),
        value: CONVERSATION.into(),
    }
}

#[derive(Default)]
pub struct Books {
    pub access: HashSet<String>,
    pub refresh: HashSet<String>,
    pub spent: HashSet<String>,
    pub refreshes: usize,
    pub issued: usize,
    /// Messages sent: id → (conversation, body JSON).
    pub sent: HashMap<String, (String, serde_json::Value)>,
    pub read: Vec<String>,
    /// Orders by id, as `/order/202309/orders` answers them.
    pub orders: Vec<serde_json::Value>,
    /// Conversations, newest first: (id, its messages as the message list answers them).
    pub conversations: Vec<(String, Vec<serde_json::Value>)>,
    /// The buyer `user_id` of a conversation, where it is not `7494560109732334274`.
    pub buyers: HashMap<String, String>,
    /// The active products the product search lists.
    pub products: Vec<serde_json::Value>,
    /// Every (method, API path) read, in order.
    pub calls: Vec<String>,
    /// An (HTTP status, code) the next read answers with (once).
    pub fail_next: Option<(u16, i64)>,
}

/// Answers like TikTok Shop: checks `sign` (secret-wrapped, over the path, the sorted query and
/// the exact body), the timestamp in seconds, `x-tts-access-token` and `shop_cipher`; issues
/// tokens for the code `TTP_valid`; refresh tokens work once.
#[derive(Clone)]
pub struct FakeTikTokShop {
    pub books: Arc<Mutex<Books>>,
}

fn failure(status: u16, code: i64, message: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        status,
        &json!({"code": code, "message": message, "request_id": "202411190706500001", "data": null}),
    )
}

fn success(data: serde_json::Value) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &json!({"code": 0, "message": "Success", "request_id": "202411190706500002", "data": data}),
    )
}

impl FakeTikTokShop {
    pub fn new() -> Self {
        let mut books = Books::default();
        books.access.insert(ACCESS_TOKEN.to_owned());
        books.refresh.insert("ROW_refresh-0".to_owned());
        FakeTikTokShop { books: Arc::new(Mutex::new(books)) }
    }

    pub fn serve(&self, platform: &FakeServer) {
        let fake = self.clone();
        platform.respond_with(move |request| fake.answer(request));
    }

    fn issue(&self, books: &mut Books) -> serde_json::Value {
        books.issued += 1;
        let n = books.issued;
        let (access, refresh) = (format!("ROW_access-{n}"), format!("ROW_refresh-{n}"));
        books.access.insert(access.clone());
        books.refresh.insert(refresh.clone());
        json!({"access_token": access, "access_token_expire_in": NOW + 604_800, "refresh_token": refresh,
            "refresh_token_expire_in": 4_841_467_787_i64, "open_id": "7010736057180325637", "seller_name": "Acme Thailand",
            "seller_base_region": "TH", "user_type": 0, "granted_scopes": ["seller.authorization.info", "seller.customer_service"]})
    }

    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(request.query().unwrap_or("").as_bytes()).into_owned().collect();
        let path = request.path();
        let mut books = self.books.lock().unwrap();
        if let Some(token_path) = path.strip_prefix("/auth") {
            if query.get("app_key").map(String::as_str) != Some(APP_KEY)
                || query.get("app_secret").map(String::as_str) != Some(APP_SECRET)
            {
                return failure(200, 36009004, "invalid app_key or app_secret");
            }
            return match token_path {
                "/api/v2/token/get" if query.get("auth_code").map(String::as_str) == Some("TTP_valid") => {
                    success(self.issue(&mut books))
                }
                "/api/v2/token/get" => failure(200, 36004004, "invalid auth code"),
                "/api/v2/token/refresh" => {
                    books.refreshes += 1;
                    let token = query.get("refresh_token").cloned().unwrap_or_default();
                    if books.refresh.remove(&token) {
                        books.spent.insert(token);
                        success(self.issue(&mut books))
                    } else {
                        failure(200, 105002, "refresh token is expired or invalid")
                    }
                }
                _ => failure(404, 36009009, "invalid path"),
            };
        }
        let Some(api_path) = path.strip_prefix("/api") else { return failure(404, 36009009, "invalid path") };
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let expected = request_signature(APP_SECRET, api_path, &pairs, &request.body);
        if query.get("sign") != Some(&expected) {
            return failure(401, 106001, "Invalid sign");
        }
        let timestamp: i64 = query.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
        if !(NOW - 300..=NOW + 30).contains(&timestamp) {
            return failure(401, 36009004, "timestamp (seconds) out of range");
        }
        if !books.access.contains(request.header("x-tts-access-token").unwrap_or("")) {
            return failure(401, 105002, "Expired credentials");
        }
        if api_path == "/authorization/202309/shops" {
            return success(
                json!({"shops": [{"id": SHOP, "name": "Acme Thailand", "region": "TH", "seller_type": "LOCAL", "cipher": CIPHER, "code": "THLCB3WLVN"}]}),
            );
        }
        if query.get("shop_cipher").map(String::as_str) != Some(CIPHER) {
            return failure(400, 106013, "shop_cipher is missing or wrong");
        }
        let reads = request.method == http::Method::GET
            || api_path == "/order/202309/orders/search"
            || api_path == "/product/202309/products/search";
        if reads {
            books.calls.push(format!("{} {api_path}", request.method));
            if let Some((status, code)) = books.fail_next.take() {
                return failure(status, code, "Too many requests");
            }
            return self.read(&books, api_path, &query, &request.body);
        }
        let Some(rest) = api_path.strip_prefix("/customer_service/202309/conversations/") else {
            return failure(404, 36009009, "invalid path");
        };
        if let Some(conversation) = rest.strip_suffix("/messages/read") {
            books.read.push(conversation.to_owned());
            return success(json!({}));
        }
        let Some(conversation) = rest.strip_suffix("/messages") else { return failure(404, 36009009, "invalid path") };
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let inner = body["content"].as_str().and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok());
        if inner.is_none() || body["type"].as_str().is_none() {
            return failure(400, 45101001, "content must be a JSON string");
        }
        let id = format!("74945601097323{:05}", books.sent.len() + 1);
        books.sent.insert(id.clone(), (conversation.to_owned(), body));
        success(json!({"message_id": id}))
    }

    /// The reads: orders, the order search, conversations and messages, the product search.
    fn read(&self, books: &Books, api_path: &str, query: &HashMap<String, String>, body: &[u8]) -> ScriptedResponse {
        let size: usize = query.get("page_size").and_then(|s| s.parse().ok()).unwrap_or(10);
        // Page tokens are the index of the page's first entry.
        let start: usize = query.get("page_token").and_then(|t| t.strip_prefix("tok-")?.parse().ok()).unwrap_or(0);
        let next = |total: usize| if start + size < total { format!("tok-{}", start + size) } else { String::new() };
        match api_path {
            "/order/202309/orders" => {
                let ids: Vec<&str> = query.get("ids").map(|i| i.split(',').collect()).unwrap_or_default();
                let orders: Vec<&serde_json::Value> =
                    books.orders.iter().filter(|o| ids.contains(&o["id"].as_str().unwrap_or(""))).collect();
                success(json!({"orders": orders}))
            }
            "/order/202309/orders/search" => {
                let filter: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
                let orders: Vec<&serde_json::Value> =
                    books.orders.iter().filter(|o| o["user_id"] == filter["buyer_user_id"]).collect();
                success(json!({"orders": orders, "total_count": orders.len(), "next_page_token": ""}))
            }
            "/customer_service/202309/conversations" => {
                let page: Vec<serde_json::Value> = books
                    .conversations
                    .iter()
                    .skip(start)
                    .take(size)
                    .map(|(id, _)| json!({"id": id, "participant_count": 2, "can_send_message": true, "unread_count": 0,
                        "create_time": NOW - 86_400, "participants": [{"im_user_id": "707885565181165594",
                        "user_id": books.buyers.get(id).map_or("7494560109732334274", String::as_str),
                        "role": "BUYER", "nickname": "somchai.j", "avatar": "https://p16-oec-va.ibyteimg.com/avatar.jpeg", "buyer_platform": "TIKTOK_SHOP"}]}))
                    .collect();
                success(json!({"conversations": page, "next_page_token": next(books.conversations.len())}))
            }
            path => {
                let conversation = path
                    .strip_prefix("/customer_service/202309/conversations/")
                    .and_then(|rest| rest.strip_suffix("/messages"));
                match conversation.and_then(|c| books.conversations.iter().find(|(id, _)| id == c)) {
                    Some((_, messages)) => {
                        success(json!({"messages": messages, "next_page_token": "", "unsupported_msg_tips": ""}))
                    }
                    None if path == "/product/202309/products/search" => {
                        let page: Vec<&serde_json::Value> = books.products.iter().skip(start).take(size).collect();
                        success(
                            json!({"products": page, "total_count": books.products.len(), "next_page_token": next(books.products.len())}),
                        )
                    }
                    None => failure(404, 36009009, "invalid path"),
                }
            }
        }
    }
}
