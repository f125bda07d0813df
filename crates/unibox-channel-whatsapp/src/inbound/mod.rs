//! Inbound: a verified webhook body to unified events.
//!
//! One delivery can hold many entries (WhatsApp Business Accounts), each with many changes
//! for many business numbers; every event names the number it belongs to (`phone_number_id`),
//! so one POST is routed to as many tenants as it concerns.
//!
//! The whole body must be a WhatsApp notification, or the delivery is `MalformedPayload`. Below
//! that, nothing fails the delivery: an item unibox cannot read (a message without an id, a
//! status of an unknown kind, a change of a field it has no mapping for) becomes
//! `EventKind::Unsupported` with its raw JSON, so one odd item never makes Meta redeliver a
//! batch for days.

mod message;
mod status;
mod status_report;
mod wire;

pub(crate) use status::failure_reason;
pub(crate) use status_report::status_reports;
pub use status_report::{ConversationWindow, Pricing, StatusReport};

use serde_json::value::RawValue;
use unibox_channel_meta::{Change, fingerprint, parse_notification};
use unibox_core::{Error, ErrorKind, EventKind, InboundEvent, Result, Timestamp};

use unibox_core::Direction;
use wire::{FastNotification, RawItemsValue, Stamped, TypedValue};

/// The `object` of every WhatsApp Business Platform notification.
pub(crate) const OBJECT: &str = "whatsapp_business_account";

/// How [`parse`] treats what is not a message, echo, status or error.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParseOptions {
    /// Keep changes of other fields (template status, account updates, ...) as `Unsupported`
    /// events; otherwise skip them.
    pub(crate) keep_other_fields: bool,
}

pub(crate) fn malformed(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, message).with_operation("whatsapp.parse")
}

/// Parses a verified delivery. `now` dates only the items that carry no time of their own
/// (webhook-level errors, unreadable items); event ids never depend on it.
pub(crate) fn parse(body: &[u8], options: ParseOptions, now: Timestamp) -> Result<Vec<InboundEvent>> {
    // serde accepts an array for a struct; only the documented object is a notification.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed("the body must be a JSON object {\"object\": \"whatsapp_business_account\", ...}"));
    }
    match parse_in_one_pass(body, now) {
        Some(events) => Ok(events),
        None => parse_in_general(body, options, now),
    }
}

/// The general path: the Meta crate's envelope first, then each change's value.
fn parse_in_general(body: &[u8], options: ParseOptions, now: Timestamp) -> Result<Vec<InboundEvent>> {
    let notification = parse_notification(body).map_err(|e| e.with_operation("whatsapp.parse"))?;
    if notification.object != OBJECT {
        return Err(malformed(format!(
            "the notification is for object {:?}, not {OBJECT}: deliver it to the channel of that product",
            notification.object
        )));
    }
    let mut events = Vec::new();
    for (entry_index, entry) in notification.entry.iter().enumerate() {
        for (change_index, change) in entry.changes.iter().enumerate() {
            let at = Location { body, entry: entry_index, change: change_index };
            parse_change(&entry.id, change, at, options, now, &mut events);
        }
    }
    Ok(events)
}

pub(crate) fn is_messages_field(field: &str) -> bool {
    field == "messages" || field == "smb_message_echoes"
}

/// The hot path: a notification whose changes are all messages, echoes, statuses and errors
/// (nearly every delivery), read in one pass. `None` sends the body down the general path,
/// which reads the envelope first and each value after.
fn parse_in_one_pass(body: &[u8], now: Timestamp) -> Option<Vec<InboundEvent>> {
    // Validating UTF-8 once for the whole body is much cheaper than serde_json's check of
    // every string it reads from a byte slice.
    let text = std::str::from_utf8(body).ok()?;
    let notification = serde_json::from_str::<FastNotification<'_>>(text).ok()?;
    if &*notification.object != OBJECT
        || !notification.entry.iter().flat_map(|e| &e.changes).all(|c| is_messages_field(&c.field))
    {
        return None;
    }
    let mut events = Vec::new();
    for (entry_index, entry) in notification.entry.iter().enumerate() {
        for (change_index, change) in entry.changes.iter().enumerate() {
            let at = Location { body, entry: entry_index, change: change_index };
            parse_typed_value(&entry.id, &change.value, at, now, &mut events);
        }
    }
    Some(events)
}

