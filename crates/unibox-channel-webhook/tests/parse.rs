//! Parsing verified deliveries into unified events.

mod common;

use proptest::prelude::*;
use unibox_core::channel::WebhookRequest;
use unibox_core::{
    Channel, Content, DeliveryStatus, Direction, ErrorKind, EventKind, IdentityKind, InboundEvent, MediaSource,
    Timestamp,
};

use common::{NOW, SECRET};

fn parse(body: &str) -> Result<Vec<InboundEvent>, unibox_core::Error> {
    let (channel, _) = common::channel();
    let request = common::signed(SECRET, "msg_2VxK9pQ", NOW, body.as_bytes());
    let verified = channel.verify(&request).expect("the fixture is signed correctly");
    channel.parse(&verified)
}

#[test]
fn a_customer_message_becomes_one_inbound_message_event() {
    let events = parse(common::MESSAGE).unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.id, "evt_01JAX3M4Q8");
    assert_eq!(event.account, "store-th-01");
    assert_eq!(event.occurred_at, Timestamp::from_unix_millis(1_732_000_000_123));
    let EventKind::Message(message) = &event.kind else { panic!("expected a message, got {:?}", event.kind) };
    assert_eq!(message.customer.kind, IdentityKind::External);
    assert_eq!(message.customer.id, "cust-48213");
    assert_eq!(message.customer.display_name.as_deref(), Some("Somchai Jaidee"));
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.message_id, "crm-msg-90211");
    assert_eq!(message.reply_to.as_deref(), Some("crm-msg-90107"));
    assert!(matches!(&message.content, Content::Text { text } if text.contains("order TH-20931")));
}

#[test]
fn events_without_id_or_time_take_them_from_the_signed_headers() {
    let events = parse(common::BATCH).unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["msg_2VxK9pQ:0", "msg_2VxK9pQ:1", "evt_01JAX3M9ZZ", "msg_2VxK9pQ:3"]);
    assert_eq!(events[0].occurred_at, Timestamp::from_unix_seconds(NOW));
    assert_eq!(events[1].occurred_at, Timestamp::from_unix_millis(1_731_999_990_000));
    assert!(events.iter().all(|e| e.account == "store-th-01"));

    let EventKind::Message(image) = &events[0].kind else { panic!("expected a message") };
    let Content::Image(media) = &image.content else { panic!("expected an image") };
    assert!(matches!(&media.source, MediaSource::Url { url } if url.as_str().ends_with("/desk.jpg")));
    assert_eq!(media.caption.as_deref(), Some("The box arrived damaged"));

    let EventKind::Delivery(update) = &events[1].kind else { panic!("expected a delivery update") };
    assert_eq!(update.status, DeliveryStatus::Read);
    assert_eq!(update.message_ids, ["crm-msg-90107", "crm-msg-90108"]);

    assert!(matches!(&events[2].kind, EventKind::Reaction { emoji: Some(e), .. } if e == "❤️"));
    let EventKind::OrderUpdate(order) = &events[3].kind else { panic!("expected an order update") };
    assert_eq!(order.order_id, "TH-20931");
    assert_eq!(order.raw["carrier"], "Kerry Express");
}

#[test]
fn derived_ids_are_stable_across_the_senders_retries() {
    // A Standard Webhooks sender retries with the same webhook-id and a new timestamp.
    let (channel, _) = common::channel();
    let body = common::BATCH.as_bytes();
    let first = common::signed(SECRET, "msg_retry", NOW - 10, body);
    let retry = common::signed(SECRET, "msg_retry", NOW, body);
    let ids = |request: &WebhookRequest| -> Vec<String> {
        let verified = channel.verify(request).unwrap();
        channel.parse(&verified).unwrap().into_iter().map(|e| e.id).collect()
    };
    assert_eq!(ids(&first), ids(&retry));
}

#[test]
fn an_empty_event_list_is_a_valid_delivery() {
    assert!(parse(r#"{"account":"store-th-01","events":[]}"#).unwrap().is_empty());
}

#[test]
fn the_parsed_event_serializes_back_to_the_unified_form() {
    let events = parse(common::FOLLOW_AND_LOCATION).unwrap();
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "id": "f-1",
            "account": "bridge-line-7",
            "occurred_at": 1731999000000_i64,
            "kind": {"type": "follow", "customer": {"kind": "external", "id": "U4af49806", "display_name": "Nok"}}
        })
    );
}

