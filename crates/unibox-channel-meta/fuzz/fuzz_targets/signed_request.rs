//! `signed_request` (data-deletion and deauthorize callbacks): arbitrary input, and authentic
//! requests with arbitrary payloads, fail with a typed error and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_meta::{AppSecret, parse_signed_request, sign_request};
use unibox_core::ErrorKind;

fuzz_target!(|data: &[u8]| {
    let secret = AppSecret::new("appsecret");
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(error) = parse_signed_request(text, std::slice::from_ref(&secret))
    {
        assert!(matches!(error.kind(), ErrorKind::SignatureInvalid | ErrorKind::MalformedPayload));
    }
    if let Err(error) = parse_signed_request(&sign_request(&secret, data), std::slice::from_ref(&secret)) {
        assert_eq!(error.kind(), ErrorKind::MalformedPayload);
    }
});
