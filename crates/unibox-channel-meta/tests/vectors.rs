//! The computed test vectors of the Meta fact sheet (platforms-chat.md §1), inline: the app
//! secret `appsecret` and the exact bodies and headers it signs.

use secrecy::SecretString;
use unibox_channel_meta::{AppSecret, parse_signed_request, sign_request, verify_signature};
use unibox_core::ErrorKind;
use unibox_core::channel::WebhookRequest;

const SIGNED_REQUEST: &str = "_HqJmYesSTB4H2KKeEfqDRA7N_6ZELiWGfBN9i152oQ.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjE3MDAwMDM2MDAsImlzc3VlZF9hdCI6MTcwMDAwMDAwMCwidXNlcl9pZCI6IjEyMzQ1Njc4OTAifQ";
const PAYLOAD: &str =
    r#"{"algorithm":"HMAC-SHA256","expires":1700003600,"issued_at":1700000000,"user_id":"1234567890"}"#;

#[test]
fn the_webhook_signature_vector() {
    let body = br#"{"object":"page","entry":[]}"#;
    let header = "sha256=0e9e0080a310f376450c46d999aa4d49ed772bfe43c13205f38a3a6e6611ed2b";
    assert_eq!(AppSecret::new("appsecret").signature_header(body), header);
    let request = WebhookRequest::post("https://inbox.example.com/meta".parse().unwrap(), &body[..])
        .with_header("X-Hub-Signature-256", header);
    assert!(verify_signature(&request, &[AppSecret::new("appsecret")]).is_ok());
    let changed = WebhookRequest::post(
        "https://inbox.example.com/meta".parse().unwrap(),
        &br#"{"object":"page","entry":[ ]}"#[..],
    )
    .with_header("X-Hub-Signature-256", header);
    assert_eq!(
        verify_signature(&changed, &[AppSecret::new("appsecret")]).unwrap_err().kind(),
        ErrorKind::SignatureInvalid
    );
}

#[test]
fn the_appsecret_proof_vector() {
    assert_eq!(
        AppSecret::new("appsecret").appsecret_proof(&SecretString::from("ACCESS_TOKEN")),
        "20521872f5897ac2895d70ad676e4323c2581dc8835d7ed57f9aae5a29866844"
    );
}

#[test]
fn the_signed_request_vector_round_trips() {
    assert_eq!(sign_request(&AppSecret::new("appsecret"), PAYLOAD.as_bytes()), SIGNED_REQUEST);
    let parsed = parse_signed_request(SIGNED_REQUEST, &[AppSecret::new("appsecret")]).unwrap();
    assert_eq!(parsed.user_id, "1234567890");
    assert_eq!(parsed.expires.unwrap().as_unix_seconds(), 1_700_003_600);
    assert_eq!(parsed.payload["algorithm"], "HMAC-SHA256");
}

#[test]
fn signed_requests_that_are_forged_malformed_or_of_another_algorithm_are_refused() {
    let secret = AppSecret::new("appsecret");
    let (signature, payload) = SIGNED_REQUEST.split_once('.').unwrap();
    let cases: Vec<(String, ErrorKind)> = vec![
        (format!("{signature}.{payload}x"), ErrorKind::SignatureInvalid),
        (format!("A{}.{payload}", &signature[1..]), ErrorKind::SignatureInvalid),
        (payload.to_owned(), ErrorKind::SignatureInvalid),
        (format!("!!!.{payload}"), ErrorKind::SignatureInvalid),
        (format!("{signature}="), ErrorKind::SignatureInvalid),
        ("x".repeat(9000), ErrorKind::SignatureInvalid),
        (sign_request(&secret, br#"{"algorithm":"HMAC-SHA1","user_id":"1"}"#), ErrorKind::MalformedPayload),
        (sign_request(&secret, br#"{"algorithm":"HMAC-SHA256"}"#), ErrorKind::MalformedPayload),
        (sign_request(&secret, b"not json"), ErrorKind::MalformedPayload),
    ];
    for (input, kind) in cases {
        assert_eq!(
            parse_signed_request(&input, std::slice::from_ref(&secret)).unwrap_err().kind(),
            kind,
            "{input:.60}"
        );
    }
    // Padded base64 and a numeric user id are read too; the algorithm is case-insensitive.
    let numeric = sign_request(&secret, br#"{"algorithm":"hmac-sha256","user_id":1234567890}"#);
    let (sig, body) = numeric.split_once('.').unwrap();
    let padded = format!("{sig}=.{body}");
    assert_eq!(parse_signed_request(&padded, std::slice::from_ref(&secret)).unwrap().user_id, "1234567890");
    assert_eq!(parse_signed_request(SIGNED_REQUEST, &[]).unwrap_err().kind(), ErrorKind::Configuration);
}
