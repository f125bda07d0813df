//! LINE webhook deliveries to unified events.
//!
//! | LINE event | unified event |
//! |---|---|
//! | `message` (text, image, video, audio, file, location, sticker) | `Message` with that content; `quotedMessageId` is `reply_to` |
//! | `message` of another type (imagemap, …) | `Message` with `Content::Unsupported` and the message JSON |
//! | `unsend` | `Unsend` |
//! | `follow` / `unfollow` | `Follow` / `Unfollow` |
//! | `join` / `leave` (the bot added to or removed from a group or room) | `Follow` / `Unfollow` of that chat |
//! | `postback` | `Postback` with `postback.data` as the payload |
//! | `memberJoined`, `memberLeft`, `videoPlayComplete`, `beacon`, `accountLink`, `membership`, `module`, `activated`, `deactivated`, `botSuspended`, `botResumed`, `delivery`, `things`, and any type LINE adds | `Unsupported` with LINE's type and the event JSON |
//!
//! An event that lacks what its type needs (a message without a source) is also kept as
//! `Unsupported`, never dropped. The event id is `webhookEventId` (the same on every
//! redelivery); an event without one gets a fingerprint of its JSON. The account is the
//! delivery's `destination` (the bot's user id).

mod content;
mod wire;

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use unibox_core::{
    Content, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Result, Timestamp,
};

use crate::ChannelMode;

/// The identity kind of a LINE group chat (`groupId`, `C…`).
pub const GROUP_IDENTITY: &str = "line_group";
/// The identity kind of a LINE multi-person chat (`roomId`, `R…`).
pub const ROOM_IDENTITY: &str = "line_room";

/// Reply tokens LINE sends in these placeholder forms for test deliveries cannot be used.
const PLACEHOLDER_TOKENS: [&str; 2] = ["00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff"];

/// What the channel remembers of each event besides the unified event.
pub(crate) struct Note {
    /// The chat (user, group or room id) the event came from, if it names one.
    pub(crate) chat: Option<String>,
    /// A usable reply token: only on live (not redelivered) events in active mode.
    pub(crate) reply_token: Option<String>,
    /// The mode the event reports; `None` when it reports none (a legacy or unreadable event),
    /// which then says nothing about the bot's mode.
    pub(crate) mode: Option<ChannelMode>,
    pub(crate) occurred_at: Timestamp,
}

/// A parsed delivery.
pub(crate) struct Parsed {
    /// The bot's user id.
    pub(crate) destination: String,
    pub(crate) events: Vec<InboundEvent>,
    pub(crate) notes: Vec<Note>,
}

fn malformed(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("line.parse")
}

/// Parses a verified body. The empty `events: []` of the console's "Verify" button parses into
/// no events.
pub(crate) fn parse(body: &[u8], now: Timestamp) -> Result<Parsed> {
    // UTF-8 is checked once for the whole body; read from a slice, serde_json checks every string.
    let body = std::str::from_utf8(body).map_err(|_| malformed("a LINE webhook delivery is UTF-8 JSON"))?;
    match parse_known(body, now) {
        Some(parsed) => Ok(parsed),
        None => parse_general(body, now),
    }
}

/// The common delivery in one pass: the whole body read into typed structs, when every event is
/// one unibox maps and names its `webhookEventId`. Anything else (an unknown type, an event
/// missing what its type needs, an unreadable field) makes it `None`, and the general path reads
/// the body again event by event, keeping the odd ones whole.
fn parse_known(body: &str, now: Timestamp) -> Option<Parsed> {
    let delivery: wire::Delivery<wire::Event<wire::Message>> = serde_json::from_str(body).ok()?;
    let destination = delivery.destination.filter(|d| !d.is_empty())?;
    let mut events = Vec::with_capacity(delivery.events.len());
    let mut notes = Vec::with_capacity(delivery.events.len());
    for event in delivery.events {
        let id = event.webhook_event_id.clone().filter(|id| !id.is_empty())?;
        let (note, customer) = note(&event, now);
        let kind = known(&event, customer, |message, customer| {
            let mut inbound = InboundMessage::inbound(customer, message.id.clone(), content::mapped(message)?);
            inbound.reply_to = message.quoted_message_id.clone();
            Some(EventKind::Message(inbound))
        })?;
        events.push(InboundEvent { id, account: destination.clone(), occurred_at: note.occurred_at, kind });
        notes.push(note);
    }
    Some(Parsed { destination, events, notes })
}