#[test]
fn bodies_that_are_not_the_payload_format_are_malformed_payloads() {
    let cases = [
        ("", "must be a JSON object"),
        ("not json", "must be a JSON object"),
        ("[]", "must be a JSON object"),
        (r#"["s", []]"#, "must be a JSON object"),
        (r#"{"account":"s","events":[]"#, "EOF"),
        (r#"{"events":[]}"#, "missing field `account`"),
        (r#"{"account":"s"}"#, "missing field `events`"),
        (r#"{"account":"","events":[]}"#, "\"account\" must be"),
        (r#"{"account":"s","events":[{"kind":{"type":"teleport"}}]}"#, "unknown variant"),
        (
            r#"{"account":"s","events":[{"id":"","kind":{"type":"follow","customer":{"kind":"external","id":"c"}}}]}"#,
            "empty \"id\"",
        ),
        (
            r#"{"account":"s","events":[{"occurred_at":"yesterday","kind":{"type":"follow","customer":{"kind":"external","id":"c"}}}]}"#,
            "invalid type",
        ),
        (
            r#"{"account":"s","events":[{"kind":{"type":"message","customer":{"kind":"external","id":"c"},"direction":"inbound","message_id":"m","content":{"type":"image","source":{"kind":"url","url":"not a url"}}}}]}"#,
            "relative URL",
        ),
    ];
    for (body, expected) in cases {
        let error = parse(body).expect_err(body);
        assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{body}: {error}");
        assert!(error.message().contains(expected), "{body}: {error}");
    }
}

#[test]
fn an_over_long_account_is_refused() {
    let body = format!(r#"{{"account":"{}","events":[]}}"#, "a".repeat(257));
    assert_eq!(parse(&body).unwrap_err().kind(), ErrorKind::MalformedPayload);
}

fn header_value() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![32u8..127, Just(b'.'), Just(b','), Just(b' ')], 0..90)
        .prop_map(|bytes| String::from_utf8(bytes).unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn verify_and_parse_never_panic_on_arbitrary_input(
        body in prop::collection::vec(any::<u8>(), 0..1024),
        id in header_value(),
        timestamp in header_value(),
        signature in header_value(),
        sign_it in any::<bool>(),
    ) {
        let (channel, _) = common::channel();
        let signature = if sign_it && !id.is_empty() {
            common::secret(SECRET).sign(&id, NOW, &body)
        } else {
            signature
        };
        let timestamp = if sign_it { NOW.to_string() } else { timestamp };
        let Ok(request) = WebhookRequest::post(common::URL.parse().unwrap(), body)
            .try_with_header("webhook-id", &id)
            .and_then(|r| r.try_with_header("webhook-timestamp", &timestamp))
            .and_then(|r| r.try_with_header("webhook-signature", &signature))
        else {
            return Ok(());
        };
        match channel.verify(&request) {
            Ok(verified) => {
                if let Err(error) = channel.parse(&verified) {
                    prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
                }
            }
            Err(error) => prop_assert_eq!(error.kind(), ErrorKind::SignatureInvalid),
        }
    }

    #[test]
    fn json_shaped_garbage_is_a_malformed_payload_or_parses(
        account in "[a-z0-9-]{0,12}",
        events in prop::collection::vec(prop_oneof![
            Just("{}".to_owned()),
            Just(r#"{"kind":{"type":"follow","customer":{"kind":"external","id":"c"}}}"#.to_owned()),
            Just(r#"{"kind":{"type":"message"}}"#.to_owned()),
            Just(r#"{"id":7}"#.to_owned()),
            Just("null".to_owned()),
            Just(r#"{"kind":{"type":"unsupported","platform_type":"x","raw":[1,{"a":null}]}}"#.to_owned()),
        ], 0..5),
    ) {
        let body = format!(r#"{{"account":"{account}","events":[{}]}}"#, events.join(","));
        match parse(&body) {
            Ok(parsed) => prop_assert_eq!(parsed.len(), events.len()),
            Err(error) => prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload),
        }
    }
}
