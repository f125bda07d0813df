//! Shopee push verification and parsing: any authentic body gives events or
//! `MalformedPayload`, never a panic and never another error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_shopee::{ShopeeChannel, ShopeeConfig, push_authorization};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

const CALLBACK: &str = "https://inbox.example.com/webhooks/shopee";

fuzz_target!(|body: &[u8]| {
    let config = ShopeeConfig::builder()
        .partner_id(2001887)
        .partner_key("partner-key")
        .callback_url(CALLBACK)
        .build()
        .expect("a valid configuration");
    let channel = ShopeeChannel::new(config);
    let request = WebhookRequest::post(CALLBACK.parse().expect("a valid URL"), body.to_vec())
        .with_header("Authorization", &push_authorization("partner-key", CALLBACK, body));
    let verified = channel.verify(&request).expect("signed with the partner key");
    match channel.parse(&verified) {
        Ok(events) => assert!(events.iter().all(|event| !event.id.is_empty() && !event.account.is_empty())),
        Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}"),
    }
});
