//! TOTP against the test vectors of RFC 6238, appendix B (eight digits, 30-second steps).

use unibox_core::Timestamp;
use unibox_core::session::{Totp, TotpAlgorithm};

const SHA1_SEED: &[u8] = b"12345678901234567890";
const SHA256_SEED: &[u8] = b"12345678901234567890123456789012";
const SHA512_SEED: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// (time, SHA-1 code, SHA-256 code, SHA-512 code), as printed in the RFC.
const VECTORS: [(i64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1_111_111_109, "07081804", "68084774", "25091201"),
    (1_111_111_111, "14050471", "67062674", "99943326"),
    (1_234_567_890, "89005924", "91819424", "93441116"),
    (2_000_000_000, "69279037", "90698825", "38618901"),
    (20_000_000_000, "65353130", "77737706", "47863826"),
];

#[test]
fn rfc_6238_appendix_b_vectors() {
    let sha1 = Totp::new(SHA1_SEED.to_vec(), TotpAlgorithm::Sha1, 8).unwrap();
    let sha256 = Totp::new(SHA256_SEED.to_vec(), TotpAlgorithm::Sha256, 8).unwrap();
    let sha512 = Totp::new(SHA512_SEED.to_vec(), TotpAlgorithm::Sha512, 8).unwrap();
    for (time, code1, code256, code512) in VECTORS {
        let at = Timestamp::from_unix_seconds(time);
        assert_eq!(sha1.code_at(at), code1, "SHA-1 at {time}");
        assert_eq!(sha256.code_at(at), code256, "SHA-256 at {time}");
        assert_eq!(sha512.code_at(at), code512, "SHA-512 at {time}");
        assert_eq!(sha1.verify(code1, at, 0), Some(sha1.step_at(at)));
    }
}

#[test]
fn verification_accepts_one_step_of_drift_and_nothing_else() {
    let totp = Totp::new(SHA1_SEED.to_vec(), TotpAlgorithm::Sha1, 6).unwrap();
    let at = Timestamp::from_unix_seconds(1_732_170_000);
    let code = totp.code_at(at);
    assert!(totp.verify(&code, Timestamp::from_unix_seconds(1_732_170_000 + 30), 1).is_some());
    assert!(totp.verify(&code, Timestamp::from_unix_seconds(1_732_170_000 - 30), 1).is_some());
    assert!(totp.verify(&code, Timestamp::from_unix_seconds(1_732_170_000 + 90), 1).is_none());
    assert!(totp.verify("12345", at, 1).is_none(), "wrong length");
    assert!(totp.verify("abcdef", at, 1).is_none(), "not digits");
    assert!(totp.verify(&format!(" {code} "), at, 0).is_some(), "surrounding spaces are ignored");
}

#[test]
fn secrets_are_validated_and_never_printed() {
    assert!(Totp::new(vec![1; 10], TotpAlgorithm::Sha1, 6).is_err());
    assert!(Totp::new(vec![1; 20], TotpAlgorithm::Sha1, 9).is_err());
    // "12345678901234567890" in base32, as an authenticator app shows it.
    let totp = Totp::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let reference = Totp::new(SHA1_SEED.to_vec(), TotpAlgorithm::Sha1, 6).unwrap();
    let at = Timestamp::from_unix_seconds(59);
    assert_eq!(totp.code_at(at), reference.code_at(at));
    assert_eq!(totp.code_at(at), "287082");
    assert!(!format!("{totp:?}").contains("GEZDGNBV"));
    let uri = totp.provisioning_uri("Acme Inbox", "nok@acme.example");
    use unibox_core::secrecy::ExposeSecret;
    assert_eq!(
        uri.expose_secret(),
        "otpauth://totp/Acme+Inbox:nok%40acme.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme+Inbox&algorithm=SHA1&digits=6&period=30"
    );
    assert!(!format!("{uri:?}").contains("GEZDGNBV"));
    assert!(Totp::from_base32("not base32!").is_err());
}
