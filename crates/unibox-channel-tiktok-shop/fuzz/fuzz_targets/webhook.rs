//! TikTok Shop push verification and parsing: any authentic body gives events or
//! `MalformedPayload`, never a panic and never another error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig, push_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

fuzz_target!(|body: &[u8]| {
    let config = TikTokShopConfig::builder()
        .app_key("6a1b2c3d4e5f6")
        .app_secret("0f1e2d3c4b5a6978")
        .build()
        .expect("a valid configuration");
    let channel = TikTokShopChannel::new(config);
    let request = WebhookRequest::post("https://inbox.example.com/tiktok-shop".parse().expect("a valid URL"), body.to_vec())
        .with_header("Authorization", &push_signature("6a1b2c3d4e5f6", "0f1e2d3c4b5a6978", body));
    let verified = channel.verify(&request).expect("signed with the app secret");
    match channel.parse(&verified) {
        Ok(events) => assert!(events.iter().all(|event| !event.id.is_empty() && !event.account.is_empty())),
        Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}"),
    }
});
