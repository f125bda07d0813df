//! Arbitrary and mutated bodies never make the parser panic: a body is either events or a
//! typed `MalformedPayload`.

mod common;

use proptest::prelude::*;
use unibox_core::{Channel, ErrorKind};

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(vec![common::fixture("batch")])
}

/// Structurally valid deliveries with arbitrary values where LINE puts strings and numbers.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let any_json = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let types = prop::sample::select(vec!["message", "unsend", "follow", "postback", "join", "memberJoined", "other"]);
    let message_types = prop::sample::select(vec!["text", "image", "location", "sticker", "file", "imagemap"]);
    (types, message_types, any_json.clone(), any_json.clone(), any_json).prop_map(|(kind, message, a, b, c)| {
        serde_json::json!({"destination": "U4af4980629c37e7b3ad0a4e2e0a8b2ed", "events": [{
            "type": kind, "timestamp": a, "mode": b, "webhookEventId": c,
            "source": {"type": "user", "userId": "U80696558e1aa831a5e4f1c0e6c2a8a3b"},
            "replyToken": "757913772c4646b784d4b7ce46d12671",
            "message": {"type": message, "id": "1", "text": a, "latitude": b, "longitude": c, "stickerId": a},
            "unsend": {"messageId": b}, "postback": {"data": c}
        }]})
        .to_string()
        .into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), mutated(), shaped()]) {
        let channel = common::channel();
        let request = common::signed(&body);
        let verified = channel.verify(&request).expect("signed with the channel secret");
        match channel.parse(&verified) {
            // Every event names the bot and has an id.
            Ok(events) => prop_assert!(events.iter().all(|e| !e.id.is_empty() && !e.account.is_empty())),
            Err(error) => prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload),
        }
    }

    #[test]
    fn any_signature_header_is_a_typed_refusal(signature in "[ -~]{0,100}") {
        let channel = common::channel();
        let body = common::fixture("text");
        if let Ok(request) = unibox_core::channel::WebhookRequest::post(common::URL.parse().unwrap(), body)
            .try_with_header("x-line-signature", &signature)
        {
            prop_assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);
        }
    }
}
