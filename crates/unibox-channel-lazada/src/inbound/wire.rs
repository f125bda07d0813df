//! Lazada's push JSON as it arrives (Lazada Push Mechanism, "Webhook APIs"), only the fields
//! unibox reads. Everything is optional: the mapping decides what a missing field means.

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_channel_marketplace::lenient::Id;

/// `{"seller_id": "…" | 123 | "null", "message_type": 2, "data": {…}, "timestamp": ms, "site": "lazada_vn"}`.
#[derive(Deserialize)]
pub(crate) struct Push<'a> {
    #[serde(default)]
    pub(crate) seller_id: Id,
    #[serde(default)]
    pub(crate) message_type: Option<i64>,
    #[serde(borrow, default)]
    pub(crate) data: Option<&'a RawValue>,
    #[serde(default)]
    pub(crate) timestamp: Option<i64>,
}

/// `message_type` 2: a new IM message.
#[derive(Deserialize)]
pub(crate) struct ImMessage {
    #[serde(default)]
    pub(crate) session_id: Option<String>,
    #[serde(default)]
    pub(crate) message_id: Id,
    #[serde(default)]
    pub(crate) content: Option<String>,
    /// 1 buyer, 2 seller.
    #[serde(default)]
    pub(crate) from_account_type: Option<i64>,
    /// Milliseconds.
    #[serde(default)]
    pub(crate) send_time: Option<i64>,
    #[serde(default)]
    pub(crate) template_id: Option<i64>,
    /// 1 user message, 2 system message.
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<i64>,
    /// 0 normal, 1 recalled.
    #[serde(default)]
    pub(crate) status: Option<i64>,
}

/// `message_type` 19: a session changed (read positions, unread count).
#[derive(Deserialize)]
pub(crate) struct SessionUpdate {
    #[serde(default)]
    pub(crate) session_id: Option<String>,
    #[serde(default)]
    pub(crate) unread_count: Option<i64>,
    /// When the buyer last read (ms).
    #[serde(default)]
    pub(crate) to_position: Option<i64>,
    /// When the seller last read (ms).
    #[serde(default)]
    pub(crate) self_position: Option<i64>,
}

/// `message_type` 0 (trade order), 10 (reverse order) and 14 (fulfillment package).
#[derive(Deserialize)]
pub(crate) struct Order {
    #[serde(default)]
    pub(crate) trade_order_id: Id,
    #[serde(default)]
    pub(crate) trade_order_line_id: Id,
    #[serde(default)]
    pub(crate) reverse_order_id: Id,
    #[serde(default)]
    pub(crate) fulfillment_package_id: Id,
    #[serde(default)]
    pub(crate) buyer_id: Id,
    /// Type 0.
    #[serde(default)]
    pub(crate) order_status: Option<String>,
    /// Type 14 (a package's logistics status), and some reverse-order pushes.
    #[serde(default)]
    pub(crate) status: Option<String>,
    /// Type 10.
    #[serde(default)]
    pub(crate) reverse_status: Option<String>,
    #[serde(default)]
    pub(crate) status_update_time: Option<i64>,
}

/// `message_type` 8: the access token expires within 48 hours.
#[derive(Deserialize)]
pub(crate) struct AuthorizationExpiry {
    #[serde(default)]
    pub(crate) seller_id: Id,
    /// Seconds.
    #[serde(default)]
    pub(crate) auth_expiry_time: Option<i64>,
}

/// The content of an IM message: a JSON document in a string, keyed by template.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Content {
    #[serde(default)]
    pub(crate) txt: Option<String>,
    #[serde(default)]
    pub(crate) img_url: Option<String>,
    #[serde(default)]
    pub(crate) video_url: Option<String>,
    #[serde(default)]
    pub(crate) video_id: Id,
    #[serde(default, alias = "item_id")]
    pub(crate) item_id: Id,
    #[serde(default, alias = "order_id")]
    pub(crate) order_id: Id,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default, alias = "actionUrl")]
    pub(crate) item_url: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
}
