//! Project Wycheproof's HMAC-SHA256 vectors through the constant-time verifier the channel
//! uses (`unibox_core::channel::signature::verify_hmac_sha256`).
//!
//! Half of the vectors use 128-bit tags (`tagSize` 128): the first 16 bytes of the MAC. The
//! verifier rejects truncated tags on purpose: Standard Webhooks, Meta, LINE and Shopee all
//! send the full 32-byte HMAC-SHA256, so accepting a prefix would only make forgeries easier
//! (a 16-byte prefix has half the security, and a verifier that accepts any prefix length
//! accepts a 1-byte guess). For those vectors this test checks two things instead: the verifier
//! rejects the truncated tag, valid or not, and the full MAC computed by `hmac_sha256` starts
//! with the tag exactly when Wycheproof says the vector is valid. So every one of the 174
//! vectors gives its expected result, and none is skipped.

use serde::Deserialize;
use unibox_core::channel::signature::{hmac_sha256, verify_hmac_sha256};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    number_of_tests: usize,
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    tag_size: usize,
    tests: Vec<Vector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    tc_id: u32,
    key: String,
    msg: String,
    tag: String,
    result: String,
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd-length hex {text:?}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digits")).collect()
}

fn vectors() -> File {
    let text = include_str!("vectors/wycheproof/hmac_sha256_test.json");
    serde_json::from_str(text).expect("the Wycheproof file parses")
}

#[test]
fn every_wycheproof_hmac_sha256_vector_gives_its_expected_result() {
    let file = vectors();
    let (mut full, mut truncated, mut valid, mut invalid) = (0, 0, 0, 0);
    for group in &file.test_groups {
        for vector in &group.tests {
            let (key, message, tag) = (hex(&vector.key), hex(&vector.msg), hex(&vector.tag));
            assert_eq!(tag.len() * 8, group.tag_size, "tc {}: tag length", vector.tc_id);
            let expected_valid = match vector.result.as_str() {
                "valid" => true,
                "invalid" => false,
                other => panic!("tc {}: unexpected result {other:?}", vector.tc_id),
            };
            if expected_valid {
                valid += 1;
            } else {
                invalid += 1;
            }
            let verified = verify_hmac_sha256(&key, &[&message], &tag).is_ok();
            if group.tag_size == 256 {
                full += 1;
                assert_eq!(verified, expected_valid, "tc {}: full-length tag", vector.tc_id);
            } else {
                truncated += 1;
                assert!(!verified, "tc {}: a {}-bit truncated tag must be rejected", vector.tc_id, group.tag_size);
                let mac = hmac_sha256(&key, &[&message]);
                assert_eq!(mac.starts_with(&tag), expected_valid, "tc {}: MAC prefix", vector.tc_id);
            }
        }
    }
    assert_eq!(full + truncated, file.number_of_tests);
    assert_eq!(file.number_of_tests, 174);
    assert_eq!((valid, invalid), (66, 108));
    assert_eq!((full, truncated), (87, 87));
}

#[test]
fn a_message_split_into_parts_verifies_like_the_whole() {
    // The channel passes "{id}", ".", "{timestamp}", ".", body as separate parts.
    let file = vectors();
    let group = file.test_groups.iter().find(|g| g.tag_size == 256).expect("a full-tag group");
    for vector in group.tests.iter().filter(|v| v.result == "valid") {
        let (key, message, tag) = (hex(&vector.key), hex(&vector.msg), hex(&vector.tag));
        let middle = message.len() / 2;
        let parts: [&[u8]; 3] = [&message[..middle], b"", &message[middle..]];
        assert!(verify_hmac_sha256(&key, &parts, &tag).is_ok(), "tc {}", vector.tc_id);
    }
}
