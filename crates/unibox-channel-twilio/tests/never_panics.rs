//! Arbitrary and mutated bodies, URLs and signature headers never make the channel panic: a
//! body is either events or a typed `MalformedPayload`, a request either verifies or is a
//! typed `SignatureInvalid`.

mod common;

use proptest::prelude::*;
use unibox_channel_twilio::{json_webhook_url, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(common::fixture_names().iter().map(|n| common::fixture(n)).collect())
}

/// Well-formed forms with arbitrary values where Twilio puts numbers, statuses and addresses.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![Just(String::new()), "[0-9]{0,4}", ".{0,16}", Just("99999999999999999999".to_owned())];
    let status = prop::sample::select(vec![
        "received",
        "queued",
        "sent",
        "delivered",
        "read",
        "failed",
        "undelivered",
        "other",
        "",
    ]);
    (status, value.clone(), value.clone(), value.clone(), value).prop_map(|(status, a, b, c, d)| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("MessageSid", "SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e")
            .append_pair("SmsStatus", status)
            .append_pair("To", &a)
            .append_pair("From", &b)
            .append_pair("NumMedia", &c)
            .append_pair("MediaUrl0", &d)
            .append_pair("Latitude", &a)
            .append_pair("Longitude", &c)
            .append_pair("ErrorCode", &d)
            .append_pair("ButtonPayload", &b)
            .finish()
            .into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), mutated(), shaped()]) {
        let channel = common::channel();
        let request = common::signed(&body);
        let verified = channel.verify(&request).expect("signed with the Auth Token");
        match channel.parse(&verified) {
            Ok(events) => prop_assert!(events.iter().all(|e| !e.id.is_empty() && !e.account.is_empty())),
            Err(error) => prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload),
        }
    }

    #[test]
    fn arbitrary_json_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let channel = common::channel();
        let url = json_webhook_url(common::URL, &body);
        let request = WebhookRequest::post(url.parse().unwrap(), body)
            .with_header("x-twilio-signature", &signature_header(common::AUTH_TOKEN, &url, b""));
        let verified = channel.verify(&request).expect("signed with the Auth Token");
        if let Err(error) = channel.parse(&verified) {
            prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
        }
    }

    #[test]
    fn any_signature_header_or_query_is_a_typed_refusal(signature in "[ -~]{0,100}", query in "[ -~]{0,60}") {
        let channel = common::channel();
        let body = common::fixture("sms");
        let mut url: url::Url = common::URL.parse().unwrap();
        url.set_query(Some(&query));
        if let Ok(request) = WebhookRequest::post(url, body).try_with_header("x-twilio-signature", &signature) {
            prop_assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);
        }
    }
}
