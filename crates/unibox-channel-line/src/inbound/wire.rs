//! LINE's webhook JSON as it arrives (line-openapi `webhook.yml`), only the fields unibox reads.
//! Everything is optional here: the mapping decides what a missing field means, so a payload
//! LINE extends later still parses.

use serde::Deserialize;

/// `{"destination": "U…", "events": [...]}`, with the events typed (`Event<Message>`, the one-pass
/// read of a delivery of known events) or raw (`&RawValue`, so one event unibox cannot read is
/// kept whole instead of failing the delivery).
#[derive(Deserialize)]
pub(crate) struct Delivery<E> {
    #[serde(default)]
    pub(crate) destination: Option<String>,
    pub(crate) events: Vec<E>,
}

/// The common event fields and the per-type objects unibox maps; the message typed (`Message`)
/// or raw (`&RawValue`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event<M> {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) timestamp: Option<i64>,
    #[serde(default)]
    pub(crate) mode: Option<String>,
    #[serde(default)]
    pub(crate) webhook_event_id: Option<String>,
    #[serde(default)]
    pub(crate) delivery_context: Option<DeliveryContext>,
    #[serde(default)]
    pub(crate) source: Option<Source>,
    #[serde(default)]
    pub(crate) reply_token: Option<String>,
    #[serde(default = "Option::default")]
    pub(crate) message: Option<M>,
    #[serde(default)]
    pub(crate) unsend: Option<Unsend>,
    #[serde(default)]
    pub(crate) postback: Option<Postback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryContext {
    #[serde(default)]
    pub(crate) is_redelivery: bool,
}

/// `{"type": "user" | "group" | "room", "userId"?, "groupId"?, "roomId"?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Source {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) user_id: Option<String>,
    #[serde(default)]
    pub(crate) group_id: Option<String>,
    #[serde(default)]
    pub(crate) room_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Unsend {
    pub(crate) message_id: String,
}

#[derive(Deserialize)]
pub(crate) struct Postback {
    pub(crate) data: String,
}

/// A message object: the union of the fields of every type unibox maps.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) text: Option<String>,
    #[serde(default)]
    pub(crate) file_name: Option<String>,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) address: Option<String>,
    #[serde(default)]
    pub(crate) latitude: Option<f64>,
    #[serde(default)]
    pub(crate) longitude: Option<f64>,
    #[serde(default)]
    pub(crate) package_id: Option<String>,
    #[serde(default)]
    pub(crate) sticker_id: Option<String>,
    #[serde(default)]
    pub(crate) content_provider: Option<ContentProvider>,
    #[serde(default)]
    pub(crate) quoted_message_id: Option<String>,
}

/// Where a media message's bytes are: on LINE (`line`, fetched by message id from
/// `api-data.line.me`) or at the sender's URL (`external`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContentProvider {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) original_content_url: Option<String>,
}
