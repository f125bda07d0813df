//! Verify + parse + normalize of a ~600-byte LINE text webhook.
//!
//! ```sh
//! cargo bench -p unibox-channel-line --bench verify_parse
//! ```
//!
//! The body is one customer text message as LINE sends it (compact JSON, `destination`, one
//! event with its reply token, quote token, source, mode, `webhookEventId` and delivery
//! context). Each step is measured twice: criterion's wall clock, and `*_on_cpu`, the time the
//! benchmark thread actually ran (`unibox_testkit::bench::on_cpu_time`), which does not count
//! waiting for a core and so stays meaningful on a loaded, shared machine. Parsing also holds
//! the event's reply token, as a real delivery does.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_line::{LineChannel, LineConfig, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const CHANNEL_SECRET: &str = "8c3a9e7f0d1b2c4e5f60718293a4b5c6";

/// A customer's text message: 613 bytes.
const BODY: &str = r#"{"destination":"U4af4980629c37e7b3ad0a4e2e0a8b2ed","events":[{"type":"message","message":{"type":"text","id":"468789577898262530","quoteToken":"q3Plxr4AgKd4BZnMsjrTQy_TjDCBh8qlzUE7Yrw4h7kq6T8G4a5V6yAnNSV8Sl0qPmh4vnFyAUrL7Al3yV0IZp56u1sZfGI5e3yz1k-8U3f5cyGzKyCs1DSc","text":"Hello, I ordered the standing desk (TH-20931) on Monday. Has it left the warehouse yet?"},"webhookEventId":"01JD4T7Q9X8M2B3C4D5E6F7G8H","deliveryContext":{"isRedelivery":false},"timestamp":1732000000123,"source":{"type":"user","userId":"U80696558e1aa831a5e4f1c0e6c2a8a3b"},"replyToken":"757913772c4646b784d4b7ce46d12671","mode":"active"}]}"#;

fn channel() -> LineChannel {
    let config = match LineConfig::builder().channel_secret(CHANNEL_SECRET).build() {
        Ok(config) => config,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    LineChannel::new(config).with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_millis(1_732_000_001_000))))
}

fn verify_parse(c: &mut Criterion) {
    let channel = channel();
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/line".parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json; charset=utf-8")
        .with_header("x-line-signature", &signature_header(CHANNEL_SECRET, BODY.as_bytes()));
    verify_parse_group(c, "line", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
