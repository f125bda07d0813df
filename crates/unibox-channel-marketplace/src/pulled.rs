//! Messages pulled from a platform's list API read by the channel's own push parser: each is
//! wrapped into the push that would have carried it, so a message pulled and pushed gets one
//! event id and is stored once.

use serde_json::{Map, Value};
use unibox_core::{InboundEvent, Result};

/// The events of `messages` (as the list API answers them), each wrapped by `as_push` into a
/// push body and read by `parse`. One unreadable message is logged and skipped, so it does not
/// stop a back-fill of the others.
///
/// ```
/// use unibox_channel_marketplace::pulled::events_of;
/// use unibox_core::{EventKind, InboundEvent, Timestamp};
/// let listed = vec![serde_json::json!({"id": "m1"}).as_object().unwrap().clone()];
/// let events = events_of("example", listed, |m| serde_json::json!({"data": m}), |body| {
///     let push: serde_json::Value = serde_json::from_slice(body).unwrap();
///     Ok(vec![InboundEvent {
///         id: format!("message:{}", push["data"]["id"].as_str().unwrap()),
///         account: "shop".into(),
///         occurred_at: Timestamp::from_unix_seconds(0),
///         kind: EventKind::Unsupported { platform_type: "test".into(), raw: push },
///     }])
/// });
/// assert_eq!(events[0].id, "message:m1");
/// ```
pub fn events_of(
    platform: &'static str,
    messages: Vec<Map<String, Value>>,
    as_push: impl Fn(Map<String, Value>) -> Value,
    parse: impl Fn(&[u8]) -> Result<Vec<InboundEvent>>,
) -> Vec<InboundEvent> {
    let mut events = Vec::with_capacity(messages.len());
    for message in messages {
        let parsed = serde_json::to_vec(&as_push(message))
            .map_err(|e| e.to_string())
            .and_then(|body| parse(&body).map_err(|e| e.to_string()));
        match parsed {
            Ok(parsed) => events.extend(parsed),
            Err(error) => {
                tracing::warn!(target: "unibox::marketplace", platform, %error, "a pulled message was skipped")
            }
        }
    }
    events
}
