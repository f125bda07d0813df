//! The inbound wire format: a JSON object naming one account and a list of events, each
//! the serde form of [`InboundEvent`] without `account`.

use serde::Deserialize;
use unibox_core::channel::Verified;
use unibox_core::{Error, ErrorKind, InboundEvent, Result, Timestamp};

use crate::tagged::WireEventKind;
use crate::verify::{HEADER_ID, HEADER_TIMESTAMP};

/// The longest `account` accepted, in bytes.
pub const MAX_ACCOUNT_LENGTH: usize = 256;

/// The body of an inbound delivery. See the crate documentation for the format.
#[derive(Deserialize)]
#[serde(rename = "payload")]
struct WirePayload {
    account: String,
    events: Vec<WireEvent>,
}

/// One event: [`InboundEvent`]'s serde form minus `account`, with `id` and `occurred_at`
/// optional. `kind` stays a nested object (no `#[serde(flatten)]`, which would buffer every
/// event through serde's generic content type), and is read tag-first (see `tagged.rs`).
#[derive(Deserialize)]
#[serde(rename = "event")]
struct WireEvent {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    occurred_at: Option<Timestamp>,
    kind: WireEventKind,
}

fn malformed(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, message).with_operation("webhook.parse")
}

/// Parses a verified delivery into events.
///
/// Events without an `id` get `"{webhook-id}:{index}"`: the sender keeps the `webhook-id`
/// across retries, so the derived id is stable across redeliveries. Events without
/// `occurred_at` take the signed `webhook-timestamp`.
pub(crate) fn parse(request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
    // serde accepts a JSON array for a struct too; only the documented object form is valid.
    if request.body().iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed("the body must be a JSON object {\"account\": ..., \"events\": [...]}"));
    }
    let payload: WirePayload = serde_json::from_slice(request.body())
        .map_err(|e| malformed(format!("the body is not a unibox webhook payload: {e}")))?;
    if payload.account.is_empty() || payload.account.len() > MAX_ACCOUNT_LENGTH {
        return Err(malformed(format!("\"account\" must be 1 to {MAX_ACCOUNT_LENGTH} bytes long")));
    }
    let headers = &request.request().headers;
    let webhook_id = headers.get(HEADER_ID).and_then(|v| v.to_str().ok());
    let signed_at = headers
        .get(HEADER_TIMESTAMP)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .map(Timestamp::from_unix_seconds);

    let account = payload.account;
    let mut events = Vec::with_capacity(payload.events.len());
    for (index, event) in payload.events.into_iter().enumerate() {
        let id = match (event.id, webhook_id) {
            (Some(id), _) if id.is_empty() => {
                return Err(malformed(format!("event {index} has an empty \"id\"")));
            }
            (Some(id), _) => id,
            (None, Some(webhook_id)) => format!("{webhook_id}:{index}"),
            (None, None) => {
                return Err(malformed(format!("event {index} has no \"id\" and the request no webhook-id")));
            }
        };
        let occurred_at = match (event.occurred_at, signed_at) {
            (Some(at), _) | (None, Some(at)) => at,
            (None, None) => {
                return Err(malformed(format!(
                    "event {index} has no \"occurred_at\" and the request no webhook-timestamp"
                )));
            }
        };
        events.push(InboundEvent { id, account: account.clone(), occurred_at, kind: event.kind.0 });
    }
    Ok(events)
}
