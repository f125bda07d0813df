//! Inbound verification: the Standard Webhooks six-case vector and the rules around it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind, ManualClock, Timestamp};

use common::{NOW, OTHER_SECRET, SECRET};

// The Standard Webhooks reference vector (the same in every official library's tests).
const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn channel_at(now: i64) -> WebhookChannel {
    let config = WebhookChannelConfig::builder().secret(SECRET.into()).build().unwrap();
    WebhookChannel::new(config).with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(now))))
}

fn vector_request(signature: &str, body: &[u8]) -> WebhookRequest {
    common::request(VECTOR_ID, VECTOR_TIMESTAMP, signature, body)
}

fn refusal(channel: &WebhookChannel, request: &WebhookRequest) -> String {
    let error = channel.verify(request).expect_err("the request should have been refused");
    assert_eq!(error.kind(), ErrorKind::SignatureInvalid, "{error}");
    error.to_string()
}

// --- The six-case vector -------------------------------------------------------------------

#[test]
fn vector_1_the_reference_signature_is_valid() {
    let channel = channel_at(VECTOR_TIMESTAMP);
    assert!(channel.verify(&vector_request(VECTOR_SIGNATURE, VECTOR_BODY)).is_ok());
}

#[test]
fn vector_2_one_valid_signature_among_several_is_enough() {
    let channel = channel_at(VECTOR_TIMESTAMP);
    let list =
        format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,unknownscheme {VECTOR_SIGNATURE} v1a,ZWQyNTUxOQ==");
    assert!(channel.verify(&vector_request(&list, VECTOR_BODY)).is_ok());
}

#[test]
fn vector_3_a_tampered_body_is_refused() {
    let channel = channel_at(VECTOR_TIMESTAMP);
    let message = refusal(&channel, &vector_request(VECTOR_SIGNATURE, br#"{"test": 2432232315}"#));
    assert!(message.contains("no v1 signature"), "{message}");
}

#[test]
fn vector_4_a_signature_from_another_secret_is_refused() {
    let channel = channel_at(VECTOR_TIMESTAMP);
    let forged = common::secret(OTHER_SECRET).sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY);
    refusal(&channel, &vector_request(&forged, VECTOR_BODY));
}

#[test]
fn vector_5_an_old_timestamp_is_refused() {
    let channel = channel_at(VECTOR_TIMESTAMP + 301);
    let message = refusal(&channel, &vector_request(VECTOR_SIGNATURE, VECTOR_BODY));
    assert!(message.contains("301 s old"), "{message}");
}

#[test]
fn vector_6_missing_headers_are_refused_by_name() {
    let channel = channel_at(VECTOR_TIMESTAMP);
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut request = vector_request(VECTOR_SIGNATURE, VECTOR_BODY);
        request.headers.remove(missing);
        let message = refusal(&channel, &request);
        assert!(message.contains(&format!("the {missing} header is missing")), "{message}");
    }
}

// --- Beyond the vector ---------------------------------------------------------------------

#[test]
fn timestamps_just_outside_the_tolerance_are_refused_in_both_directions() {
    let channel = channel_at(NOW);
    let body = common::MESSAGE.as_bytes();
    let future = refusal(&channel, &common::signed(SECRET, "msg_future", NOW + 301, body));
    assert!(future.contains("in the future"), "{future}");
    refusal(&channel, &common::signed(SECRET, "msg_past", NOW - 301, body));
    assert!(channel.verify(&common::signed(SECRET, "msg_edge_future", NOW + 300, body)).is_ok());
    assert!(channel.verify(&common::signed(SECRET, "msg_edge_past", NOW - 300, body)).is_ok());
}

#[test]
fn a_configured_tolerance_replaces_the_default() {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(NOW));
    let config =
        WebhookChannelConfig::builder().secret(SECRET.into()).tolerance(Duration::from_secs(30)).build().unwrap();
    let channel = WebhookChannel::new(config).with_clock(Arc::new(clock));
    let body = common::MESSAGE.as_bytes();
    refusal(&channel, &common::signed(SECRET, "msg_a", NOW - 31, body));
    assert!(channel.verify(&common::signed(SECRET, "msg_b", NOW - 30, body)).is_ok());
}

#[test]
fn during_a_rotation_either_secret_verifies() {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(NOW));
    let config = WebhookChannelConfig::builder().secret(OTHER_SECRET.into()).secret(SECRET.into()).build().unwrap();
    let channel = WebhookChannel::new(config).with_clock(Arc::new(clock));
    let body = common::BATCH.as_bytes();
    assert!(channel.verify(&common::signed(SECRET, "msg_old", NOW, body)).is_ok());
    assert!(channel.verify(&common::signed(OTHER_SECRET, "msg_new", NOW, body)).is_ok());

    // Once the old secret is removed, its signatures stop verifying.
    let (after, _) = common::channel();
    refusal(&after, &common::signed(OTHER_SECRET, "msg_late", NOW, body));
}

#[test]
fn an_exact_replay_is_refused_but_a_retry_with_a_new_timestamp_passes() {
    let (channel, clock) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let delivery = common::signed(SECRET, "msg_once", NOW, body);
    assert!(channel.verify(&delivery).is_ok());
    let message = refusal(&channel, &delivery);
    assert!(message.contains("replay"), "{message}");

    clock.advance(Duration::from_secs(5));
    assert!(channel.verify(&common::signed(SECRET, "msg_once", NOW + 5, body)).is_ok());
}

