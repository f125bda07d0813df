//! Shared test helpers: the app's credentials, the fixtures, signing pushes as Shopee signs
//! them, and a loopback fake of Shopee's API that checks every request's signature, spends
//! authorization codes and refresh tokens once, and answers sellerchat sends.
#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use unibox_channel_shopee::{ShopeeChannel, ShopeeConfig, SignedCall, push_authorization};
use unibox_core::channel::WebhookRequest;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, InboundEvent, ManualClock, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

/// The app's partner id.
pub const PARTNER_ID: u64 = 2001887;
/// The partner key the channel under test holds.
pub const PARTNER_KEY: &str = "4a6d7071726e6f7065716f617873726a6b7a6a6e616d6a7a6e6a6c6b6f7a6d";
/// Another app's key.
pub const OTHER_KEY: &str = "6b6f7a6d4a6d7071726e6f7065716f617873726a6b7a6a6e616d6a7a6e6a6c";
/// The push callback URL registered with Shopee.
pub const CALLBACK_URL: &str = "https://inbox.example.com/webhooks/shopee?tenant=acme";
/// The shop of the outbound tests.
pub const SHOP: &str = "600000012";
/// A buyer of that shop.
pub const BUYER: &str = "384920111";
/// The shop's first access token.
pub const ACCESS_TOKEN: &str = "4e4b6f70736c7a5a4c6a4e6b";
/// The shop's first refresh token.
pub const REFRESH_TOKEN: &str = "5a6d4e52536f6c4a54-r0";
/// Now, in the tests' world.
pub const NOW: i64 = 1_732_000_500;
/// Shopee access tokens last 4 hours.
pub const ACCESS_LIFETIME: u64 = 14_400;
/// The conversation id the fake answers sends with: past 2^53.
pub const CONVERSATION_ID: u64 = 9_007_199_254_740_995;

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)))
}

pub fn config() -> ShopeeConfig {
    ShopeeConfig::builder()
        .partner_id(PARTNER_ID)
        .partner_key(PARTNER_KEY)
        .callback_url(CALLBACK_URL)
        .build()
        .expect("valid configuration")
}

pub fn channel() -> ShopeeChannel {
    ShopeeChannel::new(config()).with_clock(clock())
}

/// The exact bytes of `tests/fixtures/{name}.json`.
pub fn fixture(name: &str) -> Vec<u8> {
    unibox_testkit::fixture_files::read(FIXTURES, name)
}

