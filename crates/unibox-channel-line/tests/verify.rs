//! `X-Line-Signature` through the channel: the fact sheet's vector, forgeries, rotation.

mod common;

use unibox_channel_line::{LineChannel, LineConfig, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

#[test]
fn the_fact_sheet_vector_verifies_and_its_empty_delivery_has_no_events() {
    // platforms-chat.md §5.1: secret `channelsecret`, body {"destination":"U0","events":[]}.
    let channel = LineChannel::new(LineConfig::builder().channel_secret("channelsecret").build().unwrap());
    let body = br#"{"destination":"U0","events":[]}"#;
    assert_eq!(signature_header("channelsecret", body), "mPzXvmp5o47ZLzcZ27C0voI4JEov6gID7IZ7YD4j1Z4=");
    let request = WebhookRequest::post(common::URL.parse().unwrap(), &body[..])
        .with_header("X-Line-Signature", "mPzXvmp5o47ZLzcZ27C0voI4JEov6gID7IZ7YD4j1Z4=");
    let verified = channel.verify(&request).expect("the vector verifies");
    assert!(channel.parse(&verified).unwrap().is_empty());
}

#[test]
fn a_changed_body_another_secret_or_no_header_is_refused() {
    let channel = common::channel();
    let body = common::fixture("text");
    let mut changed = common::signed(&body);
    changed.body = bytes_with_one_change(&body);
    assert_eq!(channel.verify(&changed).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let other = common::signed_with(common::OTHER_SECRET, &body);
    assert_eq!(channel.verify(&other).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let unsigned = WebhookRequest::post(common::URL.parse().unwrap(), body);
    let refused = channel.verify(&unsigned).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::SignatureInvalid);
    assert!(refused.message().contains("X-Line-Signature"));
}

#[test]
fn both_secrets_verify_while_the_channel_secret_is_reissued() {
    let config = LineConfig::builder().channel_secret("new-secret-0123456789").channel_secret(common::CHANNEL_SECRET);
    let channel = LineChannel::new(config.build().unwrap());
    let body = common::fixture("follow");
    assert!(channel.verify(&common::signed(&body)).is_ok());
    assert!(channel.verify(&common::signed_with("new-secret-0123456789", &body)).is_ok());
    assert!(!format!("{channel:?}").contains("new-secret"));
}

fn bytes_with_one_change(body: &[u8]) -> bytes::Bytes {
    let mut changed = body.to_vec();
    let at = changed.iter().position(|b| *b == b'H').expect("an H in the text");
    changed[at] = b'h';
    changed.into()
}
