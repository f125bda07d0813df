//! The notification envelope every Meta webhook shares: `{"object": ..., "entry": [...]}`.
//!
//! Messenger and Instagram entries carry `messaging[]` (or `standby[]` under the handover
//! protocol); WhatsApp and Graph "changes" objects carry `changes[].{field, value}`. Items are
//! kept as raw JSON, so each adapter reads what it knows and keeps the rest whole.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_core::{Error, ErrorKind, Result};

/// One webhook POST: the object type and its entries (many pages, numbers or tenants).
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct Notification<'a> {
    /// `page`, `instagram`, `whatsapp_business_account`, ...
    #[serde(borrow)]
    pub object: Cow<'a, str>,
    /// The entries; Meta may batch many.
    #[serde(default, borrow)]
    pub entry: Vec<Entry<'a>>,
}

/// One entry: the account it is for and its items.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct Entry<'a> {
    /// The account: Page id, Instagram account id, WhatsApp Business Account id.
    #[serde(default, borrow)]
    pub id: Cow<'a, str>,
    /// When, in Unix milliseconds (Messenger) or seconds (some Graph objects).
    #[serde(default)]
    pub time: Option<i64>,
    /// Messenger-style events.
    #[serde(default, borrow)]
    pub messaging: Vec<&'a RawValue>,
    /// Events for a thread another app controls (handover protocol).
    #[serde(default, borrow)]
    pub standby: Vec<&'a RawValue>,
    /// Graph "changes" (WhatsApp, comments, mentions).
    #[serde(default, borrow)]
    pub changes: Vec<Change<'a>>,
}

/// One Graph change: the subscribed field and its value.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct Change<'a> {
    /// The subscription field (`messages`, `comments`, ...).
    #[serde(borrow)]
    pub field: Cow<'a, str>,
    /// The value, as received.
    #[serde(borrow)]
    pub value: &'a RawValue,
}

/// Parses the envelope of a verified body. Anything that is not `{"object": "...", "entry": [...]}`
/// is `MalformedPayload`.
///
/// ```
/// use unibox_channel_meta::parse_notification;
/// let body = br#"{"object":"page","entry":[{"id":"104738291837465","time":1458692752478,"messaging":[{"sender":{"id":"6201234567890123"}}]}]}"#;
/// let notification = parse_notification(body).unwrap();
/// assert_eq!(notification.object, "page");
/// assert_eq!(notification.entry[0].messaging.len(), 1);
/// ```
pub fn parse_notification(body: &[u8]) -> Result<Notification<'_>> {
    let text = std::str::from_utf8(body).map_err(|_| {
        Error::new(ErrorKind::MalformedPayload, "the Meta notification is not UTF-8").with_operation("meta.parse")
    })?;
    serde_json::from_str(text).map_err(|e| {
        Error::new(ErrorKind::MalformedPayload, format!("not a Meta notification envelope: {e}"))
            .with_operation("meta.parse")
    })
}

/// A short, stable fingerprint of raw JSON (64-bit FNV-1a, hex): ids for events that carry
/// none of their own, identical on every redelivery of the same bytes.
pub fn fingerprint(raw: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in raw.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}
