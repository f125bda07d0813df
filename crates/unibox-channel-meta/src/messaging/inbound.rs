//! Inbound Messenger Platform events: every documented kind, and anything else kept whole.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_core::{
    Content, DeliveryStatus, DeliveryUpdate, Direction, Error, ErrorKind, EventKind, InboundEvent, InboundMessage,
    Media, MediaSource, PlatformUser, Result, Timestamp,
};
use url::Url;

use super::MessagingPlatform;
use crate::{fingerprint, parse_notification};

#[derive(Deserialize)]
struct Party<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    sender: Option<Party<'a>>,
    #[serde(default, borrow)]
    recipient: Option<Party<'a>>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default, borrow)]
    message: Option<Message<'a>>,
    #[serde(default, borrow)]
    delivery: Option<Delivery<'a>>,
    #[serde(default, borrow)]
    read: Option<Read<'a>>,
    #[serde(default, borrow)]
    reaction: Option<Reaction<'a>>,
    #[serde(default, borrow)]
    postback: Option<Postback<'a>>,
    #[serde(default, borrow)]
    referral: Option<Referral<'a>>,
    #[serde(default, borrow)]
    message_edit: Option<MessageEdit<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    mid: Cow<'a, str>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    is_deleted: bool,
    #[serde(default)]
    is_unsupported: bool,
    #[serde(default, borrow)]
    quick_reply: Option<QuickReply<'a>>,
    #[serde(default, borrow)]
    reply_to: Option<ReplyTo<'a>>,
    #[serde(default, borrow)]
    attachments: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct QuickReply<'a> {
    #[serde(borrow)]
    payload: Cow<'a, str>,
}

#[derive(Deserialize)]
struct ReplyTo<'a> {
    #[serde(default, borrow)]
    mid: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Attachment<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    payload: Option<AttachmentPayload<'a>>,
}

#[derive(Deserialize)]
struct AttachmentPayload<'a> {
    #[serde(default, borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(default)]
    sticker_id: Option<IdText>,
    #[serde(default)]
    coordinates: Option<Coordinates>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdText {
    Number(u64),
    Text(String),
}

impl IdText {
    fn into_string(self) -> String {
        match self {
            IdText::Number(n) => n.to_string(),
            IdText::Text(text) => text,
        }
    }
}

#[derive(Deserialize)]
struct Coordinates {
    lat: f64,
    long: f64,
}

#[derive(Deserialize)]
struct Delivery<'a> {
    #[serde(default, borrow)]
    mids: Vec<Cow<'a, str>>,
    #[serde(default)]
    watermark: Option<i64>,
}

#[derive(Deserialize)]
struct Read<'a> {
    #[serde(default)]
    watermark: Option<i64>,
    #[serde(default, borrow)]
    mid: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Reaction<'a> {
    #[serde(borrow)]
    mid: Cow<'a, str>,
    #[serde(default, borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    emoji: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reaction: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Postback<'a> {
    #[serde(default, borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    mid: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Referral<'a> {
    #[serde(default, borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(default, rename = "ref", borrow)]
    reference: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct MessageEdit<'a> {
    #[serde(borrow)]
    mid: Cow<'a, str>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    num_edit: Option<u32>,
}

/// The notification read in one pass into typed events: the common case. Any item it cannot
/// express (an unknown event, a `changes` entry, an unreadable field) sends the whole body
/// down the raw path, which keeps such items whole.
#[derive(Deserialize)]
struct TypedNotification<'a> {
    #[serde(borrow)]
    object: Cow<'a, str>,
    #[serde(default, borrow)]
    entry: Vec<TypedEntry<'a>>,
}

#[derive(Deserialize)]
struct TypedEntry<'a> {
    #[serde(default, borrow)]
    id: Cow<'a, str>,
    #[serde(default)]
    time: Option<i64>,
    #[serde(default, borrow)]
    messaging: Vec<Event<'a>>,
    #[serde(default, borrow)]
    standby: Vec<Event<'a>>,
    #[serde(default)]
    changes: Vec<serde::de::IgnoredAny>,
}

