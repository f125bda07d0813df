//! What the server layer adds to a webhook: the same signed ~600-byte delivery handled by
//! `Hub::receive_webhook` directly, and through the router (routing, admission, body read,
//! sensitive-header marks, trace span, response), both on an in-memory inbox so the store's
//! cost stays out of the difference.
//!
//! ```sh
//! cargo bench -p unibox-server-axum --bench router
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretString;
use tower::ServiceExt;
use unibox_channel_webhook::{WebhookChannel, WebhookSecret};
use unibox_core::channel::WebhookRequest;
use unibox_core::memory::MemoryStore;
use unibox_core::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, Timestamp};
use unibox_server_axum::WebhookServer;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn body(n: u64) -> String {
    format!(
        r#"{{"account":"shop-1","events":[{{"kind":{{"type":"message","customer":{{"kind":"external","id":"cust-{}","display_name":"Customer"}},"direction":"inbound","message_id":"b-{n}","content":{{"type":"text","text":"Hello, I ordered a pair of running shoes last Tuesday (order #A{n}) and the tracking page still says the parcel is at the Bangkok sorting centre. Could you check whether it has left, and whether I can change the delivery address to my office? Thank you very much for your help."}}}}}}]}}"#,
        n % 1000
    )
}

/// Signed headers and body of delivery `n`.
fn delivery(secret: &WebhookSecret, n: u64) -> (String, i64, String, String) {
    let body = body(n);
    let id = format!("msg_bench_{n}");
    let timestamp = Timestamp::now().as_unix_seconds();
    let signature = secret.sign(&id, timestamp, body.as_bytes());
    (id, timestamp, signature, body)
}

fn hub(runtime: &tokio::runtime::Runtime) -> Hub {
    let channel = WebhookChannel::builder().secret(SECRET).unwrap().build().unwrap();
    let channel_id: ChannelId = "acme-orders".parse().unwrap();
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id.clone(), Arc::new(channel)).build();
    let admin = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Admin);
    let account =
        ChannelAccount::new("acme".parse().unwrap(), channel_id, ChannelKind::WEBHOOK, "shop-1", Timestamp::now());
    runtime.block_on(hub.connect_account(&admin, account, None)).unwrap();
    hub
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let secret = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
    let mut group = c.benchmark_group("server");
    group.throughput(Throughput::Elements(1));

    let direct = hub(&runtime);
    let channel: ChannelId = "acme-orders".parse().unwrap();
    let next = AtomicU64::new(0);
    group.bench_function("hub_receive_webhook_600b", |b| {
        b.iter(|| {
            let (id, timestamp, signature, body) = delivery(&secret, next.fetch_add(1, Ordering::Relaxed));
            let request = WebhookRequest::post("http://127.0.0.1:8080/webhooks/acme-orders".parse().unwrap(), body)
                .with_header("content-type", "application/json")
                .with_header("webhook-id", &id)
                .with_header("webhook-timestamp", &timestamp.to_string())
                .with_header("webhook-signature", &signature);
            let (receipt, response) = runtime.block_on(direct.receive_webhook(&channel, &request)).unwrap();
            assert_eq!((receipt.stored, response.status.as_u16()), (1, 200));
        })
    });

    let router = WebhookServer::new(hub(&runtime)).router();
    let next = AtomicU64::new(0);
    group.bench_function("router_webhook_600b", |b| {
        b.iter(|| {
            let (id, timestamp, signature, body) = delivery(&secret, next.fetch_add(1, Ordering::Relaxed));
            let request = http::Request::post("/webhooks/acme-orders")
                .header("host", "127.0.0.1:8080")
                .header("content-type", "application/json")
                .header("content-length", body.len())
                .header("webhook-id", id)
                .header("webhook-timestamp", timestamp)
                .header("webhook-signature", signature)
                .body(Body::from(body))
                .unwrap();
            let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
            assert_eq!(response.status(), 200);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
