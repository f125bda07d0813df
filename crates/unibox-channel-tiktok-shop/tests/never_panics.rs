//! Arbitrary and mutated bodies never make the parser panic: a body is either events (each
//! with an id and a shop) or a typed `MalformedPayload`; any header is a typed refusal.

mod common;

use proptest::prelude::*;
use unibox_core::Channel;

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(common::fixture_names().iter().map(|n| common::fixture(n)).collect())
}

/// Structurally valid webhooks with arbitrary values where TikTok Shop puts strings and
/// numbers, including the JSON document inside `content`.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let any_json = unibox_testkit::mutation::json_value();
    let types = prop::sample::select(vec![1i64, 4, 5, 6, 7, 11, 12, 13, 14, -1]);
    let kinds =
        prop::sample::select(vec!["TEXT", "IMAGE", "EMOTICONS", "VIDEO", "PRODUCT_CARD", "ORDER_CARD", "OTHER"]);
    let roles = prop::sample::select(vec!["BUYER", "SHOP", "SYSTEM", "ROBOT"]);
    (types, kinds, roles, any_json.clone(), any_json.clone(), any_json, ".{0,40}").prop_map(
        |(kind, message, role, a, b, c, content)| {
            serde_json::json!({"type": kind, "tts_notification_id": a, "shop_id": "7494049642642441621", "timestamp": b, "data": {
                "content": content, "conversation_id": c, "message_id": a, "type": message, "create_time": b,
                "sender": {"role": role, "nickname": c}, "order_id": a, "order_status": b, "cancel_status": c,
                "sc_type": a, "package_list": [{"package_id": b, "order_id_list": [c, a]}], "message": b, "expiration_time": c
            }})
            .to_string()
            .into_bytes()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), mutated(), shaped()]) {
        let channel = common::channel();
        let request = common::signed(&body);
        let verified = channel.verify(&request).expect("signed with the app secret");
        unibox_testkit::mutation::events_or_malformed(channel.parse(&verified))?;
    }

    #[test]
    fn any_signature_header_is_a_typed_refusal(signature in "[ -~]{0,100}") {
        let channel = common::channel();
        let body = common::fixture("new_message_text");
        unibox_testkit::mutation::refuses_signature(&channel, common::URL, body, "authorization", &signature)?;
    }
}