/// Whether an event was understood, or must be kept whole as `Unsupported`.
#[derive(PartialEq, Eq)]
enum Outcome {
    Read,
    Unknown,
}

/// Parses a verified Messenger Platform notification into events, in payload order.
///
/// Every entry is read (one POST may carry many pages or Instagram accounts, so many
/// tenants); `standby[]` events are read like `messaging[]` ones. Messages become
/// [`EventKind::Message`] (echoes of messages the business sent from elsewhere are
/// [`Direction::Outbound`]); deliveries and reads become [`EventKind::Delivery`]; reactions,
/// postbacks, referrals, edits and unsends their own kinds. An event this version does not
/// know, or cannot read, is [`EventKind::Unsupported`] with its raw JSON, never dropped, and
/// never fails the rest of the batch. Only a body that is not a Meta envelope, or one for
/// another object, is `MalformedPayload`.
///
/// ```
/// use unibox_channel_meta::messaging::{parse_events, MessagingPlatform};
/// use unibox_core::{Content, EventKind};
/// let body = br#"{"object":"page","entry":[{"id":"104738291837465","time":1458692752478,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1458692752478,"message":{"mid":"mid.1457764197618:41d102a3e1ae206a38","text":"hello, world!"}}]}]}"#;
/// let events = parse_events(&MessagingPlatform::messenger(), body).unwrap();
/// assert_eq!(events[0].id, "mid.1457764197618:41d102a3e1ae206a38");
/// assert_eq!(events[0].account, "104738291837465");
/// let EventKind::Message(message) = &events[0].kind else { panic!() };
/// assert_eq!(message.content, Content::text("hello, world!"));
/// ```
pub fn parse_events(platform: &MessagingPlatform, body: &[u8]) -> Result<Vec<InboundEvent>> {
    match parse_typed(platform, body) {
        Some(events) => events,
        None => parse_raw(platform, body),
    }
}

/// The path that keeps every item's raw JSON, for bodies the one-pass path cannot express.
fn parse_raw(platform: &MessagingPlatform, body: &[u8]) -> Result<Vec<InboundEvent>> {
    let notification = parse_notification(body)?;
    check_object(platform, &notification.object)?;
    let mut events = Vec::new();
    for entry in &notification.entry {
        let account = entry.id.as_ref();
        let fallback_time = entry_time(entry.time);
        for raw in entry.messaging.iter().chain(entry.standby.iter()) {
            let read = match serde_json::from_str::<Event<'_>>(raw.get()) {
                Ok(event) => convert(platform, account, fallback_time, event, Some(raw), &mut events),
                Err(_) => Outcome::Unknown,
            };
            if read == Outcome::Unknown {
                events.push(unknown_event(account, fallback_time, raw));
            }
        }
        for change in &entry.changes {
            events.push(InboundEvent {
                id: format!("change:{}:{}:{}", entry.id, change.field, fingerprint(change.value.get())),
                account: entry.id.to_string(),
                occurred_at: fallback_time,
                kind: unsupported(&change.field, change.value),
            });
        }
    }
    Ok(events)
}

/// The one-pass path; `None` when the body needs the raw path.
fn parse_typed(platform: &MessagingPlatform, body: &[u8]) -> Option<Result<Vec<InboundEvent>>> {
    let text = std::str::from_utf8(body).ok()?;
    let notification = serde_json::from_str::<TypedNotification<'_>>(text).ok()?;
    if let Err(error) = check_object(platform, &notification.object) {
        return Some(Err(error));
    }
    let mut events = Vec::with_capacity(notification.entry.iter().map(|e| e.messaging.len() + e.standby.len()).sum());
    for entry in notification.entry {
        if !entry.changes.is_empty() {
            return None;
        }
        let fallback_time = entry_time(entry.time);
        for event in entry.messaging.into_iter().chain(entry.standby) {
            if convert(platform, &entry.id, fallback_time, event, None, &mut events) == Outcome::Unknown {
                return None;
            }
        }
    }
    Some(Ok(events))
}

