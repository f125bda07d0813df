//! Every XChaCha20-Poly1305, AES-GCM-SIV, HKDF-SHA256, HMAC-SHA256 and HMAC-SHA1 vector of Wycheproof
//! (`tests/vectors/wycheproof/`, testvectors_v1, copied with its licence) through the code the vault and the channels
//! use: the vault's AEAD and HKDF primitives, and `unibox_core::channel::signature`.

mod common;

use std::path::PathBuf;

use common::hex;
use serde_json::Value;
use unibox_core::channel::signature;
use unibox_vault::primitives;

fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/wycheproof").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn tests(file: &Value) -> impl Iterator<Item = (&Value, &Value)> {
    file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().map(move |t| (g, t)))
}

fn field(test: &Value, name: &str) -> Vec<u8> {
    hex(test[name].as_str().unwrap())
}

#[test]
fn xchacha20_poly1305_vectors_seal_and_open_through_the_vault_primitives() {
    let file = vectors("xchacha20_poly1305_test.json");
    let (mut valid, mut invalid) = (0, 0);
    for (_, test) in tests(&file) {
        let id = &test["tcId"];
        let (key, nonce, aad, msg) = (field(test, "key"), field(test, "iv"), field(test, "aad"), field(test, "msg"));
        let mut sealed = field(test, "ct");
        sealed.extend(field(test, "tag"));
        let cipher = primitives::xchacha_cipher(&key).expect("32-byte keys in every vector");
        match test["result"].as_str().unwrap() {
            "valid" => {
                valid += 1;
                assert_eq!(primitives::xchacha_seal(&cipher, &nonce, &aad, &msg).unwrap(), sealed, "tc {id}: seal");
                let opened = primitives::xchacha_open(&cipher, &nonce, &aad, &sealed).unwrap();
                assert_eq!(opened.as_slice(), msg.as_slice(), "tc {id}: open");
            }
            _ => {
                invalid += 1;
                assert!(primitives::xchacha_open(&cipher, &nonce, &aad, &sealed).is_err(), "tc {id}: invalid opened");
                if nonce.len() != primitives::NONCE_LEN {
                    assert!(
                        primitives::xchacha_seal(&cipher, &nonce, &aad, &msg).is_err(),
                        "tc {id}: bad nonce sealed"
                    );
                }
            }
        }
    }
    assert_eq!((valid, invalid), (246, 69), "the testvectors_v1 counts");
}

#[test]
fn aes_gcm_siv_vectors_seal_and_open_through_the_vault_primitives() {
    let file = vectors("aes_gcm_siv_test.json");
    let (mut valid, mut invalid, mut aes128_refused) = (0, 0, 0);
    for (group, test) in tests(&file) {
        let id = &test["tcId"];
        let (key, nonce, aad, msg) = (field(test, "key"), field(test, "iv"), field(test, "aad"), field(test, "msg"));
        let mut sealed = field(test, "ct");
        sealed.extend(field(test, "tag"));
        if group["keySize"].as_u64().unwrap() != 256 {
            // The vault is AES-256 only: an AES-128 key never becomes a cipher.
            assert_eq!(key.len(), 16, "tc {id}");
            assert!(primitives::aes_gcm_siv_cipher(&key).is_err(), "tc {id}: a 128-bit key was accepted");
            aes128_refused += 1;
            continue;
        }
        let cipher = primitives::aes_gcm_siv_cipher(&key).expect("32-byte keys in the 256-bit groups");
        match test["result"].as_str().unwrap() {
            "valid" => {
                valid += 1;
                let resealed = primitives::aes_gcm_siv_seal(&cipher, &nonce, &aad, &msg).unwrap();
                assert_eq!(resealed, sealed, "tc {id}: seal");
                let opened = primitives::aes_gcm_siv_open(&cipher, &nonce, &aad, &sealed).unwrap();
                assert_eq!(opened.as_slice(), msg.as_slice(), "tc {id}: open");
            }
            _ => {
                invalid += 1;
                assert!(
                    primitives::aes_gcm_siv_open(&cipher, &nonce, &aad, &sealed).is_err(),
                    "tc {id}: invalid opened"
                );
            }
        }
    }
    assert_eq!((valid, invalid, aes128_refused), (69, 34, 99), "the testvectors_v1 counts");
}

#[test]
fn hkdf_sha256_vectors_derive_through_the_vault_primitive() {
    let file = vectors("hkdf_sha256_test.json");
    let (mut valid, mut invalid) = (0, 0);
    for (_, test) in tests(&file) {
        let id = &test["tcId"];
        let (ikm, salt, info) = (field(test, "ikm"), field(test, "salt"), field(test, "info"));
        let mut okm = vec![0u8; test["size"].as_u64().unwrap() as usize];
        // RFC 5869: an absent salt is HashLen zeros, so an empty salt derives the same.
        let result = primitives::hkdf_sha256(&ikm, Some(&salt), &info, &mut okm);
        match test["result"].as_str().unwrap() {
            "valid" => {
                valid += 1;
                result.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                assert_eq!(okm, field(test, "okm"), "tc {id}");
            }
            _ => {
                invalid += 1;
                assert!(result.is_err(), "tc {id}: an oversized output was derived");
            }
        }
    }
    assert_eq!((valid, invalid), (83, 3));
}

/// Computes a MAC over the concatenated parts.
type Mac = fn(&[u8], &[&[u8]]) -> Vec<u8>;
/// Verifies a MAC in constant time.
type Verify = fn(&[u8], &[&[u8]], &[u8]) -> bool;

/// Full-length tags go through the constant-time verifier; truncated ones (which the verifier
/// refuses on principle) are compared against the computed tag's prefix, and must be refused
/// by the verifier too.
fn run_hmac(file: &str, full_len: usize, mac: Mac, verify: Verify) -> (u32, u32) {
    let file = vectors(file);
    let (mut valid, mut invalid) = (0, 0);
    for (group, test) in tests(&file) {
        let id = &test["tcId"];
        let (key, msg, tag) = (field(test, "key"), field(test, "msg"), field(test, "tag"));
        let tag_len = group["tagSize"].as_u64().unwrap() as usize / 8;
        let expected_valid = test["result"].as_str().unwrap() == "valid";
        let matches = if tag_len == full_len {
            verify(&key, &[&msg], &tag)
        } else {
            assert!(!verify(&key, &[&msg], &tag), "tc {id}: the verifier accepted a truncated tag");
            mac(&key, &[&msg])[..tag_len] == tag[..]
        };
        assert_eq!(matches, expected_valid, "tc {id}");
        if expected_valid { valid += 1 } else { invalid += 1 }
    }
    (valid, invalid)
}

#[test]
fn hmac_sha256_vectors_through_the_channel_signature_functions() {
    let counts = run_hmac(
        "hmac_sha256_test.json",
        32,
        |key, parts| signature::hmac_sha256(key, parts).to_vec(),
        |key, parts, tag| signature::verify_hmac_sha256(key, parts, tag).is_ok(),
    );
    assert_eq!(counts, (66, 108));
}

#[test]
fn hmac_sha1_vectors_through_the_channel_signature_functions() {
    let counts = run_hmac(
        "hmac_sha1_test.json",
        20,
        |key, parts| signature::hmac_sha1(key, parts).to_vec(),
        |key, parts, tag| signature::verify_hmac_sha1(key, parts, tag).is_ok(),
    );
    assert_eq!(counts, (66, 104));
}
