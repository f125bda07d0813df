//! Events read while verifying, for the `parse` that follows.
//!
//! Decoding the form is most of a webhook's cost, and both `verify` (to sign every parameter)
//! and `parse` need it, while the `Channel` API hands only the request from one to the other.
//! So once a form webhook's signature matches, `verify` reads its events from the form it has
//! just decoded and keeps them on the thread, keyed by the body itself; the hub calls `parse`
//! right after, on the same thread, and takes them. A body is then decoded once.
//!
//! The key is the body's buffer, held while the events are kept (a `Bytes` is immutable and
//! cannot be freed and reused meanwhile), so kept events only ever serve the very bytes they
//! were read from. `parse` takes them, so a webhook is not held after it is parsed (a verify
//! never followed by a parse leaves one body held until the thread's next verify); anything
//! else (a JSON body, another thread, a request parsed without this verify) is decoded again.

use std::cell::RefCell;

use bytes::Bytes;
use unibox_core::{InboundEvent, Result};

thread_local! {
    static PREPARED: RefCell<Option<(Bytes, Result<Vec<InboundEvent>>)>> = const { RefCell::new(None) };
}

/// Keeps the events (or the parse error) read from the verified `body`.
pub(crate) fn keep(body: &Bytes, events: Result<Vec<InboundEvent>>) {
    PREPARED.with(|prepared| *prepared.borrow_mut() = Some((body.clone(), events)));
}

/// The events kept for `body`, removed; `None` when none are kept for these very bytes.
pub(crate) fn take(body: &Bytes) -> Option<Result<Vec<InboundEvent>>> {
    PREPARED.with(|prepared| {
        let mut prepared = prepared.borrow_mut();
        let same =
            prepared.as_ref().is_some_and(|(kept, _)| kept.as_ptr() == body.as_ptr() && kept.len() == body.len());
        if same { prepared.take().map(|(_, events)| events) } else { None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_events_serve_only_the_same_buffer_and_only_once() {
        let body = Bytes::from(b"MessageSid=SM1".to_vec());
        let equal_elsewhere = Bytes::from(b"MessageSid=SM1".to_vec());
        keep(&body, Ok(Vec::new()));
        assert!(take(&equal_elsewhere).is_none(), "equal bytes in another buffer are decoded on their own");
        let same = body.clone();
        assert!(matches!(take(&same), Some(Ok(events)) if events.is_empty()));
        assert!(take(&body).is_none(), "taken once");
    }
}