fn check_object(platform: &MessagingPlatform, object: &str) -> Result<()> {
    if object == platform.object {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::MalformedPayload,
        format!(
            "a notification for object {object:?} reached the {} channel, which reads {:?}",
            platform.channel, platform.object
        ),
    )
    .with_operation("meta.parse"))
}

fn entry_time(time: Option<i64>) -> Timestamp {
    Timestamp::from_unix_millis(time.unwrap_or_default())
}

fn unsupported(platform_type: &str, raw: &RawValue) -> EventKind {
    EventKind::Unsupported {
        platform_type: platform_type.to_owned(),
        raw: serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null),
    }
}

/// The first key of an event object that is not part of every event: its kind.
fn event_key(raw: &RawValue) -> String {
    let value: serde_json::Value = serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null);
    value
        .as_object()
        .and_then(|object| object.keys().find(|k| !matches!(k.as_str(), "sender" | "recipient" | "timestamp")).cloned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Turns one typed event into events; `raw` is the event's JSON when the caller has it (needed
/// only to keep an unsupported message whole).
fn convert(
    platform: &MessagingPlatform,
    account: &str,
    fallback_time: Timestamp,
    event: Event<'_>,
    raw: Option<&RawValue>,
    events: &mut Vec<InboundEvent>,
) -> Outcome {
    let occurred_at = event.timestamp.map(Timestamp::from_unix_millis).unwrap_or(fallback_time);
    let user = |party: &Option<Party<'_>>| {
        party.as_ref().and_then(|p| p.id.as_deref()).map(|id| PlatformUser::new(platform.identity.clone(), id))
    };
    let (Some(sender), Some(recipient)) = (user(&event.sender), user(&event.recipient)) else {
        return Outcome::Unknown;
    };
    let push = |events: &mut Vec<InboundEvent>, id: String, kind: EventKind| {
        events.push(InboundEvent { id, account: account.to_owned(), occurred_at, kind });
    };

    if let Some(message) = event.message {
        if message.is_deleted {
            let id = format!("unsend:{}", message.mid);
            push(events, id, EventKind::Unsend { customer: sender, message_id: message.mid.into_owned() });
            return Outcome::Read;
        }
        if message.is_unsupported && raw.is_none() {
            return Outcome::Unknown;
        }
        let (customer, direction) =
            if message.is_echo { (recipient, Direction::Outbound) } else { (sender, Direction::Inbound) };
        for (index, content) in message_contents(&message, raw).into_iter().enumerate() {
            let message_id = if index == 0 { message.mid.to_string() } else { format!("{}#{index}", message.mid) };
            let mut inbound = InboundMessage::inbound(customer.clone(), message_id.clone(), content);
            inbound.direction = direction;
            inbound.reply_to = message.reply_to.as_ref().and_then(|r| r.mid.as_deref()).map(str::to_owned);
            push(events, message_id, EventKind::Message(inbound));
        }
    } else if let Some(edit) = event.message_edit {
        let id = format!("edit:{}:{}", edit.mid, edit.num_edit.unwrap_or_default());
        let content = Content::text(edit.text.unwrap_or_default());
        push(events, id, EventKind::Edit { customer: sender, message_id: edit.mid.into_owned(), content });
    } else if let Some(delivery) = event.delivery {
        let id =
            format!("delivery:{}:{}:{}", sender.id, delivery.watermark.unwrap_or_default(), delivery.mids.join(","));
        let update = DeliveryUpdate {
            customer: Some(sender),
            message_ids: delivery.mids.into_iter().map(Cow::into_owned).collect(),
            status: DeliveryStatus::Delivered,
        };
        push(events, id, EventKind::Delivery(update));
    } else if let Some(read) = event.read {
        let mid = read.mid.map(Cow::into_owned);
        let id = format!("read:{}:{}:{}", sender.id, read.watermark.unwrap_or_default(), mid.as_deref().unwrap_or(""));
        let update = DeliveryUpdate {
            customer: Some(sender),
            message_ids: mid.into_iter().collect(),
            status: DeliveryStatus::Read,
        };
        push(events, id, EventKind::Delivery(update));
    } else if let Some(reaction) = event.reaction {
        let removed = reaction.action.as_deref() == Some("unreact");
        let emoji = if removed { None } else { reaction.emoji.or(reaction.reaction).map(Cow::into_owned) };
        let id = format!(
            "reaction:{}:{}:{}:{}",
            reaction.mid,
            sender.id,
            event.timestamp.unwrap_or_default(),
            if removed { "unreact" } else { "react" }
        );
        push(events, id, EventKind::Reaction { customer: sender, message_id: reaction.mid.into_owned(), emoji });
    } else if let Some(postback) = event.postback {
        let payload = postback.payload.map(Cow::into_owned).unwrap_or_default();
        let id = match &postback.mid {
            Some(mid) => format!("postback:{mid}"),
            None => format!("postback:{}:{}:{}", sender.id, event.timestamp.unwrap_or_default(), fingerprint(&payload)),
        };
        let title = postback.title.map(Cow::into_owned);
        push(events, id, EventKind::Postback { customer: sender, payload, title });
    } else if let Some(referral) = event.referral {
        let source = referral.source.map(Cow::into_owned).unwrap_or_else(|| "UNKNOWN".to_owned());
        let reference = referral.reference.map(Cow::into_owned);
        let what = format!("{source}\u{0}{}", reference.as_deref().unwrap_or(""));
        let id = format!("referral:{}:{}:{}", sender.id, event.timestamp.unwrap_or_default(), fingerprint(&what));
        push(events, id, EventKind::Referral { customer: sender, source, reference });
    } else {
        return Outcome::Unknown;
    }
    Outcome::Read
}