/// Where a change is in the body, to read an item's raw JSON again when it is kept whole.
#[derive(Clone, Copy)]
pub(crate) struct Location<'b> {
    body: &'b [u8],
    entry: usize,
    change: usize,
}

fn parse_change(
    waba: &str,
    change: &Change<'_>,
    at: Location<'_>,
    options: ParseOptions,
    now: Timestamp,
    out: &mut Vec<InboundEvent>,
) {
    let field = change.field.as_ref();
    if is_messages_field(field) {
        // The fast path reads the value and its items in one pass; raw JSON, needed only for
        // what is kept as Unsupported, is re-read from the value on demand. A value with an
        // item of an unexpected shape takes the slow path, item by item.
        if let Ok(value) = serde_json::from_str::<TypedValue<'_>>(change.value.get()) {
            parse_typed_value(waba, &value, at, now, out);
        } else if let Ok(value) = serde_json::from_str::<RawItemsValue<'_>>(change.value.get()) {
            parse_raw_items_value(waba, &value, now, out);
        } else {
            out.push(unreadable(field, waba, &Raw::Item(change.value), now));
        }
    } else if options.keep_other_fields {
        out.push(other_field(waba, field, change.value, now));
    } else {
        tracing::debug!(target: "unibox::whatsapp", field, waba, "skipped a change of a field kept only on request");
    }
}

/// The business number names the channel account; a value without one (never seen) falls
/// back to the WABA, so it is still routed somewhere instead of dropped.
fn account<'v>(metadata: Option<&'v wire::Metadata<'_>>, waba: &'v str) -> &'v str {
    metadata.and_then(|m| m.phone_number_id.as_deref()).unwrap_or(waba)
}

fn parse_typed_value(
    waba: &str,
    value: &TypedValue<'_>,
    at: Location<'_>,
    now: Timestamp,
    out: &mut Vec<InboundEvent>,
) {
    let scope = message::Scope { account: account(value.metadata.as_ref(), waba), contacts: &value.contacts, now };
    for (index, item) in value.messages.iter().enumerate() {
        let raw = Raw::InBody { at, array: "messages", index };
        message::normalize(&scope, item, &raw, Direction::Inbound, out);
    }
    for (index, item) in value.message_echoes.iter().enumerate() {
        let raw = Raw::InBody { at, array: "message_echoes", index };
        message::normalize(&scope, item, &raw, Direction::Outbound, out);
    }
    for (index, item) in value.statuses.iter().enumerate() {
        status::normalize(&scope, item, &Raw::InBody { at, array: "statuses", index }, out);
    }
    errors(&scope, &value.errors, out);
}

fn parse_raw_items_value(waba: &str, value: &RawItemsValue<'_>, now: Timestamp, out: &mut Vec<InboundEvent>) {
    let scope = message::Scope { account: account(value.metadata.as_ref(), waba), contacts: &value.contacts, now };
    for raw in &value.messages {
        message::normalize_raw(&scope, raw, Direction::Inbound, out);
    }
    for raw in &value.message_echoes {
        message::normalize_raw(&scope, raw, Direction::Outbound, out);
    }
    for raw in &value.statuses {
        status::normalize_raw(&scope, raw, out);
    }
    errors(&scope, &value.errors, out);
}

/// `value.errors[]`: problems WhatsApp reports about the webhook or the account, kept whole.
fn errors(scope: &message::Scope<'_>, errors: &[&RawValue], out: &mut Vec<InboundEvent>) {
    for raw in errors {
        out.push(InboundEvent {
            id: derived_id("error", scope.account, raw.get()),
            account: scope.account.to_owned(),
            occurred_at: scope.now,
            kind: EventKind::Unsupported { platform_type: "error".to_owned(), raw: to_value(raw) },
        });
    }
}

