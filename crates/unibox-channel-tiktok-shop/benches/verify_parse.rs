//! Verify + parse + normalize of a ~600-byte TikTok Shop NEW_MESSAGE webhook (a buyer's text).
//!
//! ```sh
//! cargo bench -p unibox-channel-tiktok-shop --bench verify_parse
//! ```
//!
//! The body is the official type-14 webhook shape with a realistic buyer question; each step is
//! measured by criterion's wall clock and by `*_on_cpu` (the time the benchmark thread ran;
//! `unibox_testkit::bench::on_cpu_time`), which stays meaningful on a shared machine.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig, push_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const APP_KEY: &str = "6a1b2c3d4e5f6";
const APP_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6";

/// A buyer's text message: 624 bytes.
const BODY: &str = r#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1732000000,"data":{"content":"{\"content\":\"Hello, I ordered the standing desk (order 576486316948490001) on Monday. Has it left the warehouse yet? I need it before Friday for my new home office, thank you!\"}","conversation_id":"7106888323922608381","create_time":1731999999,"is_visible":true,"message_id":"7223234079263688192","index":"7494560109732334274","type":"TEXT","sender":{"im_user_id":"7078855651811651945","role":"BUYER","nickname":"somchai.k","avatar":"https://p16-oec-sg.ibyteimg.com/avatar/7078855651.jpeg"}}}"#;

fn verify_parse(c: &mut Criterion) {
    let config = match TikTokShopConfig::builder().app_key(APP_KEY).app_secret(APP_SECRET).build() {
        Ok(config) => config,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    let channel = TikTokShopChannel::new(config)
        .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_732_000_001))));
    let request =
        WebhookRequest::post("https://inbox.example.com/webhooks/tiktok-shop".parse().expect("valid URL"), BODY)
            .with_header("content-type", "application/json")
            .with_header("authorization", &push_signature(APP_KEY, APP_SECRET, BODY.as_bytes()));
    verify_parse_group(c, "tiktok_shop", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
