//! Graph error answers and usage headers: any body and header value map to an error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_meta::{error_from_response, rate_limit_delay};

fuzz_target!(|data: &[u8]| {
    let (status, rest) = match data.split_first() {
        Some((first, rest)) => (400 + u16::from(*first), rest),
        None => (400, data),
    };
    let split = rest.len() / 2;
    let (header, body) = rest.split_at(split);
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(header) {
        headers.insert("x-business-use-case-usage", value.clone());
        headers.insert("x-app-usage", value);
    }
    let _ = rate_limit_delay(&headers);
    let error = error_from_response(status, &headers, body);
    assert!(!error.message().is_empty());
});
