//! The receiving half of the suite: verification and parsing.

use proptest::collection::vec;
use proptest::prelude::{Just, Strategy, any, prop_oneof};
use proptest::test_runner::{Config, TestCaseError, TestRng, TestRunner};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind, InboundEvent};

use super::ChannelHarness;

/// How many arbitrary bodies [`garbage_never_panics`] tries.
const GARBAGE_CASES: u32 = 256;

fn verify_and_parse(channel: &dyn Channel, request: &WebhookRequest) -> Vec<InboundEvent> {
    let verified = match channel.verify(request) {
        Ok(verified) => verified,
        Err(error) => panic!("a correctly signed sample failed verification: {error}"),
    };
    match channel.parse(&verified) {
        Ok(events) => events,
        Err(error) => panic!("a verified sample failed to parse: {error}"),
    }
}

fn assert_refused(channel: &dyn Channel, request: &WebhookRequest, what: &str) {
    match channel.verify(request) {
        Ok(_) => panic!("{what} passed verification"),
        Err(error) => assert_eq!(
            error.kind(),
            ErrorKind::SignatureInvalid,
            "{what} failed verification with the wrong kind: {error}"
        ),
    }
}

/// Every sample, correctly signed, verifies and parses into at least one event; every event
/// names an account and has a non-empty id; parsing the same request twice gives the same
/// ids (they must come from the payload, never from the arrival time or a counter).
pub fn samples_verify_and_parse(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    let samples = harness.sample_payloads();
    assert!(!samples.is_empty(), "the harness must provide at least one sample payload");
    for (index, sample) in samples.iter().enumerate() {
        let request = harness.signed_request(sample);
        let events = verify_and_parse(channel.as_ref(), &request);
        assert!(!events.is_empty(), "sample {index} parsed into no event");
        for event in &events {
            assert!(!event.account.is_empty(), "sample {index}: event {} names no account", event.id);
            assert!(!event.id.is_empty(), "sample {index}: an event has an empty id");
        }
        let again = harness.signed_request(sample);
        let verified = match channel.verify(&again) {
            Ok(verified) => verified,
            Err(error) => panic!("sample {index}: a second signed delivery failed verification: {error}"),
        };
        let first: Vec<String> = match channel.parse(&verified) {
            Ok(events) => events.into_iter().map(|e| e.id).collect(),
            Err(error) => panic!("sample {index}: failed to parse: {error}"),
        };
        let second: Vec<String> = match channel.parse(&verified) {
            Ok(events) => events.into_iter().map(|e| e.id).collect(),
            Err(error) => panic!("sample {index}: failed to parse a second time: {error}"),
        };
        assert_eq!(first, second, "sample {index}: parsing twice gave different event ids");
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), first.len(), "sample {index}: two events of one delivery share an id");
    }
}

/// Changing any single byte of a signed body makes verification fail, and the unchanged
/// delivery still verifies afterwards (so the failures were not caused by something else).
/// Skipped when [`ChannelHarness::body_is_signed`] is false.
pub fn body_changes_fail_verification(harness: &dyn ChannelHarness) {
    if !harness.body_is_signed() {
        return;
    }
    let channel = harness.channel();
    for (index, sample) in harness.sample_payloads().iter().enumerate() {
        let original = harness.signed_request(sample);
        for position in 0..original.body.len() {
            let mut body = original.body.to_vec();
            body[position] ^= 0x01;
            let mut changed = original.clone();
            changed.body = body.into();
            assert_refused(channel.as_ref(), &changed, &format!("sample {index} with byte {position} changed"));
        }
        let mut extended = original.clone();
        extended.body = [original.body.as_ref(), b" "].concat().into();
        assert_refused(channel.as_ref(), &extended, &format!("sample {index} with a byte appended"));
        if !original.body.is_empty() {
            let mut truncated = original.clone();
            truncated.body = original.body.slice(..original.body.len() - 1);
            assert_refused(channel.as_ref(), &truncated, &format!("sample {index} with its last byte removed"));
        }
        if let Err(error) = channel.verify(&original) {
            panic!("sample {index}: the unchanged delivery failed verification after the changed ones: {error}");
        }
    }
}

/// Removing any one of the [signature headers](ChannelHarness::signature_headers) makes
/// verification fail; the intact delivery verifies afterwards.
pub fn missing_headers_fail_verification(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    let samples = harness.sample_payloads();
    let Some(sample) = samples.first() else {
        panic!("the harness must provide at least one sample payload");
    };
    let names = harness.signature_headers();
    assert!(!names.is_empty(), "the harness names no signature header");
    for name in names {
        let original = harness.signed_request(sample);
        let mut stripped = original.clone();
        stripped.headers.remove(&name);
        assert_refused(channel.as_ref(), &stripped, &format!("a delivery without the {name} header"));
        if let Err(error) = channel.verify(&original) {
            panic!("the intact delivery failed verification after the one without {name}: {error}");
        }
    }
}

