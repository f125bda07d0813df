//! Lazada push verification and parsing: any authentic body gives events or
//! `MalformedPayload`, never a panic and never another error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_lazada::{LazadaChannel, LazadaConfig, push_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

fuzz_target!(|body: &[u8]| {
    let config = LazadaConfig::builder().app_key("115527").app_secret("a1b2c3d4e5f6").build().expect("a valid configuration");
    let channel = LazadaChannel::new(config);
    let request = WebhookRequest::post("https://inbox.example.com/lazada".parse().expect("a valid URL"), body.to_vec())
        .with_header("Authorization", &push_signature("115527", "a1b2c3d4e5f6", body));
    let verified = channel.verify(&request).expect("signed with the app secret");
    match channel.parse(&verified) {
        Ok(events) => assert!(events.iter().all(|event| !event.id.is_empty() && !event.account.is_empty())),
        Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}"),
    }
});