/// A change of a field other than messages: kept whole, under the number it names, else the WABA.
fn other_field(waba: &str, field: &str, raw: &RawValue, now: Timestamp) -> InboundEvent {
    let stamped = serde_json::from_str::<Stamped<'_>>(raw.get()).ok();
    let account = stamped
        .as_ref()
        .and_then(|s| s.metadata.as_ref())
        .and_then(|m| m.phone_number_id.as_deref())
        .unwrap_or(waba)
        .to_owned();
    let occurred_at = stamped.as_ref().and_then(|s| s.timestamp.as_deref()).and_then(unix_seconds).unwrap_or(now);
    InboundEvent {
        id: derived_id(field, &account, raw.get()),
        account,
        occurred_at,
        kind: EventKind::Unsupported { platform_type: field.to_owned(), raw: to_value(raw) },
    }
}

/// Where an item's raw JSON comes from when it is kept whole (rare): its own bytes, or the
/// item at `index` of `array` in a change's value, read again from the body on demand.
pub(crate) enum Raw<'r> {
    /// The item's exact JSON.
    Item(&'r RawValue),
    /// The item inside a change's value.
    InBody {
        /// The change.
        at: Location<'r>,
        /// `messages`, `message_echoes` or `statuses`.
        array: &'static str,
        /// The item's position.
        index: usize,
    },
}

impl Raw<'_> {
    /// The item as a JSON value.
    pub(crate) fn value(&self) -> serde_json::Value {
        match self {
            Raw::Item(raw) => to_value(raw),
            Raw::InBody { at, array, index } => {
                let mut body = serde_json::from_slice::<serde_json::Value>(at.body).unwrap_or_default();
                let item = body
                    .get_mut("entry")
                    .and_then(|entries| entries.get_mut(at.entry))
                    .and_then(|entry| entry.get_mut("changes"))
                    .and_then(|changes| changes.get_mut(at.change))
                    .and_then(|change| change.get_mut("value"))
                    .and_then(|value| value.get_mut(*array))
                    .and_then(|items| items.get_mut(*index));
                item.map(serde_json::Value::take).unwrap_or_default()
            }
        }
    }

    /// A stable id for the item: `kind`, the account and a fingerprint of its JSON.
    fn derived_id(&self, kind: &str, account: &str) -> String {
        match self {
            Raw::Item(raw) => derived_id(kind, account, raw.get()),
            Raw::InBody { .. } => derived_id(kind, account, &self.value().to_string()),
        }
    }
}

/// An item whose shape unibox cannot read, kept whole.
pub(crate) fn unreadable(what: &str, account: &str, raw: &Raw<'_>, now: Timestamp) -> InboundEvent {
    InboundEvent {
        id: raw.derived_id(what, account),
        account: account.to_owned(),
        occurred_at: now,
        kind: EventKind::Unsupported { platform_type: format!("{what}.unreadable"), raw: raw.value() },
    }
}

/// A stable id for an item without one of its own: the kind, the account and a fingerprint
/// of the item's JSON, which Meta repeats byte for byte when it redelivers.
pub(crate) fn derived_id(kind: &str, account: &str, json: &str) -> String {
    format!("{kind}:{account}:{}", fingerprint(json))
}

/// The raw JSON as a value, for `Unsupported`.
pub(crate) fn to_value(raw: &RawValue) -> serde_json::Value {
    // A RawValue is valid JSON by construction, so this does not fail in practice; Null keeps
    // the event rather than losing it if it ever did.
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// WhatsApp's timestamps: Unix seconds as a decimal string.
pub(crate) fn unix_seconds(text: &str) -> Option<Timestamp> {
    text.parse::<i64>().ok().map(Timestamp::from_unix_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_pass_and_the_general_path_give_the_same_events() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let options = ParseOptions { keep_other_fields: true };
        let now = Timestamp::from_unix_seconds(1_749_420_000);
        let mut compared = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let body = std::fs::read(entry.unwrap().path()).unwrap();
            if let Some(fast) = parse_in_one_pass(&body, now) {
                assert_eq!(fast, parse_in_general(&body, options, now).unwrap());
                compared += 1;
            }
        }
        assert!(compared >= 30, "only {compared} fixtures took the one-pass path");
    }
}
