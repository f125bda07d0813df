//! Verify + parse + normalize of a ~600-byte Standard Webhooks delivery.
//!
//! ```sh
//! cargo bench -p unibox-channel-webhook --bench verify_parse
//! ```
//!
//! Every iteration verifies a delivery with a fresh `webhook-id` (signed outside the measured
//! part), so the replay guard does its real work: one lookup and insert per delivery, at its
//! steady-state size once it has filled. Dropping the request is not measured. Results are recorded in docs/performance.md.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use unibox_channel_webhook::{WebhookChannel, WebhookSecret};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ManualClock, Timestamp};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: i64 = 1_732_000_000;

/// A customer's text message with a display name and a reply reference: 600 bytes.
const BODY: &str = r#"{"account":"store-th-01","events":[{"id":"evt_01JAX3M4Q8","occurred_at":1732000000123,"kind":{"type":"message","customer":{"kind":"external","id":"cust-48213","display_name":"Somchai Jaidee"},"direction":"inbound","message_id":"crm-msg-90211","content":{"type":"text","text":"Hello, I ordered the standing desk (order TH-20931) on Monday and the tracking page still says 'label created'. Could you check whether it has left the warehouse? I need it before Friday because I am moving offices to the new Sukhumvit branch next to the BTS station. Thanks a lot!"},"reply_to":"crm-msg-90107"}}]}"#;

fn channel() -> WebhookChannel {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(NOW));
    match WebhookChannel::builder().secret(SECRET).map(|b| b.clock(Arc::new(clock)).build()) {
        Ok(Ok(channel)) => channel,
        _ => panic!("the bench configuration is valid"),
    }
}

fn delivery(secret: &WebhookSecret, id: &str) -> WebhookRequest {
    WebhookRequest::post("https://inbox.example.com/webhooks/acme/crm".parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("webhook-id", id)
        .with_header("webhook-timestamp", &NOW.to_string())
        .with_header("webhook-signature", &secret.sign(id, NOW, BODY.as_bytes()))
}

fn verify_parse(c: &mut Criterion) {
    let secret = WebhookSecret::parse(SECRET.into()).expect("valid secret");
    let channel = channel();
    let mut counter = 0u64;
    let mut fresh = || {
        counter += 1;
        delivery(&secret, &format!("msg_2VxK9pQ4mR{counter}"))
    };

    let mut group = c.benchmark_group("webhook");
    group.throughput(Throughput::Bytes(BODY.len() as u64));
    group.bench_function("verify_parse_600b", |b| {
        b.iter_batched_ref(
            &mut fresh,
            |request| {
                let verified = channel.verify(black_box(&*request)).expect("authentic");
                black_box(channel.parse(&verified).expect("well-formed"))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("verify_600b", |b| {
        b.iter_batched_ref(
            &mut fresh,
            |request| {
                black_box(channel.verify(black_box(&*request)).is_ok());
            },
            BatchSize::SmallInput,
        )
    });
    let request = fresh();
    let verified = channel.verify(&request).expect("authentic");
    group.bench_function("parse_600b", |b| {
        b.iter(|| black_box(channel.parse(black_box(&verified)).expect("well-formed")))
    });
    group.finish();
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
