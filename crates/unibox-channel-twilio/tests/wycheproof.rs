//! Project Wycheproof's HMAC-SHA1 vectors through the constant-time verifier behind
//! `X-Twilio-Signature` (`unibox_core::channel::signature::verify_hmac_sha1`).
//!
//! Twilio always sends the full 20-byte tag, so the verifier refuses a truncated one (the
//! vectors with `tagSize` 80): for those, the test checks that the truncated tag is refused and
//! that the full MAC starts with it exactly when Wycheproof calls the vector valid. Every one of
//! the 170 vectors gives its expected result; none is skipped.

use serde::Deserialize;
use unibox_core::channel::signature::{hmac_sha1, verify_hmac_sha1};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Suite {
    number_of_tests: usize,
    test_groups: Vec<TagGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagGroup {
    tag_size: usize,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    tc_id: u32,
    key: String,
    msg: String,
    tag: String,
    result: String,
}

fn bytes(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).expect("ASCII"), 16).expect("hex digits"))
        .collect()
}

#[test]
fn every_wycheproof_hmac_sha1_vector_gives_its_expected_result() {
    let suite: Suite = serde_json::from_str(include_str!("vectors/wycheproof/hmac_sha1_test.json")).expect("parses");
    let mut counted = [0usize; 2];
    for group in &suite.test_groups {
        for case in &group.tests {
            let (key, message, tag) = (bytes(&case.key), bytes(&case.msg), bytes(&case.tag));
            let valid = case.result == "valid";
            assert!(valid || case.result == "invalid", "tc {}: {}", case.tc_id, case.result);
            counted[usize::from(valid)] += 1;
            let verified = verify_hmac_sha1(&key, &[&message], &tag).is_ok();
            if group.tag_size == 160 {
                assert_eq!(verified, valid, "tc {}", case.tc_id);
            } else {
                assert!(!verified, "tc {}: a truncated tag is refused", case.tc_id);
                assert_eq!(hmac_sha1(&key, &[&message]).starts_with(&tag), valid, "tc {}: MAC prefix", case.tc_id);
            }
        }
    }
    assert_eq!(counted[0] + counted[1], suite.number_of_tests);
    assert_eq!(suite.number_of_tests, 170);
}
