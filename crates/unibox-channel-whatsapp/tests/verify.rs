//! Webhook authenticity: the fact sheet's vectors, the GET handshake, secret rotation, and
//! secrets kept out of every Debug and error.

mod common;

use proptest::prelude::*;
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

use common::{APP_SECRET, OTHER_SECRET, VERIFY_TOKEN};

fn handshake(query: &str) -> WebhookRequest {
    WebhookRequest::get(format!("https://inbox.example.com/webhooks/whatsapp?{query}").parse().unwrap())
}

#[test]
fn the_fact_sheet_signature_vector_verifies() {
    // Platform fact sheet §1.1: key "appsecret", body {"object":"page","entry":[]}.
    let config = WhatsAppConfig::builder().app_secret("appsecret").verify_token(VERIFY_TOKEN).build().unwrap();
    let channel = WhatsAppChannel::new(config);
    let request =
        WebhookRequest::post("https://inbox.example.com/wa".parse().unwrap(), r#"{"object":"page","entry":[]}"#)
            .with_header(
                "X-Hub-Signature-256",
                "sha256=0e9e0080a310f376450c46d999aa4d49ed772bfe43c13205f38a3a6e6611ed2b",
            );
    let verified = channel.verify(&request).expect("the computed vector verifies");
    // Authentic, but a Messenger notification: the WhatsApp channel does not take it.
    assert_eq!(channel.parse(&verified).unwrap_err().kind(), ErrorKind::MalformedPayload);
    let upper =
        WebhookRequest::post("https://inbox.example.com/wa".parse().unwrap(), r#"{"object":"page","entry":[]}"#)
            .with_header(
                "X-Hub-Signature-256",
                "sha256=0E9E0080A310F376450C46D999AA4D49ED772BFE43C13205F38A3A6E6611ED2B",
            );
    assert!(channel.verify(&upper).is_ok(), "hex digits in either case");
}

#[test]
fn the_handshake_echoes_the_challenge_only_for_the_right_verify_token() {
    let channel = common::channel();
    let ok = channel
        .handshake(&handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"))
        .expect("a handshake")
        .expect("accepted");
    assert_eq!(ok.status.as_u16(), 200);
    assert_eq!(ok.body.as_ref(), b"1158201444");
    let wrong = channel
        .handshake(&handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"))
        .expect("a handshake");
    assert_eq!(wrong.unwrap_err().kind(), ErrorKind::SignatureInvalid);
    assert!(channel.handshake(&handshake("foo=bar")).is_none(), "not a handshake: verified as a delivery");
    let post = common::signed(APP_SECRET, &common::fixture("text"));
    assert!(channel.handshake(&post).is_none());
}

#[test]
fn a_delivery_signed_with_either_secret_verifies_while_the_app_secret_rotates() {
    let config = WhatsAppConfig::builder()
        .app_secret(APP_SECRET)
        .app_secret(OTHER_SECRET)
        .verify_token(VERIFY_TOKEN)
        .build()
        .unwrap();
    let channel = WhatsAppChannel::new(config);
    let body = common::fixture("text");
    assert!(channel.verify(&common::signed(APP_SECRET, &body)).is_ok());
    assert!(channel.verify(&common::signed(OTHER_SECRET, &body)).is_ok());
    assert!(common::channel().verify(&common::signed(OTHER_SECRET, &body)).is_err());
}

#[test]
fn unsigned_malformed_and_legacy_sha1_signatures_are_refused() {
    let channel = common::channel();
    let body = common::fixture("text");
    let url = "https://inbox.example.com/wa";
    let unsigned = WebhookRequest::post(url.parse().unwrap(), body.clone());
    for (request, what) in [
        (unsigned.clone(), "no signature"),
        (unsigned.clone().with_header("X-Hub-Signature-256", "0e9e0080"), "no sha256= prefix"),
        (unsigned.clone().with_header("X-Hub-Signature-256", "sha256=zz"), "not hex"),
        (
            unsigned.clone().with_header("X-Hub-Signature", "sha1=8d3f2c1b0a9e8d7c6b5a49382716f5e4aabbccdd"),
            "legacy SHA-1",
        ),
    ] {
        let error = channel.verify(&request).err().unwrap_or_else(|| panic!("{what} passed"));
        assert_eq!(error.kind(), ErrorKind::SignatureInvalid, "{what}");
        assert_eq!(error.operation(), "whatsapp.verify");
    }
}

#[test]
fn secrets_never_show_in_debug_output_or_errors() {
    let channel = common::channel();
    let shown = format!("{channel:?} {:?} {:?}", channel.config(), WhatsAppConfig::builder().app_secret(APP_SECRET));
    for secret in [APP_SECRET, VERIFY_TOKEN] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    let refused = channel
        .handshake(&handshake("hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhocx"))
        .unwrap()
        .unwrap_err();
    let refused = format!("{refused} {refused:?}");
    assert!(!refused.contains(VERIFY_TOKEN) && !refused.contains("meatyhamhocx"), "{refused}");
}

#[test]
fn a_configuration_without_secret_or_token_is_refused_at_start_up() {
    for builder in [
        WhatsAppConfig::builder().verify_token(VERIFY_TOKEN),
        WhatsAppConfig::builder().app_secret(APP_SECRET),
        WhatsAppConfig::builder().app_secret("").verify_token(VERIFY_TOKEN),
        WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token(""),
        WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token(VERIFY_TOKEN).app_id("my-app"),
    ] {
        assert_eq!(builder.build().unwrap_err().kind(), ErrorKind::Configuration);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes, signed correctly, never make parsing panic: they parse, or fail as
    /// MalformedPayload.
    #[test]
    fn parsing_arbitrary_signed_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let channel = common::channel();
        let request = common::signed(APP_SECRET, &body);
        let verified = channel.verify(&request).unwrap();
        if let Err(error) = channel.parse(&verified) {
            prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
        }
    }

    /// Mutated real notifications (a byte replaced anywhere) never make parsing panic.
    #[test]
    fn parsing_mutated_notifications_never_panics(which in 0usize..64, at in any::<usize>(), byte in any::<u8>()) {
        let names = common::fixture_names();
        let mut body = common::fixture(&names[which % names.len()]);
        let at = at % body.len();
        body[at] = byte;
        let channel = common::channel();
        let request = common::signed(APP_SECRET, &body);
        let verified = channel.verify(&request).unwrap();
        if let Err(error) = channel.parse(&verified) {
            prop_assert_eq!(error.kind(), ErrorKind::MalformedPayload);
        }
    }

    /// Any value of the signature header is refused without a panic unless it is the signature.
    #[test]
    fn arbitrary_signature_headers_never_panic(value in "[ -~]{0,100}") {
        let channel = common::channel();
        let body = common::fixture("text");
        if let Ok(request) = WebhookRequest::post("https://inbox.example.com/wa".parse().unwrap(), body)
            .try_with_header("X-Hub-Signature-256", &value)
        {
            prop_assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);
        }
    }
}
