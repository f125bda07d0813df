//! Arbitrary and mutated bodies never make the parser panic: a push is either events or a
//! typed `MalformedPayload`; any Authorization header is a typed refusal.

mod common;

use proptest::prelude::*;
use unibox_core::Channel;

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(common::fixture_names().iter().map(|n| common::fixture(n)).collect())
}

/// Structurally valid pushes with arbitrary values where Shopee puts ids, strings and numbers.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let any_json = unibox_testkit::mutation::json_value();
    let codes = prop::sample::select(vec![0i64, 1, 2, 3, 4, 5, 10, 12, 99, -1]);
    let types = prop::sample::select(vec!["message", "notification", "other"]);
    let message_types =
        prop::sample::select(vec!["text", "image", "video", "sticker", "item", "order", "faq_liveagent", "x"]);
    (codes, types, message_types, any_json.clone(), any_json.clone(), any_json.clone(), any_json).prop_map(
        |(code, kind, message_type, a, b, c, d)| {
            serde_json::json!({"code": code, "shop_id": a, "timestamp": b, "data": {
                "type": kind,
                "ordersn": c, "status": d, "update_time": a, "tracking_no": b,
                "shop_id": c, "shopid": d, "shop_id_list": [a, b], "authorize_type": c,
                "shop_expire_soon": [c, d], "expire_before": a,
                "content": {
                    "message_id": a, "from_id": b, "to_id": c, "from_shop_id": d, "conversation_id": a,
                    "message_type": message_type, "created_timestamp": b, "quoted_msg": c, "source_content": d,
                    "user_id": a, "type": b, "timestamp": c,
                    "content": {"text": a, "url": b, "video_url": c, "sticker_id": d, "sticker_package_id": a, "item_id": b, "order_sn": c}
                }
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
        let verified = channel.verify(&request).expect("signed with the partner key");
        unibox_testkit::mutation::events_or_malformed(channel.parse(&verified))?;
    }

    #[test]
    fn any_authorization_header_is_a_typed_refusal(value in "[ -~]{0,100}") {
        let channel = common::channel();
        let body = common::fixture("text");
        unibox_testkit::mutation::refuses_signature(&channel, common::CALLBACK_URL, body, "authorization", &value)?;
    }
}
