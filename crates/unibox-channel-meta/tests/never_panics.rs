//! Arbitrary bytes never make a parser panic; failures are typed errors. The cargo-fuzz
//! targets in `fuzz/` explore the same functions for longer.

use proptest::prelude::*;
use unibox_channel_meta::messaging::{MessagingPlatform, parse_events};
use unibox_channel_meta::{
    AppSecret, GraphError, parse_notification, parse_signed_request, rate_limit_delay, sign_request,
};
use unibox_core::ErrorKind;

const SAMPLE: &str = r#"{"object":"page","entry":[{"id":"104738291837465","time":1458692752478,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1458692752478,"message":{"mid":"mid.1","text":"hi","attachments":[{"type":"image","payload":{"url":"https://x.example/a.jpg"}}]}},{"sender":{"id":"1"},"recipient":{"id":"2"},"reaction":{"mid":"m","action":"react","emoji":"x"}}]}]}"#;

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    unibox_testkit::mutation::mutated(vec![SAMPLE.as_bytes().to_vec()])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn messaging_parsing_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..1024), mutated()]) {
        for platform in [MessagingPlatform::messenger(), MessagingPlatform::instagram()] {
            if let Err(error) = parse_events(&platform, &body) {
                prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
            }
        }
        let _ = parse_notification(&body);
        let _ = GraphError::from_body(&body);
    }

    #[test]
    fn signed_request_parsing_never_panics(input in ".{0,400}", payload in prop::collection::vec(any::<u8>(), 0..200)) {
        let secret = AppSecret::new("appsecret");
        if let Err(error) = parse_signed_request(&input, std::slice::from_ref(&secret)) {
            prop_assert!(matches!(error.kind(), ErrorKind::SignatureInvalid | ErrorKind::MalformedPayload));
        }
        // Authentic but arbitrary payloads fail as malformed, never as a panic.
        if let Err(error) = parse_signed_request(&sign_request(&secret, &payload), &[secret]) {
            prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
        }
    }

    #[test]
    fn usage_headers_never_panic(value in "[ -~]{0,200}") {
        let mut headers = http::HeaderMap::new();
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            headers.insert("x-business-use-case-usage", value.clone());
            headers.insert("x-app-usage", value);
        }
        let _ = rate_limit_delay(&headers);
    }
}
