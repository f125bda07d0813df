//! Mutated samples for property tests: real payloads with a few bytes changed, the inputs most
//! likely to reach deep into a parser and find a panic.

use proptest::collection::vec;
use proptest::prelude::*;

/// One of `samples` with 1 to 7 bytes overwritten at arbitrary positions. Empty samples (or
/// none) give empty bodies.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let sample = br#"{"events":[]}"#.to_vec();
/// let strategy = unibox_testkit::mutation::mutated(vec![sample.clone()]);
/// let body = strategy.new_tree(&mut TestRunner::default()).unwrap().current();
/// assert_eq!(body.len(), sample.len());
/// ```
pub fn mutated(samples: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = samples.len().max(1);
    (0..count, vec((any::<usize>(), any::<u8>()), 1..8)).prop_map(move |(which, edits)| {
        let mut sample = samples.get(which).cloned().unwrap_or_default();
        for (at, byte) in edits {
            if !sample.is_empty() {
                let at = at % sample.len();
                sample[at] = byte;
            }
        }
        sample
    })
}

/// A JSON value of every kind a platform field may turn out to hold: null, a boolean, an
/// integer (signed and above `i64::MAX`), a float, a short string, or an array with an object.
/// The building block of "structurally valid payload, arbitrary values" strategies.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let value = unibox_testkit::mutation::json_value().new_tree(&mut TestRunner::default()).unwrap().current();
/// assert!(serde_json::to_string(&value).is_ok());
/// ```
pub fn json_value() -> impl Strategy<Value = serde_json::Value> + Clone {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::json!([1, "2", {"a": []}])),
    ]
}

/// The property every channel's parser keeps for a verified body: it answers events that each
/// have an id and an account, or a typed `MalformedPayload`, and never panics.
///
/// ```
/// use unibox_core::{Error, ErrorKind, InboundEvent};
/// let refused: unibox_core::Result<Vec<InboundEvent>> = Err(Error::new(ErrorKind::MalformedPayload, "not JSON"));
/// assert!(unibox_testkit::mutation::events_or_malformed(refused).is_ok());
/// ```
pub fn events_or_malformed(
    parsed: unibox_core::Result<Vec<unibox_core::InboundEvent>>,
) -> Result<(), proptest::test_runner::TestCaseError> {
    match parsed {
        Ok(events) => {
            prop_assert!(
                events.iter().all(|e| !e.id.is_empty() && !e.account.is_empty()),
                "an event without id or account"
            );
        }
        Err(error) => prop_assert_eq!(error.kind(), unibox_core::ErrorKind::MalformedPayload),
    }
    Ok(())
}

/// The property every channel's verification keeps for a forged signature header: a request
/// carrying `value` in `header` (when it is a valid header value at all) is refused with
/// `SignatureInvalid`.
///
/// ```no_run
/// # fn check(channel: &dyn unibox_core::Channel) {
/// let result = unibox_testkit::mutation::refuses_signature(channel, "https://inbox.example.com/hook", b"{}".to_vec(), "authorization", "forged");
/// assert!(result.is_ok());
/// # }
/// ```
pub fn refuses_signature(
    channel: &dyn unibox_core::Channel,
    url: &str,
    body: Vec<u8>,
    header: &str,
    value: &str,
) -> Result<(), proptest::test_runner::TestCaseError> {
    let url = url.parse().map_err(|_| proptest::test_runner::TestCaseError::fail("not a URL"))?;
    if let Ok(request) = unibox_core::channel::WebhookRequest::post(url, body).try_with_header(header, value) {
        let refused = channel.verify(&request).err().map(|e| e.kind());
        prop_assert_eq!(refused, Some(unibox_core::ErrorKind::SignatureInvalid));
    }
    Ok(())
}
