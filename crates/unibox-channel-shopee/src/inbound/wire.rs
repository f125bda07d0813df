//! The push JSON as Shopee sends it: an envelope `{code, shop_id?, timestamp, data}` whose
//! `data` depends on the code. Only what unibox reads is declared; everything else is kept in
//! the raw JSON of the event.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::id::Id;

/// `{"code": 10, "shop_id": 947042923, "timestamp": 1726044722, "data": {...}}`. Partner-level
/// pushes (codes 1, 2, 12) carry no `shop_id` here; the console's verification push (code 0)
/// carries neither `shop_id` nor `timestamp`.
#[derive(Deserialize)]
pub(crate) struct Envelope<'a> {
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) shop_id: Option<Id>,
    #[serde(default)]
    pub(crate) timestamp: Option<i64>,
    #[serde(borrow, default)]
    pub(crate) data: Option<&'a RawValue>,
}

/// Code 10 `data`: `{"type": "message" | "notification", "region": "ID", "content": {...}}`,
/// read in one pass with the content typed.
#[derive(Deserialize)]
pub(crate) struct Webchat<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) content: WebchatContent<'a>,
}

/// The content of a webchat push: a chat message (`type: "message"`) or a conversation
/// notification (`type: "notification"`: `{"user_id", "conversation_id", "type":
/// "mark_as_replied", "content": {...}, "timestamp"}`). One struct for both, so the push is read
/// once.
#[derive(Deserialize)]
pub(crate) struct WebchatContent<'a> {
    #[serde(default)]
    pub(crate) message_id: Id,
    #[serde(default)]
    pub(crate) from_id: Id,
    #[serde(borrow, default)]
    pub(crate) from_user_name: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) to_id: Id,
    #[serde(borrow, default)]
    pub(crate) to_user_name: Option<Cow<'a, str>>,
    /// Set on messages since April 2025: the shop that sent it (a seller's own message).
    #[serde(default)]
    pub(crate) from_shop_id: Option<Id>,
    #[serde(borrow, default)]
    pub(crate) message_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) content: Option<&'a RawValue>,
    #[serde(default)]
    pub(crate) conversation_id: Id,
    #[serde(default)]
    pub(crate) created_timestamp: Option<i64>,
    /// Documented as `object[]`, sent as an object: either is read.
    #[serde(borrow, default)]
    pub(crate) quoted_msg: Option<&'a RawValue>,
    #[serde(default)]
    pub(crate) source_content: Option<SourceContent>,
    /// Notifications: the user, the notification's type and time.
    #[serde(default)]
    pub(crate) user_id: Id,
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) timestamp: Option<i64>,
}

/// Code 10 `data` with the content kept raw, for what unibox keeps whole.
#[derive(Deserialize)]
pub(crate) struct WebchatRaw<'a> {
    #[serde(borrow)]
    pub(crate) content: &'a RawValue,
}

/// What a message's `content` may hold, by `message_type`.
#[derive(Deserialize, Default)]
pub(crate) struct MessageBody {
    /// `text`, `faq_liveagent`.
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// `image`: a full URL.
    #[serde(default)]
    pub(crate) url: Option<String>,
    /// `video`: a file id on Shopee's video service (or a URL).
    #[serde(default)]
    pub(crate) video_url: Option<String>,
    /// `sticker`.
    #[serde(default)]
    pub(crate) sticker_id: Option<Id>,
    #[serde(default)]
    pub(crate) sticker_package_id: Option<Id>,
    /// `item` (a product card).
    #[serde(default)]
    pub(crate) item_id: Option<Id>,
    /// `order` (an order card).
    #[serde(default)]
    pub(crate) order_sn: Option<String>,
}

/// The product or order a message was sent from (`source_content`).
#[derive(Deserialize, Default)]
pub(crate) struct SourceContent {
    #[serde(default)]
    pub(crate) order_sn: Option<String>,
    #[serde(default)]
    pub(crate) item_id: Option<Id>,
}

/// `quoted_msg`: `{"message_id": ""}` when nothing is quoted.
#[derive(Deserialize)]
pub(crate) struct Quoted {
    #[serde(default)]
    pub(crate) message_id: Id,
}

/// Code 3 `data`: `{"ordersn", "status", "update_time", "items": [], "completed_scenario"}`.
#[derive(Deserialize)]
pub(crate) struct OrderStatus {
    pub(crate) ordersn: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) update_time: Option<i64>,
}

/// Code 4 `data`: `{"ordersn", "forder_id", "package_number", "tracking_no"}`.
#[derive(Deserialize)]
pub(crate) struct OrderTracking {
    pub(crate) ordersn: String,
    #[serde(default)]
    pub(crate) package_number: Option<String>,
    #[serde(default)]
    pub(crate) tracking_no: Option<String>,
}

/// Codes 1 and 2 `data`: one shop (`shop_id`, or `shopid` in some of Shopee's samples), or a
/// main account's shops (`shop_id_list`), with the reason in `authorize_type` and `extra`.
#[derive(Deserialize)]
pub(crate) struct Authorization {
    #[serde(default)]
    pub(crate) shop_id: Option<Id>,
    #[serde(default)]
    pub(crate) shopid: Option<Id>,
    #[serde(default)]
    pub(crate) shop_id_list: Vec<Id>,
    #[serde(default)]
    pub(crate) authorize_type: Option<String>,
    #[serde(default)]
    pub(crate) extra: Option<String>,
}

/// Code 12 `data`: the shops (and merchants, users) whose authorization ends before
/// `expire_before`, paginated with `page_no` / `total_page`.
#[derive(Deserialize)]
pub(crate) struct AuthorizationExpiry {
    #[serde(default)]
    pub(crate) shop_expire_soon: Vec<Id>,
    #[serde(default)]
    pub(crate) expire_before: Option<i64>,
}
