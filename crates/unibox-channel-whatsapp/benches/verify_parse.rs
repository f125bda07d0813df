//! Verify + parse + normalize of a ~600-byte WhatsApp text message notification.
//!
//! ```sh
//! cargo bench -p unibox-channel-whatsapp --bench verify_parse
//! ```
//!
//! The body is a customer's text reply as WhatsApp sends it (compact JSON, one entry, one
//! change, the profile, the message with its reply context). Each step is measured twice:
//! criterion's wall clock, and `*_on_cpu`, the time the benchmark thread actually ran
//! (`CLOCK_THREAD_CPUTIME_ID`), which does not count waiting for a core and so stays
//! meaningful on a loaded, shared machine. Results are recorded in docs/performance.md.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_meta::AppSecret;
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const APP_SECRET: &str = "8d3f2c1b0a9e8d7c6b5a49382716f5e4";

/// A customer's text reply: 613 bytes.
const BODY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"context":{"from":"15550783881","id":"wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA"},"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","text":{"body":"Does the standing desk come in another color?"},"type":"text"}]},"field":"messages"}]}]}"#;

fn channel() -> WhatsAppChannel {
    let config = match WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token("meatyhamhock").build() {
        Ok(config) => config,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    WhatsAppChannel::new(config).with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_749_420_000))))
}

fn verify_parse(c: &mut Criterion) {
    let channel = channel();
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/whatsapp".parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &AppSecret::new(APP_SECRET).signature_header(BODY.as_bytes()));
    verify_parse_group(c, "whatsapp", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
