//! Arbitrary bytes and updates of the right shape with values of any type never make the parser
//! panic: a body is either events or a typed `MalformedPayload`; arbitrary secret-token headers
//! are a typed refusal. (Truncated and corrupted fixtures are the conformance suite's
//! `garbage_never_panics`.)

mod common;

use proptest::prelude::*;
use unibox_core::{Channel, ErrorKind};

/// Structurally valid updates with arbitrary values where Telegram puts strings and numbers.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let any_json = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::json!([])),
    ];
    let fields = prop::sample::select(vec![
        "message",
        "edited_message",
        "channel_post",
        "business_message",
        "callback_query",
        "my_chat_member",
        "message_reaction",
        "deleted_business_messages",
        "poll",
    ]);
    (fields, any_json.clone(), any_json.clone(), any_json.clone(), any_json).prop_map(|(field, a, b, c, d)| {
        serde_json::json!({"update_id": 735120001, field: {
            "message_id": a, "date": b, "text": c, "chat": {"id": d, "type": b},
            "from": {"id": a, "first_name": c}, "photo": [{"file_id": c, "width": a, "height": b}],
            "data": c, "id": a, "message": {"message_id": 1, "chat": {"id": 1}, "reply_markup": {"inline_keyboard": [[{"text": c, "callback_data": d}]]}},
            "old_chat_member": {"status": c}, "new_chat_member": {"status": d}, "message_ids": [a],
            "business_connection_id": c, "migrate_to_chat_id": d, "location": {"latitude": a, "longitude": b},
            "new_reaction": [{"type": "emoji", "emoji": c}]
        }})
        .to_string()
        .into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), shaped()]) {
        let channel = common::channel();
        let request = common::delivered(&body);
        let verified = channel.verify(&request).expect("the right secret token");
        match channel.parse(&verified) {
            // Every event names the bot and has an id.
            Ok(events) => prop_assert!(events.iter().all(|e| !e.id.is_empty() && e.account == common::BOT_ID)),
            Err(error) => prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload),
        }
    }

    #[test]
    fn any_secret_token_header_is_a_typed_refusal(secret in "[ -~]{0,300}") {
        prop_assume!(secret != common::SECRET_TOKEN);
        let channel = common::channel();
        if let Ok(request) = unibox_core::channel::WebhookRequest::post(common::URL.parse().unwrap(), common::fixture("start_payload"))
            .try_with_header("x-telegram-bot-api-secret-token", &secret)
        {
            prop_assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);
        }
    }
}