/// An event this version cannot read, kept whole under its own key's name.
fn unknown_event(account: &str, occurred_at: Timestamp, raw: &RawValue) -> InboundEvent {
    let key = event_key(raw);
    InboundEvent {
        id: format!("{key}:{account}:{}", fingerprint(raw.get())),
        account: account.to_owned(),
        occurred_at,
        kind: unsupported(&key, raw),
    }
}

/// The contents of one message: the text (or the tapped quick reply), or one per attachment
/// (the text becomes the first media's caption).
fn message_contents(message: &Message<'_>, raw: Option<&RawValue>) -> Vec<Content> {
    if let (true, Some(raw)) = (message.is_unsupported, raw) {
        return vec![unsupported_content("unsupported", raw)];
    }
    let text = message.text.as_deref();
    if let Some(quick_reply) = &message.quick_reply {
        return vec![Content::Postback { title: text.map(str::to_owned), payload: quick_reply.payload.to_string() }];
    }
    if message.attachments.is_empty() {
        return vec![Content::text(text.unwrap_or_default())];
    }
    let mut contents: Vec<Content> = message.attachments.iter().map(|raw| attachment_content(raw)).collect();
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        match contents.first_mut() {
            Some(Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media))
                if media.caption.is_none() =>
            {
                media.caption = Some(text.to_owned());
            }
            _ => contents.insert(0, Content::text(text)),
        }
    }
    contents
}

fn unsupported_content(platform_type: &str, raw: &RawValue) -> Content {
    Content::Unsupported {
        platform_type: platform_type.to_owned(),
        raw: serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null),
    }
}