/// A delivery signed with a secret the channel does not hold fails verification.
pub fn other_secret_fails_verification(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    for (index, sample) in harness.sample_payloads().iter().enumerate() {
        let forged = harness.request_signed_with_other_secret(sample);
        assert_refused(channel.as_ref(), &forged, &format!("sample {index} signed with another secret"));
    }
}

/// A delivery with a body but none of the signature headers fails verification.
pub fn unsigned_requests_fail_verification(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    for (index, sample) in harness.sample_payloads().iter().enumerate() {
        let mut unsigned = harness.signed_request(sample);
        for name in harness.signature_headers() {
            unsigned.headers.remove(&name);
        }
        assert_refused(channel.as_ref(), &unsigned, &format!("sample {index} without any signature header"));
    }
}

/// Arbitrary bodies (random bytes, truncated and corrupted samples), correctly signed, never
/// make verification or parsing panic; a parse failure is `MalformedPayload`. Arbitrary
/// values in the signature headers never make verification panic either.
pub fn garbage_never_panics(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    let samples = harness.sample_payloads();
    let config = Config { cases: GARBAGE_CASES, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config.clone(), TestRng::deterministic_rng(config.rng_algorithm));

    let sample_count = samples.len().max(1);
    let bodies = prop_oneof![
        vec(any::<u8>(), 0..2048),
        (0..sample_count, any::<usize>()).prop_map({
            let samples = samples.clone();
            move |(which, cut)| {
                let sample = samples.get(which).cloned().unwrap_or_default();
                let cut = if sample.is_empty() { 0 } else { cut % sample.len() };
                sample[..cut].to_vec()
            }
        }),
        crate::mutation::mutated(samples.clone()),
        Just(b"null".to_vec()),
        Just(b"{}".to_vec()),
        Just(b"[]".to_vec()),
    ];
    let outcome = runner.run(&bodies, |body| {
        let request = harness.signed_request(&body);
        if let Ok(verified) = channel.verify(&request)
            && let Err(error) = channel.parse(&verified)
            && error.kind() != ErrorKind::MalformedPayload
        {
            return Err(TestCaseError::fail(format!("a garbage body failed to parse with {}: {error}", error.kind())));
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("garbage bodies: {failure}");
    }

    let names = harness.signature_headers();
    let header_values = vec((0..names.len().max(1), vec(32u8..127, 0..120)), 1..4);
    let mut runner = TestRunner::new_with_rng(config.clone(), TestRng::deterministic_rng(config.rng_algorithm));
    let first_sample = samples.first().cloned().unwrap_or_default();
    let outcome = runner.run(&header_values, |replacements| {
        let mut request = harness.signed_request(&first_sample);
        for (which, value) in replacements {
            let (Some(name), Ok(value)) = (names.get(which), http::HeaderValue::from_bytes(&value)) else { continue };
            request.headers.insert(name.clone(), value);
        }
        // Any answer is acceptable here (a replacement may happen to keep a valid value);
        // the property is that verification returns instead of panicking.
        if let Err(error) = channel.verify(&request)
            && error.kind() != ErrorKind::SignatureInvalid
        {
            return Err(TestCaseError::fail(format!("a garbled header failed with {}: {error}", error.kind())));
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("garbled signature headers: {failure}");
    }
}

/// A channel without a subscription handshake answers `None` to any request; one with a
/// handshake answers `None` to a signed delivery (a POST with events is never a handshake).
pub fn handshake_is_consistent(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    let samples = harness.sample_payloads();
    if let Some(sample) = samples.first() {
        let delivery = harness.signed_request(sample);
        assert!(channel.handshake(&delivery).is_none(), "a signed delivery was taken for a subscription handshake");
    }
    if !channel.capabilities().subscription_handshake {
        let mut probe = harness.signed_request(b"");
        probe.method = http::Method::GET;
        probe.url.set_query(Some("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"));
        assert!(channel.handshake(&probe).is_none(), "the channel declares no subscription handshake but answered one");
    }
}

/// The declared capabilities hang together: a kind name, a messaging window that opens at
/// all, a text limit above zero, and idempotent sends only on a channel that sends.
pub fn capabilities_are_consistent(harness: &dyn ChannelHarness) {
    let channel = harness.channel();
    let capabilities = channel.capabilities();
    assert!(!channel.kind().as_str().is_empty(), "the channel kind has an empty name");
    if let Some(window) = &capabilities.messaging_window {
        assert!(!window.free_form.is_zero(), "the messaging window never opens");
        if let Some(longer) = window.human_agent {
            assert!(longer >= window.free_form, "the human-agent window is shorter than the free-form one");
        }
    }
    if let Some(limit) = capabilities.max_text_length {
        assert!(limit > 0, "max_text_length is zero");
    }
    if capabilities.idempotent_send || capabilities.reply_token {
        assert!(
            capabilities.send.iter().next().is_some(),
            "idempotent_send or reply_token is declared but no content kind can be sent"
        );
    }
}
