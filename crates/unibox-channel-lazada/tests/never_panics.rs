//! Arbitrary and mutated bodies never make the parser panic: a body is either events (each
//! with an id and a seller) or a typed `MalformedPayload`; any header is a typed refusal.

mod common;

use proptest::prelude::*;
use unibox_core::Channel;

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(common::fixture_names().iter().map(|n| common::fixture(n)).collect())
}

/// Structurally valid pushes with arbitrary values where Lazada puts strings and numbers,
/// including the JSON document inside `content`.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let any_json = unibox_testkit::mutation::json_value();
    let types = prop::sample::select(vec![0i64, 2, 3, 8, 10, 13, 14, 19, -1]);
    let templates = prop::sample::select(vec![1i64, 2, 3, 4, 6, 10006, 10007, 10008, 0]);
    (types, templates, any_json.clone(), any_json.clone(), any_json, ".{0,40}").prop_map(
        |(kind, template, a, b, c, content)| {
            serde_json::json!({"seller_id": a, "message_type": kind, "timestamp": b, "data": {
                "session_id": c, "message_id": a, "content": content, "template_id": template, "from_account_type": b,
                "status": c, "send_time": a, "order_status": b, "trade_order_id": c, "status_update_time": a,
                "seller_id": b, "auth_expiry_time": c, "buyer_id": a, "reverse_status": b
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
        let body = common::fixture("im_text");
        unibox_testkit::mutation::refuses_signature(&channel, common::URL, body, "authorization", &signature)?;
    }
}
