//! TikTok Shop's webhook JSON as it arrives (Partner Center, "Webhooks"), only the fields
//! unibox reads. Everything is optional: the mapping decides what a missing field means.

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_channel_marketplace::lenient::Id;

/// `{"type": 14, "tts_notification_id": "…", "shop_id": "…", "timestamp": s, "data": {…}}`.
#[derive(Deserialize)]
pub(crate) struct Notification<'a> {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<i64>,
    #[serde(default)]
    pub(crate) tts_notification_id: Id,
    #[serde(default)]
    pub(crate) shop_id: Id,
    #[serde(default)]
    pub(crate) timestamp: Option<i64>,
    #[serde(borrow, default)]
    pub(crate) data: Option<&'a RawValue>,
}

/// Type 14: a new message in a conversation.
#[derive(Deserialize)]
pub(crate) struct Message {
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) conversation_id: Id,
    /// Seconds.
    #[serde(default)]
    pub(crate) create_time: Option<i64>,
    #[serde(default)]
    pub(crate) message_id: Id,
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) sender: Option<Sender>,
}

#[derive(Deserialize)]
pub(crate) struct Sender {
    /// BUYER, SHOP, CUSTOMER_SERVICE, SYSTEM, ROBOT.
    #[serde(default)]
    pub(crate) role: Option<String>,
    #[serde(default)]
    pub(crate) nickname: Option<String>,
}

/// Type 13: an agent joined or left a conversation.
#[derive(Deserialize)]
pub(crate) struct Conversation {
    #[serde(default)]
    pub(crate) conversation_id: Id,
}

/// Types 1 (order status), 11 (cancellation) and 12 (return).
#[derive(Deserialize)]
pub(crate) struct Order {
    #[serde(default)]
    pub(crate) order_id: Id,
    #[serde(default)]
    pub(crate) order_status: Option<String>,
    #[serde(default)]
    pub(crate) cancel_status: Option<String>,
    #[serde(default)]
    pub(crate) return_status: Option<String>,
}

/// Type 4: packages combined or split.
#[derive(Deserialize)]
pub(crate) struct PackageUpdate {
    #[serde(default)]
    pub(crate) sc_type: Option<String>,
    #[serde(default)]
    pub(crate) package_list: Vec<Package>,
}

#[derive(Deserialize)]
pub(crate) struct Package {
    #[serde(default)]
    pub(crate) order_id_list: Vec<Id>,
}

/// Types 6 (deauthorization) and 7 (authorization expiring).
#[derive(Deserialize)]
pub(crate) struct Authorization {
    #[serde(default)]
    pub(crate) message: Option<String>,
    /// Seconds, as a string in the official sample.
    #[serde(default)]
    pub(crate) expiration_time: Id,
}

/// The content of a message: a JSON document in a string, keyed by message type.
#[derive(Deserialize, Default)]
pub(crate) struct Content {
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) product_id: Id,
    #[serde(default)]
    pub(crate) order_id: Id,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) video_id: Id,
    #[serde(default)]
    pub(crate) emoticon_id: Id,
}
