//! Streaming deserialization of the internally tagged `EventKind` and `Content` when the
//! `"type"` tag comes first.
//!
//! serde's derived deserializer for an internally tagged enum cannot know where the tag is,
//! so it first copies the whole object into a generic buffer, finds the tag, then
//! deserializes the variant from the buffer: every event is read twice, with an allocation
//! per nested map. Serializers (serde's own, and ours for outbound messages) write the tag
//! first, and the documented payload does too. So when the first key is `"type"`, the common
//! variants (`message`, `delivery`, `order_update`; text and media content) are read straight
//! from the stream. Any other order or variant falls back to the derived deserializer through
//! a `serde_json::Value`, which accepts exactly the same documents.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};
use unibox_core::{Content, DeliveryUpdate, Direction, EventKind, InboundMessage, Media, OrderUpdate, PlatformUser};

const TAG: &str = "type";

/// Reads the rest of a map, after an already read first entry, into a JSON object.
fn rest_as_value<'de, A: MapAccess<'de>>(first: Option<(String, Value)>, mut map: A) -> Result<Value, A::Error> {
    let mut object = Map::new();
    if let Some((key, value)) = first {
        object.insert(key, value);
    }
    while let Some((key, value)) = map.next_entry::<String, Value>()? {
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

/// The first key of a map, and when it is the tag, the tag's value.
enum Start {
    Tag(String),
    Other(Option<(String, Value)>),
}

fn read_start<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Start, A::Error> {
    match map.next_key::<String>()? {
        Some(key) if key == TAG => Ok(Start::Tag(map.next_value::<String>()?)),
        Some(key) => Ok(Start::Other(Some((key, map.next_value::<Value>()?)))),
        None => Ok(Start::Other(None)),
    }
}

/// Falls back to the derived deserializer of `T`, re-inserting the tag when it was read.
fn derived<'de, T: serde::de::DeserializeOwned, A: MapAccess<'de>>(start: Start, map: A) -> Result<T, A::Error> {
    let first = match start {
        Start::Tag(tag) => Some((TAG.to_owned(), Value::String(tag))),
        Start::Other(first) => first,
    };
    T::deserialize(rest_as_value(first, map)?).map_err(A::Error::custom)
}

/// An [`EventKind`], read tag-first when possible.
pub(crate) struct WireEventKind(pub(crate) EventKind);

impl<'de> Deserialize<'de> for WireEventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventKindVisitor)
    }
}

struct EventKindVisitor;

impl<'de> Visitor<'de> for EventKindVisitor {
    type Value = WireEventKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event kind object with a \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireEventKind, A::Error> {
        let start = read_start(&mut map)?;
        let kind = match &start {
            Start::Tag(tag) if tag == "message" => {
                EventKind::Message(WireMessage::deserialize(MapAccessDeserializer::new(map))?.into())
            }
            Start::Tag(tag) if tag == "delivery" => {
                EventKind::Delivery(DeliveryUpdate::deserialize(MapAccessDeserializer::new(map))?)
            }
            Start::Tag(tag) if tag == "order_update" => {
                EventKind::OrderUpdate(OrderUpdate::deserialize(MapAccessDeserializer::new(map))?)
            }
            _ => derived(start, map)?,
        };
        Ok(WireEventKind(kind))
    }
}

/// [`InboundMessage`] with its content read tag-first.
#[derive(serde::Deserialize)]
#[serde(rename = "message")]
struct WireMessage {
    customer: PlatformUser,
    direction: Direction,
    message_id: String,
    content: WireContent,
    #[serde(default)]
    reply_to: Option<String>,
}

impl From<WireMessage> for InboundMessage {
    fn from(wire: WireMessage) -> Self {
        let mut message = InboundMessage::inbound(wire.customer, wire.message_id, wire.content.0);
        message.direction = wire.direction;
        message.reply_to = wire.reply_to;
        message
    }
}

/// A [`Content`], read tag-first when possible.
struct WireContent(Content);

impl<'de> Deserialize<'de> for WireContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ContentVisitor)
    }
}

struct ContentVisitor;

#[derive(serde::Deserialize)]
#[serde(rename = "text")]
struct WireText {
    text: String,
}

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = WireContent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a content object with a \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireContent, A::Error> {
        let start = read_start(&mut map)?;
        let media = |map: A| Media::deserialize(MapAccessDeserializer::new(map));
        let content = match &start {
            Start::Tag(tag) => match tag.as_str() {
                "text" => Content::text(WireText::deserialize(MapAccessDeserializer::new(map))?.text),
                "image" => Content::Image(media(map)?),
                "video" => Content::Video(media(map)?),
                "audio" => Content::Audio(media(map)?),
                "file" => Content::File(media(map)?),
                _ => derived(start, map)?,
            },
            Start::Other(_) => derived(start, map)?,
        };
        Ok(WireContent(content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of writing an event kind parses exactly as the derived deserializer does.
    fn same_as_derived(json: &str) {
        let derived = serde_json::from_str::<EventKind>(json).map_err(|e| e.to_string());
        let fast = serde_json::from_str::<WireEventKind>(json).map(|k| k.0).map_err(|e| e.to_string());
        match (&derived, &fast) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{json}: derived {derived:?}, tag-first {fast:?}"),
        }
    }

    #[test]
    fn tag_first_and_tag_later_documents_parse_like_the_derived_deserializer() {
        let cases = [
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"text","text":"hi"}}"#,
            r#"{"customer":{"kind":"external","id":"c"},"type":"message","direction":"outbound","message_id":"m","content":{"text":"hi","type":"text"},"reply_to":"r"}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"image","source":{"kind":"url","url":"https://x.example/a.png"},"caption":"c"}}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"file","source":{"kind":"platform_id","id":"f1"}}}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"location","latitude":1.5,"longitude":2}}"#,
            r#"{"type":"message","customer":{"kind":{"other":"x"},"id":"c"},"direction":"inbound","message_id":"m","content":{"type":"unsupported","platform_type":"poll","raw":{"a":[1]}}}"#,
            r#"{"type":"delivery","message_ids":["a","b"],"status":{"status":"failed","reason":"blocked"}}"#,
            r#"{"type":"order_update","order_id":"o","status":"paid","raw":null}"#,
            r#"{"type":"follow","customer":{"kind":"external","id":"c"}}"#,
            r#"{"customer":{"kind":"external","id":"c"},"type":"reaction","message_id":"m","emoji":null}"#,
            r#"{"type":"authorization_revoked","reason":"user removed the app"}"#,
            // Errors: both reject.
            r#"{"type":"message"}"#,
            r#"{"type":"teleport"}"#,
            r#"{}"#,
            r#"{"type":7}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"text"}}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"sideways","message_id":"m","content":{"type":"text","text":"x"}}"#,
            r#"{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"image"}}"#,
        ];
        for case in cases {
            same_as_derived(case);
        }
    }
}