#[test]
fn a_failed_verification_does_not_count_as_seen() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let good = common::signed(SECRET, "msg_probe", NOW, body);
    let mut forged = good.clone();
    forged.body = common::BATCH.as_bytes().to_vec().into();
    refusal(&channel, &forged);
    assert!(channel.verify(&good).is_ok(), "a forged attempt must not poison the replay guard");
}

#[test]
fn re_serialized_json_fails_verification() {
    let (channel, _) = common::channel();
    let original = common::BATCH.as_bytes();
    let signature = common::secret(SECRET).sign("msg_reser", NOW, original);
    let value: serde_json::Value = serde_json::from_slice(original).unwrap();
    let compact = serde_json::to_vec(&value).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    let escaped = String::from_utf8(original.to_vec()).unwrap().replace("❤️", "\\u2764\\ufe0f").into_bytes();
    for variant in [compact, pretty, escaped] {
        assert_ne!(variant, original);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&variant).unwrap(), value, "same JSON value");
        refusal(&channel, &common::request("msg_reser", NOW, &signature, &variant));
    }
    assert!(channel.verify(&common::request("msg_reser", NOW, &signature, original)).is_ok());
}

#[test]
fn ids_and_timestamps_with_dots_are_refused() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let message = refusal(&channel, &common::signed(SECRET, "msg.1", NOW, body));
    assert!(message.contains("must not contain '.'"), "{message}");
    let key = common::secret(SECRET);
    let signature = key.sign("msg_1", NOW, body);
    let request = WebhookRequest::post(common::URL.parse().unwrap(), body.to_vec())
        .with_header("webhook-id", "msg_1")
        .with_header("webhook-timestamp", &format!("{NOW}.0"))
        .with_header("webhook-signature", &signature);
    let message = refusal(&channel, &request);
    assert!(message.contains("whole Unix seconds"), "{message}");
}

#[test]
fn repeated_signature_headers_are_refused_as_ambiguous() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let request = common::signed(SECRET, "msg_dup", NOW, body).with_header("webhook-signature", "v1,AAAA");
    let message = refusal(&channel, &request);
    assert!(message.contains("more than once"), "{message}");
}

#[test]
fn truncated_extended_and_hex_signatures_are_refused() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let good = common::secret(SECRET).sign("msg_forms", NOW, body);
    let encoded = good.trim_start_matches("v1,");
    let tag = base64_decode(encoded);
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let variants = [
        format!("v1,{}", &encoded[..encoded.len() - 4]),
        format!("v1,{encoded}AAAA"),
        format!("v1,{hex}"),
        format!("v1,{}", hex.to_uppercase()),
        format!("v2,{encoded}"),
        format!("V1,{encoded}"),
        encoded.to_owned(),
        format!("v1={encoded}"),
        String::new(),
    ];
    for variant in variants {
        refusal(&channel, &common::request("msg_forms", NOW, &variant, body));
    }
    // Surrounding spaces are separators, not part of a signature.
    assert!(channel.verify(&common::request("msg_forms", NOW, &format!("  {good}  "), body)).is_ok());
}

#[test]
fn only_unknown_signature_versions_say_so() {
    let (channel, _) = common::channel();
    let message = refusal(&channel, &common::request("msg_v", NOW, "v1a,c2lnbmF0dXJl v2,abc", b"{}"));
    assert!(message.contains("no v1 signature"), "{message}");
}

#[test]
fn too_many_signatures_are_refused_before_any_hmac_work() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let good = common::secret(SECRET).sign("msg_many", NOW, body);
    let junk = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="; 8].join(" ");
    let message = refusal(&channel, &common::request("msg_many", NOW, &format!("{junk} {good}"), body));
    assert!(message.contains("more than 8"), "{message}");
    let seven = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="; 7].join(" ");
    assert!(channel.verify(&common::request("msg_many", NOW, &format!("{seven} {good}"), body)).is_ok());
}

#[test]
fn refusals_never_reveal_the_secret_or_the_expected_signature() {
    let (channel, _) = common::channel();
    let body = common::MESSAGE.as_bytes();
    let expected = common::secret(SECRET).sign("msg_leak", NOW, body);
    let error = channel.verify(&common::request("msg_leak", NOW, "v1,AAAA", body)).unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET.trim_start_matches("whsec_")));
    assert!(!shown.contains(expected.trim_start_matches("v1,")));
}

#[test]
fn debug_of_the_config_and_the_channel_never_shows_a_secret() {
    let config = WebhookChannelConfig::builder()
        .secret(SECRET.into())
        .signing_secret(OTHER_SECRET.into())
        .send_url("https://user:hunter2@crm.example.com/out?api_key=k3y".parse().unwrap())
        .build()
        .unwrap();
    let channel = WebhookChannel::new(config.clone());
    let builder = WebhookChannelConfig::builder().secret(SECRET.into());
    for shown in [format!("{config:?}"), format!("{config:#?}"), format!("{channel:?}"), format!("{builder:?}")] {
        for secret in [SECRET, OTHER_SECRET] {
            assert!(!shown.contains(secret.trim_start_matches("whsec_")), "{shown}");
        }
        assert!(!shown.contains("hunter2") && !shown.contains("k3y"), "{shown}");
    }
    assert!(format!("{config:?}").contains("[1 redacted]"));
}

#[test]
fn malformed_secrets_are_configuration_errors() {
    for bad in ["", "whsec_", "whsec_%%%", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ="] {
        let error = WebhookChannelConfig::builder().secret(bad.into()).build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{bad:?}");
    }
    let error = WebhookChannelConfig::builder()
        .secret(SECRET.into())
        .send_url("ftp://files.example.com/".parse().unwrap())
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
