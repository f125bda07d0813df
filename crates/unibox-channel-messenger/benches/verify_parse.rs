//! Verify + parse + normalize of a ~600-byte Messenger text message.
//!
//! ```sh
//! cargo bench -p unibox-channel-messenger --bench verify_parse
//! ```
//!
//! Results are recorded in docs/performance.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unibox_channel_messenger::AppSecret;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;

/// A customer's text message replying to an earlier one: 600 bytes.
const BODY: &str = r#"{"object":"page","entry":[{"id":"104738291837465","time":1732000000500,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1732000000123,"message":{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P","text":"Hello, I ordered the standing desk (order TH-20931) on Monday and the tracking page still says label created. Could you check whether it has left the warehouse? I need it before Friday because I am moving offices.","reply_to":{"mid":"m_1457764197618:41d102a3e1ae206a38"}}}]}]}"#;

fn verify_parse(c: &mut Criterion) {
    let secret = AppSecret::new("appsecret");
    let channel = match unibox_channel_messenger::builder().app_secret(secret.clone()).verify_token("t").build() {
        Ok(channel) => channel,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/acme/messenger".parse().expect("URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &secret.signature_header(BODY.as_bytes()));

    let mut group = c.benchmark_group("messenger");
    group.throughput(Throughput::Bytes(BODY.len() as u64));
    group.bench_function("verify_parse_600b", |b| {
        b.iter(|| {
            let verified = channel.verify(black_box(&request)).expect("authentic");
            black_box(channel.parse(&verified).expect("well-formed"))
        })
    });
    group.bench_function("verify_600b", |b| b.iter(|| black_box(channel.verify(black_box(&request)).is_ok())));
    let verified = channel.verify(&request).expect("authentic");
    group.bench_function("parse_600b", |b| {
        b.iter(|| black_box(channel.parse(black_box(&verified)).expect("well-formed")))
    });
    group.finish();
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