/// Any delivery: the events read one by one from raw JSON, each kept whole when unibox cannot map it.
fn parse_general(body: &str, now: Timestamp) -> Result<Parsed> {
    let delivery: wire::Delivery<&RawValue> = serde_json::from_str(body)
        .map_err(|e| malformed(format!("not a LINE webhook delivery (destination and events): {e}")))?;
    let destination = delivery
        .destination
        .filter(|d| !d.is_empty())
        .ok_or_else(|| malformed("the LINE delivery names no destination (bot user id)"))?;
    let mut events = Vec::with_capacity(delivery.events.len());
    let mut notes = Vec::with_capacity(delivery.events.len());
    for raw in delivery.events {
        let (event, note) = event(raw, &destination, now);
        events.push(event);
        notes.push(note);
    }
    Ok(Parsed { destination, events, notes })
}

/// The JSON of a raw value (it was parsed once already, so this cannot fail in practice).
pub(crate) fn value(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// A stable id for an event without `webhookEventId`: a fingerprint of its exact JSON.
fn fingerprint(raw: &RawValue) -> String {
    let digest = Sha256::digest(raw.get().as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("line-sha256-{hex}")
}

/// The customer of an event: the chat it came from (a user, or the group or room, which is
/// what a reply or push goes to).
fn chat(source: Option<&wire::Source>) -> Option<PlatformUser> {
    let source = source?;
    let (kind, id) = match source.kind.as_str() {
        "user" => (IdentityKind::LineUserId, source.user_id.as_deref()?),
        "group" => (IdentityKind::Other(GROUP_IDENTITY.into()), source.group_id.as_deref()?),
        "room" => (IdentityKind::Other(ROOM_IDENTITY.into()), source.room_id.as_deref()?),
        _ => return None,
    };
    (!id.is_empty()).then(|| PlatformUser::new(kind, id))
}

/// What the channel remembers of an event, and its customer (the chat).
fn note<M>(event: &wire::Event<M>, now: Timestamp) -> (Note, Option<PlatformUser>) {
    let occurred_at = event.timestamp.map_or(now, Timestamp::from_unix_millis);
    let mode = event.mode.as_deref().map(ChannelMode::from_wire);
    let customer = chat(event.source.as_ref());
    let redelivery = event.delivery_context.as_ref().is_some_and(|c| c.is_redelivery);
    let reply_token = event
        .reply_token
        .clone()
        .filter(|t| !t.is_empty() && !PLACEHOLDER_TOKENS.contains(&t.as_str()))
        .filter(|_| mode != Some(ChannelMode::Standby) && !redelivery && customer.is_some());
    (Note { chat: customer.as_ref().map(|c| c.id.clone()), reply_token, mode, occurred_at }, customer)
}

/// The unified event of an event type unibox maps, with what the type needs; `None` otherwise.
fn known<M>(
    event: &wire::Event<M>,
    customer: Option<PlatformUser>,
    message: impl FnOnce(&M, PlatformUser) -> Option<EventKind>,
) -> Option<EventKind> {
    let customer = customer?;
    match event.kind.as_str() {
        "message" => message(event.message.as_ref()?, customer),
        // The edited message keeps its id (LINE's `messageEdited`: the new text under the
        // original message id, with a reply token of its own).
        "messageEdited" => match message(event.message.as_ref()?, customer)? {
            EventKind::Message(edited) => Some(EventKind::Edit {
                customer: edited.customer,
                message_id: edited.message_id,
                content: edited.content,
            }),
            _ => None,
        },
        "unsend" => event.unsend.as_ref().map(|u| EventKind::Unsend { customer, message_id: u.message_id.clone() }),
        "follow" => Some(EventKind::Follow { customer }),
        "unfollow" => Some(EventKind::Unfollow { customer }),
        // The bot was added to, or removed from, a group or room: that chat is the customer, and
        // after `leave` nothing can be sent to it, exactly like a user who unfollowed.
        "join" => Some(EventKind::Follow { customer }),
        "leave" => Some(EventKind::Unfollow { customer }),
        "postback" => {
            event.postback.as_ref().map(|p| EventKind::Postback { customer, payload: p.data.clone(), title: None })
        }
        _ => None,
    }
}

fn event(raw: &RawValue, destination: &str, now: Timestamp) -> (InboundEvent, Note) {
    let whole = |kind: String, id: String, occurred_at| InboundEvent {
        id,
        account: destination.to_owned(),
        occurred_at,
        kind: EventKind::Unsupported { platform_type: kind, raw: value(raw) },
    };
    let parsed: Option<wire::Event<&RawValue>> = serde_json::from_str(raw.get()).ok();
    let Some(event) = parsed else {
        // Not even the common fields: keep it whole under its fingerprint.
        let kind = serde_json::from_str::<serde_json::Value>(raw.get())
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        let note = Note { chat: None, reply_token: None, mode: None, occurred_at: now };
        return (whole(kind, fingerprint(raw), now), note);
    };
    let id = event.webhook_event_id.clone().filter(|id| !id.is_empty()).unwrap_or_else(|| fingerprint(raw));
    let (note, customer) = note(&event, now);
    let event = match known(&event, customer, |raw, customer| message(raw, customer)) {
        Some(kind) => InboundEvent { id, account: destination.to_owned(), occurred_at: note.occurred_at, kind },
        None => whole(event.kind, id, note.occurred_at),
    };
    (event, note)
}

/// A message event read from raw JSON: a message of a type unibox does not map, or whose
/// fields it cannot read, keeps its JSON as `Content::Unsupported` (if it has an id at all).
fn message(raw: &RawValue, customer: PlatformUser) -> Option<EventKind> {
    let message: Option<wire::Message> = serde_json::from_str(raw.get()).ok();
    let Some(message) = message else {
        let json = value(raw);
        let id = json.get("id").and_then(|v| v.as_str())?.to_owned();
        let kind = json.get("type").and_then(|v| v.as_str()).unwrap_or("unknown").to_owned();
        let content = Content::Unsupported { platform_type: kind, raw: json };
        return Some(EventKind::Message(InboundMessage::inbound(customer, id, content)));
    };
    let content = content::content(&message, raw);
    let mut inbound = InboundMessage::inbound(customer, message.id, content);
    inbound.reply_to = message.quoted_message_id;
    Some(EventKind::Message(inbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("the fixtures")
            .map(|entry| {
                let path = entry.expect("a fixture").path();
                (path.display().to_string(), std::fs::read(&path).expect("readable"))
            })
            .collect();
        all.sort();
        all
    }

    /// What the channel remembers of each event, as text (`Note` holds a secret-ish token).
    fn summary(parsed: &Parsed) -> Vec<String> {
        let notes = parsed.notes.iter();
        notes
            .map(|n| format!("{} {:?} {:?} {:?} {}", parsed.destination, n.chat, n.reply_token, n.mode, n.occurred_at))
            .collect()
    }

    #[test]
    fn the_one_pass_read_gives_what_the_general_path_gives() {
        let now = Timestamp::from_unix_seconds(1_732_000_002);
        let mut fast = 0;
        for (name, body) in fixtures() {
            let body = std::str::from_utf8(&body).expect("UTF-8");
            let general = parse_general(body, now).expect("every fixture parses");
            if let Some(known) = parse_known(body, now) {
                fast += 1;
                assert_eq!(known.events, general.events, "{name}");
                assert_eq!(summary(&known), summary(&general), "{name}");
            }
        }
        // text, emoji/mention, image (both), video, audio, file, location, sticker, edit,
        // unsend, follow, unfollow, join, leave, postback, standby, redelivered, batch, verify.
        assert_eq!(fast, 20, "the common deliveries take the one-pass read");
    }

    #[test]
    fn odd_events_take_the_general_path() {
        let now = Timestamp::from_unix_seconds(1_732_000_002);
        for body in [
            r#"{"destination":"U1","events":[{"type":"memberJoined","webhookEventId":"01A","source":{"type":"group","groupId":"C1"},"timestamp":1}]}"#,
            r#"{"destination":"U1","events":[{"type":"message","webhookEventId":"01B","source":{"type":"user","userId":"U2"},"message":{"type":"imagemap","id":"9"}}]}"#,
            r#"{"destination":"U1","events":[{"type":"follow","source":{"type":"user","userId":"U2"}}]}"#,
        ] {
            assert!(parse_known(body, now).is_none());
            assert_eq!(parse(body.as_bytes(), now).unwrap().events.len(), 1);
        }
    }
}
