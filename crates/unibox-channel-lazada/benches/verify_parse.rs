//! Verify + parse + normalize of a ~600-byte Lazada IM push (a buyer's text message).
//!
//! ```sh
//! cargo bench -p unibox-channel-lazada --bench verify_parse
//! ```
//!
//! The body is the official IM push (message_type 2) with a realistic buyer question; each
//! step is measured by criterion's wall clock and by `*_on_cpu` (the time the benchmark thread
//! ran; `unibox_testkit::bench::on_cpu_time`), which stays meaningful on a shared machine.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_lazada::{LazadaChannel, LazadaConfig, push_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const APP_KEY: &str = "115527";
const APP_SECRET: &str = "Xq8v2LmZp4Rt7Ws1Nc6Bd9Fh3Jk5Yg0A";

/// A buyer's text message: 606 bytes.
const BODY: &str = r#"{"seller_id":20240305,"message_type":2,"timestamp":1732000000123,"site":"lazada_th","data":{"session_id":"100094063_2_1011822749_1_103","message_id":"2zYOS7N0cuIqw96911","content":"{\"txt\":\"Hello, I ordered the standing desk (order 260422900198363) on Monday. Has it left the warehouse yet? I need it before Friday for my new home office, thank you!\"}","from_account_id":"1011822749","from_account_type":1,"send_time":1732000000101,"template_id":1,"to_account_id":"100094063","to_account_type":2,"type":1,"site_id":"TH","process_msg":"","translateTxt":"","auto_reply":false,"status":0}}"#;

fn verify_parse(c: &mut Criterion) {
    let config = match LazadaConfig::builder().app_key(APP_KEY).app_secret(APP_SECRET).build() {
        Ok(config) => config,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    let channel = LazadaChannel::new(config)
        .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_millis(1_732_000_001_000))));
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/lazada".parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("authorization", &push_signature(APP_KEY, APP_SECRET, BODY.as_bytes()));
    verify_parse_group(c, "lazada", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
