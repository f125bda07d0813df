//! Verify + parse + normalize of a ~600-byte Shopee buyer-message push.
//!
//! ```sh
//! cargo bench -p unibox-channel-shopee --bench verify_parse
//! ```
//!
//! The body is one buyer text message as Shopee pushes it (webchat push, code 10: the envelope,
//! the message with its ids, names, quoted message, source content and the 2025 fields
//! `from_shop_id`, `to_shop_id`, `status`, `business_type`). Each step is measured twice:
//! criterion's wall clock, and `*_on_cpu`, the time the benchmark thread actually ran
//! (`unibox_testkit::bench::on_cpu_time`), which stays meaningful on a loaded, shared machine.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_shopee::{ShopeeChannel, ShopeeConfig, push_authorization};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const PARTNER_KEY: &str = "4a6d7071726e6f7065716f617873726a6b7a6a6e616d6a7a6e6a6c6b6f7a6d";
const CALLBACK_URL: &str = "https://inbox.example.com/webhooks/shopee";

/// A buyer's text message: 618 bytes.
const BODY: &str = r#"{"msg_id":"","data":{"type":"message","region":"TH","content":{"message_id":"2302748948493123953","shop_id":947042923,"from_id":165105353,"from_user_name":"somchai.k","to_id":947151379,"to_user_name":"acme.official","message_type":"text","content":{"text":"Hi, I ordered the standing desk on Monday. Has it shipped yet?"},"conversation_id":"709122092476686867","created_timestamp":1726044721,"region":"TH","is_in_chatbot_session":false,"source_content":{},"quoted_msg":{"message_id":""},"from_shop_id":0,"to_shop_id":947042923,"status":"normal","business_type":0}},"shop_id":947042923,"code":10,"timestamp":1726044722}"#;

fn channel() -> ShopeeChannel {
    let config =
        match ShopeeConfig::builder().partner_id(2001887).partner_key(PARTNER_KEY).callback_url(CALLBACK_URL).build() {
            Ok(config) => config,
            Err(error) => panic!("the bench configuration is valid: {error}"),
        };
    ShopeeChannel::new(config).with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_726_044_723))))
}

fn verify_parse(c: &mut Criterion) {
    let channel = channel();
    let request = WebhookRequest::post(CALLBACK_URL.parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("authorization", &push_authorization(PARTNER_KEY, CALLBACK_URL, BODY.as_bytes()));
    verify_parse_group(c, "shopee", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