fn attachment_content(raw: &RawValue) -> Content {
    let Ok(attachment) = serde_json::from_str::<Attachment<'_>>(raw.get()) else {
        return unsupported_content("attachment", raw);
    };
    let payload = attachment.payload;
    let url = payload.as_ref().and_then(|p| p.url.as_deref()).and_then(|u| Url::parse(u).ok());
    let title = payload.as_ref().and_then(|p| p.title.as_deref()).map(str::to_owned);
    let media = |url: Url| Media { source: MediaSource::Url { url }, mime_type: None, caption: None, file_name: None };
    match (attachment.kind.as_ref(), url) {
        ("image", url) if payload.as_ref().is_some_and(|p| p.sticker_id.is_some()) => {
            let sticker_id = payload.and_then(|p| p.sticker_id).map(IdText::into_string).unwrap_or_default();
            Content::Sticker { sticker_id, package_id: None, url }
        }
        ("image", Some(url)) => Content::Image(media(url)),
        ("video" | "reel" | "ig_reel", Some(url)) => Content::Video(Media { caption: title, ..media(url) }),
        ("audio", Some(url)) => Content::Audio(media(url)),
        ("file", Some(url)) => Content::File(Media { file_name: title, ..media(url) }),
        ("location", _) => match payload.and_then(|p| p.coordinates) {
            Some(at) => Content::Location { latitude: at.lat, longitude: at.long, name: title, address: None },
            None => unsupported_content("location", raw),
        },
        (other, _) => unsupported_content(other, raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODIES: &[&str] = &[
        r#"{"object":"page","entry":[{"id":"1","time":5,"messaging":[{"sender":{"id":"u"},"recipient":{"id":"1"},"timestamp":7,"message":{"mid":"m1","text":"hi \u0e2a","reply_to":{"mid":"m0"}}}]}]}"#,
        r#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"u"},"recipient":{"id":"1"},"message":{"mid":"m2","text":"two","attachments":[{"type":"image","payload":{"url":"https://x.example/a.jpg"}},{"type":"fallback","payload":{"url":"https://x.example"}}]}}],"standby":[{"sender":{"id":"u"},"recipient":{"id":"1"},"read":{"watermark":9}}]}]}"#,
        r#"{"object":"page","entry":[{"id":"2","messaging":[{"sender":{"id":"u"},"recipient":{"id":"2"},"reaction":{"mid":"m","action":"unreact"}},{"sender":{"id":"u"},"recipient":{"id":"2"},"referral":{"ref":"r","source":"ADS"}},{"sender":{"id":"u"},"recipient":{"id":"2"},"postback":{"payload":"P"}},{"sender":{"id":"u"},"recipient":{"id":"2"},"message_edit":{"mid":"m","text":"e","num_edit":2}},{"sender":{"id":"u"},"recipient":{"id":"2"},"delivery":{"mids":["a"],"watermark":3}}]}]}"#,
    ];

    #[test]
    fn the_one_pass_and_raw_paths_give_the_same_events() {
        let platform = MessagingPlatform::messenger();
        for body in BODIES {
            let typed = parse_typed(&platform, body.as_bytes()).expect("the one-pass path reads it").unwrap();
            let raw = parse_raw(&platform, body.as_bytes()).unwrap();
            assert_eq!(typed, raw, "{body}");
            assert!(!typed.is_empty());
        }
    }

    #[test]
    fn bodies_with_unknown_items_take_the_raw_path() {
        let platform = MessagingPlatform::messenger();
        let optin = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"u"},"recipient":{"id":"1"},"optin":{"ref":"x"}}]}]}"#;
        assert!(parse_typed(&platform, optin).is_none());
        let changes = br#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{}}]}]}"#;
        assert!(parse_typed(&platform, changes).is_none());
        let numeric = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":5},"recipient":{"id":"1"},"message":{"mid":"m"}}]}]}"#;
        assert!(parse_typed(&platform, numeric).is_none());
        assert_eq!(parse_events(&platform, numeric).unwrap()[0].kind.name(), "unsupported");
    }
}
