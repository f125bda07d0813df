//! The payload of a bus message: the event (ids and kinds, never content) and the position
//! before it, as versioned JSON.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use unibox_core::changes::{InboxEvent, Position, PublishedEvent};
use unibox_core::{Error, ErrorKind, Result};

/// The payload format; a reader refuses others rather than misread them.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Outgoing<'a> {
    v: u32,
    event: &'a InboxEvent,
    previous: Option<Position>,
}

#[derive(Deserialize)]
struct Incoming {
    v: u32,
    event: InboxEvent,
    previous: Option<Position>,
}

/// The payload of `published`.
pub(crate) fn encode(published: &PublishedEvent) -> Result<Bytes> {
    let outgoing = Outgoing { v: VERSION, event: &published.event, previous: published.previous };
    serde_json::to_vec(&outgoing)
        .map(Bytes::from)
        .map_err(|error| Error::new(ErrorKind::Unexpected, format!("could not encode a change event: {error}")))
}

/// The event in a payload; `MalformedPayload` for anything else.
pub(crate) fn decode(payload: &[u8]) -> Result<PublishedEvent> {
    let incoming: Incoming = serde_json::from_slice(payload).map_err(|error| {
        Error::new(ErrorKind::MalformedPayload, format!("a bus message is not a change event: {error}"))
    })?;
    if incoming.v != VERSION {
        return Err(Error::new(
            ErrorKind::MalformedPayload,
            format!("a bus message has format {}; this version reads {VERSION}", incoming.v),
        ));
    }
    Ok(PublishedEvent { event: incoming.event, previous: incoming.previous })
}

#[cfg(test)]
mod tests {
    use unibox_core::changes::{Change, ChangeKind};
    use unibox_core::{ConversationId, MessageId, Timestamp};

    use super::*;

    #[test]
    fn an_event_round_trips_and_other_payloads_are_refused() {
        let change = Change::new("acme".parse().unwrap(), Timestamp::from_unix_seconds(7), ChangeKind::MessageAdded)
            .conversation(ConversationId::new())
            .message(MessageId::new())
            .detail("message");
        let published = PublishedEvent {
            event: InboxEvent { position: Position::new(9), change },
            previous: Some(Position::new(4)),
        };
        let payload = encode(&published).unwrap();
        assert_eq!(decode(&payload).unwrap(), published);
        assert_eq!(decode(b"{}").unwrap_err().kind(), ErrorKind::MalformedPayload);
        let future = String::from_utf8(payload.to_vec()).unwrap().replace("\"v\":1", "\"v\":2");
        assert_eq!(decode(future.as_bytes()).unwrap_err().kind(), ErrorKind::MalformedPayload);
    }
}
