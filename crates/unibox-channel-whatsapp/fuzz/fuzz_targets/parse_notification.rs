//! Arbitrary bodies, correctly signed, through `verify` and `parse`: parsing returns events or
//! `MalformedPayload`, and never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use unibox_channel_meta::AppSecret;
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

const APP_SECRET: &str = "fuzz-app-secret";

fn channel() -> &'static WhatsAppChannel {
    static CHANNEL: OnceLock<WhatsAppChannel> = OnceLock::new();
    CHANNEL.get_or_init(|| {
        let config = WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token("fuzz").build();
        WhatsAppChannel::new(config.expect("a valid configuration"))
    })
}

fuzz_target!(|body: &[u8]| {
    let channel = channel();
    let signature = AppSecret::new(APP_SECRET).signature_header(body);
    let request = WebhookRequest::post("https://fuzz.invalid/whatsapp".parse().expect("a valid URL"), body.to_vec())
        .with_header("x-hub-signature-256", &signature);
    let verified = channel.verify(&request).expect("a correctly signed body verifies");
    if let Err(error) = channel.parse(&verified) {
        assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}");
    }
});
