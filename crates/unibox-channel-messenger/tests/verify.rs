//! The subscription handshake and the X-Hub-Signature-256 check, through the channel.

mod common;

use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

use common::{APP_SECRET, OTHER_SECRET, VERIFY_TOKEN};

fn handshake(query: &str) -> Option<unibox_core::Result<unibox_core::channel::WebhookResponse>> {
    let url = format!("{}?{query}", common::URL);
    common::channel().handshake(&WebhookRequest::get(url.parse().unwrap()))
}

#[test]
fn the_fact_sheet_handshake_echoes_the_challenge() {
    let response = handshake(&format!("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"))
        .unwrap()
        .unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.body.as_ref(), b"1158201444");
}

#[test]
fn a_wrong_token_mode_or_missing_challenge_is_refused() {
    for query in [
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess",
        "hub.mode=subscribe&hub.challenge=1158201444",
        "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
        "hub.mode=subscribe&hub.verify_token=meatyhamhock",
    ] {
        let error = handshake(query).unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::SignatureInvalid, "{query}");
        assert!(!error.to_string().contains(VERIFY_TOKEN), "the token never appears in errors");
    }
    assert!(handshake("foo=bar").is_none(), "a GET without hub.mode is not a handshake");
}

#[test]
fn the_fact_sheet_signature_vector_verifies() {
    let body = br#"{"object":"page","entry":[]}"#;
    let request = WebhookRequest::post(common::URL.parse().unwrap(), &body[..])
        .with_header("X-Hub-Signature-256", "sha256=0e9e0080a310f376450c46d999aa4d49ed772bfe43c13205f38a3a6e6611ed2b");
    let channel = common::channel();
    let verified = channel.verify(&request).unwrap();
    assert!(channel.parse(&verified).unwrap().is_empty());
}

#[test]
fn forged_missing_and_malformed_signatures_are_refused() {
    let channel = common::channel();
    let body = common::TEXT.as_bytes();
    let forged = common::signed_with(OTHER_SECRET, body);
    assert_eq!(channel.verify(&forged).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let unsigned = WebhookRequest::post(common::URL.parse().unwrap(), body.to_vec());
    assert_eq!(channel.verify(&unsigned).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let good = common::signed(body);
    let header = good.header("x-hub-signature-256").unwrap().to_owned();
    for value in [
        header.trim_start_matches("sha256=").to_owned(),
        header.replace("sha256=", "sha1="),
        header[..header.len() - 2].to_owned(),
        format!("{header}00"),
        header.to_uppercase().replace("SHA256=", "sha256="),
    ] {
        let request = WebhookRequest::post(common::URL.parse().unwrap(), body.to_vec())
            .with_header("x-hub-signature-256", &value);
        let outcome = channel.verify(&request);
        if value.eq_ignore_ascii_case(&header) && value.starts_with("sha256=") {
            assert!(outcome.is_ok(), "uppercase hex is the same signature");
        } else {
            assert_eq!(outcome.unwrap_err().kind(), ErrorKind::SignatureInvalid, "{value}");
        }
    }
    let twice = common::signed(body).with_header("x-hub-signature-256", &header);
    assert_eq!(channel.verify(&twice).unwrap_err().kind(), ErrorKind::SignatureInvalid);
}

#[test]
fn a_rotated_secret_verifies_beside_the_old_one() {
    let channel = unibox_channel_messenger::builder()
        .app_secret(unibox_channel_messenger::AppSecret::new(APP_SECRET))
        .app_secret(unibox_channel_messenger::AppSecret::new(OTHER_SECRET))
        .verify_token(VERIFY_TOKEN)
        .build()
        .unwrap();
    assert!(channel.verify(&common::signed_with(OTHER_SECRET, b"{}")).is_ok());
    assert!(channel.verify(&common::signed_with(APP_SECRET, b"{}")).is_ok());
    let debug = format!("{channel:?}");
    assert!(!debug.contains(APP_SECRET) && !debug.contains(VERIFY_TOKEN), "{debug}");
}

#[test]
fn a_channel_without_secret_or_verify_token_is_a_configuration_error() {
    let no_secret = unibox_channel_messenger::builder().verify_token(VERIFY_TOKEN).build().unwrap_err();
    assert_eq!(no_secret.kind(), ErrorKind::Configuration);
    let no_token = unibox_channel_messenger::builder().app_secret(common::secret()).build().unwrap_err();
    assert_eq!(no_token.kind(), ErrorKind::Configuration);
}