/// Every fixture's name.
pub fn fixture_names() -> Vec<String> {
    unibox_testkit::fixture_files::names(FIXTURES)
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A push of `body` signed with `key` for `url`, as Shopee signs it, arriving at the public URL.
pub fn signed_for(key: &str, url: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(CALLBACK_URL.parse().unwrap(), body.to_vec())
        .with_header("content-type", "application/json")
        .with_header("authorization", &push_authorization(key, url, body))
}

pub fn signed(body: &[u8]) -> WebhookRequest {
    signed_for(PARTNER_KEY, CALLBACK_URL, body)
}

/// The events of a body, verified and parsed by `channel`.
pub fn events_of(channel: &ShopeeChannel, body: &[u8]) -> Vec<InboundEvent> {
    let request = signed(body);
    let verified = channel.verify(&request).unwrap_or_else(|e| panic!("failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("failed to parse: {e}"))
}

/// The events of a fixture, parsed by a fresh test channel.
pub fn events(name: &str) -> Vec<InboundEvent> {
    events_of(&channel(), &fixture(name))
}

/// The one event of a fixture.
pub fn event(name: &str) -> InboundEvent {
    let mut events = events(name);
    assert_eq!(events.len(), 1, "{name} should parse into exactly one event: {events:?}");
    events.remove(0)
}

/// A channel calling `api` (a loopback fake of Shopee's API) with a real HTTP client.
pub fn sending_channel(api: &FakeServer, clock: Arc<ManualClock>) -> ShopeeChannel {
    let config = ShopeeConfig::builder()
        .partner_id(PARTNER_ID)
        .partner_key(PARTNER_KEY)
        .callback_url(CALLBACK_URL)
        .api_base_url(api.url())
        .build()
        .expect("valid configuration");
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    ShopeeChannel::new(config).with_clock(clock).with_http_client(Arc::new(client))
}

/// The shop's account.
pub fn account(tenant: &str) -> ChannelAccount {
    ChannelAccount::new(
        tenant.parse().unwrap(),
        "acme-shopee".parse().unwrap(),
        ChannelKind::SHOPEE,
        SHOP,
        Timestamp::from_unix_seconds(NOW - 86_400),
    )
    .with_display_name("Acme Thailand")
}

/// The buyer's identity on that account.
pub fn buyer(account: &ChannelAccount) -> ContactIdentity {
    ContactIdentity { account: account.id, kind: IdentityKind::MarketplaceBuyerId, value: BUYER.into() }
}

/// The shop's tokens, expiring `in_seconds` from [`NOW`].
pub fn shop_tokens(in_seconds: i64) -> TokenSet {
    TokenSet::new(ACCESS_TOKEN)
        .with_refresh_token(REFRESH_TOKEN)
        .expiring_at(Timestamp::from_unix_seconds(NOW + in_seconds))
}

/// What the fake platform knows and did.
#[derive(Default)]
pub struct Books {
    pub access_tokens: HashSet<String>,
    pub refresh_tokens: HashSet<String>,
    pub spent_refresh_tokens: HashSet<String>,
    pub codes: HashSet<String>,
    pub issued: u64,
    pub refresh_calls: u64,
    /// The access token of every accepted send, in order.
    pub sent_with: Vec<String>,
    pub reads: Vec<serde_json::Value>,
    /// Order details by order_sn (`get_order_detail` answers them).
    pub orders: HashMap<String, serde_json::Value>,
    /// Tracking numbers by order_sn.
    pub tracking: HashMap<String, String>,
    /// The conversation list, newest first: (conversation id, its messages as JSON text).
    pub conversations: Vec<(String, Vec<String>)>,
    /// The `next_timestamp_nano` of every conversation list request (None: the first page).
    pub conversation_pages: Vec<Option<String>>,
    /// Lost pushes not yet confirmed: (message id, the push body as JSON text).
    pub lost: Vec<(u64, String)>,
    /// Every confirmed lost push message id.
    pub confirmed: Vec<u64>,
    /// The shop's items, as `get_item_base_info` lists them.
    pub items: Vec<serde_json::Value>,
    /// Answer the next shop call with Shopee's rate limit error.
    pub throttle_next: bool,
}

/// Answers like Shopee's API. Every request must carry `partner_id`, `timestamp` within 5
/// minutes of the clock and a `sign` over the right base string, else `error_sign` /
/// `error_param`. Refresh tokens and authorization codes work once (`error_auth`
/// "Invalid refresh_token." the second time); each refresh issues a new pair and invalidates
/// the old access token; sends need a current access token and answer a new message id and a
/// conversation id past 2^53 as a bare number.
#[derive(Clone)]
pub struct FakeShopee {
    pub books: Arc<Mutex<Books>>,
    pub now: Arc<ManualClock>,
}

impl FakeShopee {
    pub fn new(now: Arc<ManualClock>) -> Self {
        let books = Books {
            access_tokens: HashSet::from([ACCESS_TOKEN.to_owned()]),
            refresh_tokens: HashSet::from([REFRESH_TOKEN.to_owned()]),
            codes: HashSet::from(["7a5a6d4e4c6a4e6b4b6f7073".to_owned()]),
            ..Books::default()
        };
        FakeShopee { books: Arc::new(Mutex::new(books)), now }
    }

    /// Serves `server` with this fake; token answers are delayed a little so concurrent
    /// callers really overlap.
    pub fn serve(&self, server: &FakeServer) {
        let fake = self.clone();
        server.respond_with(move |request| fake.answer(request));
    }

    fn error(status: u16, error: &str, message: &str) -> ScriptedResponse {
        ScriptedResponse::json(
            status,
            &serde_json::json!({"error": error, "message": message, "request_id": "e3e3e7f3a1"}),
        )
    }

    pub fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(request.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let (Some(partner_id), Some(timestamp), Some(sign)) =
            (query.get("partner_id"), query.get("timestamp"), query.get("sign"))
        else {
            return Self::error(400, "error_param", "There is no partner_id, timestamp or sign in query.");
        };
        if partner_id != &PARTNER_ID.to_string() {
            return Self::error(400, "error_param", "Invalid partner_id.");
        }
        let Ok(timestamp) = timestamp.parse::<i64>() else {
            return Self::error(400, "error_param", "Invalid timestamp.");
        };
        if (timestamp - unibox_core::Clock::now(self.now.as_ref()).as_unix_seconds()).abs() > 300 {
            return Self::error(400, "error_param", "Invalid timestamp.");
        }
        let path = request.path();
        let access_token = query.get("access_token").cloned();
        let call = match (&access_token, query.get("shop_id")) {
            (Some(token), Some(shop)) => {
                let Ok(shop_id) = shop.parse::<u64>() else {
                    return Self::error(400, "error_param", "Invalid shop_id.");
                };
                SignedCall::Shop { access_token: token, shop_id }.sign(PARTNER_KEY, PARTNER_ID, path, timestamp)
            }
            _ => SignedCall::Public.sign(PARTNER_KEY, PARTNER_ID, path, timestamp),
        };
        if &call != sign {
            return Self::error(403, "error_sign", "Wrong sign.");
        }
        let body = request.json().unwrap_or_default();
        let mut books = self.books.lock().unwrap();
        match path {
            "/api/v2/auth/token/get" => {
                let code = body["code"].as_str().unwrap_or_default();
                if !books.codes.remove(code) {
                    return Self::error(403, "error_auth", "Invalid code.");
                }
                books.issue(body["shop_id"].as_u64().unwrap_or_default())
            }
            "/api/v2/auth/access_token/get" => {
                books.refresh_calls += 1;
                let given = body["refresh_token"].as_str().unwrap_or_default().to_owned();
                if !books.refresh_tokens.remove(&given) {
                    return Self::error(403, "error_auth", "Invalid refresh_token.");
                }
                books.spent_refresh_tokens.insert(given);
                books.access_tokens.clear();
                books.issue(body["shop_id"].as_u64().unwrap_or_default()).delayed(Duration::from_millis(40))
            }
            "/api/v2/sellerchat/send_message" | "/api/v2/sellerchat/read_conversation" => {
                let token = access_token.unwrap_or_default();
                if !books.access_tokens.contains(&token) {
                    return Self::error(403, "error_auth", "Invalid access_token.");
                }
                if path.ends_with("read_conversation") {
                    books.reads.push(body.clone());
                    return ScriptedResponse::json(
                        200,
                        &serde_json::json!({"error": "", "message": "", "request_id": "r1", "response": {"conversation_id": body["conversation_id"], "last_read_message_id": body["last_read_message_id"]}}),
                    );
                }
                books.sent_with.push(token);
                let number = books.sent_with.len() as u64;
                let message_id = format!("{}", 2302748948493200000u64 + number);
                // Built by hand so the conversation id is a bare number past 2^53, as Shopee sends it.
                let answer = format!(
                    r#"{{"request_id":"b5ad7d3c9c5a{number:04}","error":"","message":"","response":{{"to_id":{to},"message_id":"{message_id}","message_type":{kind},"content":{content},"conversation_id":{CONVERSATION_ID},"created_timestamp":{NOW},"message_option":0,"source":"","source_content":{{}}}}}}"#,
                    to = body["to_id"],
                    kind = body["message_type"],
                    content = body["content"],
                );
                ScriptedResponse::text(200, answer).with_header("content-type", "application/json")
            }
            "/api/v2/push/get_lost_push_message" => {
                let list: Vec<serde_json::Value> = books
                    .lost
                    .iter()
                    .take(2)
                    .map(|(_, push)| {
                        let parsed: serde_json::Value = serde_json::from_str(push).unwrap();
                        serde_json::json!({"shop_id": parsed["shop_id"], "code": parsed["code"], "timestamp": parsed["timestamp"], "data": push})
                    })
                    .collect();
                let last = books.lost.iter().take(2).next_back().map(|(id, _)| *id).unwrap_or_default();
                ScriptedResponse::json(
                    200,
                    &serde_json::json!({"error": "", "message": "", "request_id": "l1", "response": {"push_message_list": list, "has_next_page": books.lost.len() > 2, "last_message_id": last}}),
                )
            }
            "/api/v2/push/confirm_consumed_lost_push_message" => {
                let through = body["message_id"].as_u64().unwrap_or_default();
                books.lost.retain(|(id, _)| *id > through);
                books.confirmed.push(through);
                ScriptedResponse::json(200, &serde_json::json!({"error": "", "message": "", "request_id": "c1"}))
            }
            _ if path.starts_with("/api/v2/order/")
                || path.starts_with("/api/v2/logistics/")
                || path.starts_with("/api/v2/sellerchat/get_")
                || path.starts_with("/api/v2/product/") =>
            {
                let token = access_token.unwrap_or_default();
                if !books.access_tokens.contains(&token) {
                    return Self::error(403, "error_auth", "Invalid access_token.");
                }
                if std::mem::take(&mut books.throttle_next) {
                    return Self::error(429, "error_server", "Too many requests, please try again later.");
                }
                books.shop_get(path, &query)
            }
            _ => Self::error(404, "error_not_found", "Not found."),
        }
    }
}

impl Books {
    fn ok(response: serde_json::Value) -> ScriptedResponse {
        ScriptedResponse::json(
            200,
            &serde_json::json!({"error": "", "message": "", "request_id": "g1", "response": response}),
        )
    }

    fn shop_get(&mut self, path: &str, query: &HashMap<String, String>) -> ScriptedResponse {
        match path {
            "/api/v2/order/get_order_detail" => {
                let wanted = query.get("order_sn_list").cloned().unwrap_or_default();
                let list: Vec<serde_json::Value> =
                    wanted.split(',').filter_map(|sn| self.orders.get(sn).cloned()).collect();
                Self::ok(serde_json::json!({"order_list": list}))
            }
            "/api/v2/logistics/get_tracking_number" => {
                match self.tracking.get(query.get("order_sn").map(String::as_str).unwrap_or_default()) {
                    Some(number) => {
                        Self::ok(serde_json::json!({"tracking_number": number, "first_mile_tracking_number": ""}))
                    }
                    None => {
                        FakeShopee::error(400, "logistics.error_status_limit", "The order has no tracking number yet.")
                    }
                }
            }
            "/api/v2/sellerchat/get_conversation_list" => {
                let from = query.get("next_timestamp_nano").cloned();
                self.conversation_pages.push(from.clone());
                let size: usize = query.get("page_size").and_then(|s| s.parse().ok()).unwrap_or(10);
                // Positions are indexes into the list, written as nanosecond-looking numbers.
                let start = from
                    .as_deref()
                    .map_or(0, |nano| (nano.parse::<u64>().unwrap() - 1_726_000_000_000_000_000) as usize);
                let page: Vec<serde_json::Value> = self
                    .conversations
                    .iter()
                    .skip(start)
                    .take(size)
                    .map(|(id, _)| serde_json::json!({"conversation_id": id, "to_id": BUYER.parse::<u64>().unwrap(), "unread_count": 0}))
                    .collect();
                let more = start + size < self.conversations.len();
                let next = 1_726_000_000_000_000_000u64 + (start + size) as u64;
                Self::ok(
                    serde_json::json!({"conversations": page, "page_result": {"more": more, "next_cursor": {"next_message_time_nano": next.to_string(), "conversation_id": ""}}}),
                )
            }
            "/api/v2/sellerchat/get_message" => {
                let conversation = query.get("conversation_id").cloned().unwrap_or_default();
                let messages = self.conversations.iter().find(|(id, _)| *id == conversation).map(|(_, m)| m.clone());
                match messages {
                    Some(messages) => {
                        let text = format!(
                            r#"{{"error":"","message":"","request_id":"m1","response":{{"messages":[{}],"page_result":{{"next_offset":""}}}}}}"#,
                            messages.join(",")
                        );
                        ScriptedResponse::text(200, text).with_header("content-type", "application/json")
                    }
                    None => FakeShopee::error(400, "error_not_found", "conversation not found"),
                }
            }
            "/api/v2/product/get_item_list" => {
                let offset: usize = query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                let size: usize = query.get("page_size").and_then(|s| s.parse().ok()).unwrap_or(10).min(2);
                let page: Vec<serde_json::Value> = self
                    .items
                    .iter()
                    .skip(offset)
                    .take(size)
                    .map(|item| serde_json::json!({"item_id": item["item_id"], "item_status": "NORMAL", "update_time": NOW}))
                    .collect();
                let more = offset + size < self.items.len();
                Self::ok(
                    serde_json::json!({"item": page, "total_count": self.items.len(), "has_next_page": more, "next_offset": offset + size}),
                )
            }
            "/api/v2/product/get_item_base_info" => {
                let ids: Vec<String> =
                    query.get("item_id_list").map(|l| l.split(',').map(str::to_owned).collect()).unwrap_or_default();
                let list: Vec<serde_json::Value> =
                    self.items.iter().filter(|i| ids.contains(&i["item_id"].to_string())).cloned().collect();
                Self::ok(serde_json::json!({"item_list": list}))
            }
            _ => FakeShopee::error(404, "error_not_found", "Not found."),
        }
    }
}

impl Books {
    fn issue(&mut self, shop_id: u64) -> ScriptedResponse {
        self.issued += 1;
        let access = format!("4e4b6f70736c7a5a-a{}", self.issued);
        let refresh = format!("5a6d4e52536f6c4a54-r{}", self.issued);
        self.access_tokens.insert(access.clone());
        self.refresh_tokens.insert(refresh.clone());
        ScriptedResponse::json(
            200,
            &serde_json::json!({
                "refresh_token": refresh,
                "access_token": access,
                "expire_in": ACCESS_LIFETIME,
                "request_id": "b5ad7d3c9c5a0ee",
                "error": "",
                "message": "",
                "partner_id": PARTNER_ID,
                "shop_id": shop_id
            }),
        )
    }
}
