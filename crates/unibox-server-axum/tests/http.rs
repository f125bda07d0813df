//! The webhook server over real loopback HTTP: every status code it answers, and that
//! redelivered and concurrent duplicate webhooks are stored once.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::app_level::{self, AppLevelChannel};
use common::gated::GatedInbox;
use common::{Running, SECRET, WRONG_SECRET, connect, message_delivery, now, stored_message_ids, webhook_channel};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::{ChannelKind, Hub};
use unibox_server_axum::WebhookServer;
use unibox_store_sqlite::SqliteInbox;

/// A hub on a SQLite file with the webhook channel `acme-orders` and account `shop-1` of
/// tenant `acme` connected, behind a gate.
async fn sqlite_hub(dir: &tempfile::TempDir) -> (Hub, Arc<GatedInbox>) {
    let sqlite = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    let mut store: Store = MemoryStore::with_inbox(sqlite).into();
    let inbox = Arc::new(GatedInbox::new(&store));
    inbox.install(&mut store);
    let hub = Hub::builder(store).channel("acme-orders".parse().unwrap(), webhook_channel()).build();
    connect(&hub, "acme", "acme-orders", ChannelKind::WEBHOOK, "shop-1").await;
    (hub, inbox)
}

async fn json(response: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_signed_webhook_is_answered_200_once_it_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;

    let response = server.deliver("acme-orders", &message_delivery("shop-1", 1), SECRET, now()).await;

    assert_eq!(response.status(), 200);
    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m-1"]);
}

#[tokio::test]
async fn a_redelivered_webhook_is_stored_once_and_an_exact_replay_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    let delivery = message_delivery("shop-1", 7);
    let first = now();

    assert_eq!(server.deliver("acme-orders", &delivery, SECRET, first).await.status(), 200);
    // The sender never saw our 200 and retries: same webhook-id, signed again later.
    assert_eq!(server.deliver("acme-orders", &delivery, SECRET, first + 5).await.status(), 200);
    assert_eq!(server.deliver("acme-orders", &delivery, SECRET, first + 9).await.status(), 200);
    // A byte-for-byte copy of a delivery already verified is a replay, not a retry.
    let replay = server.deliver("acme-orders", &delivery, SECRET, first).await;
    assert_eq!(replay.status(), 401);

    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m-7"]);
}

#[tokio::test]
async fn concurrent_duplicate_webhooks_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Arc::new(Running::start(WebhookServer::new(hub.clone())).await);
    let start = now();

    // 5 events, each delivered 8 times at once (each attempt signed at its own second).
    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..5 {
        for attempt in 0..8 {
            let server = Arc::clone(&server);
            attempts.spawn(async move {
                server.deliver("acme-orders", &message_delivery("shop-1", n), SECRET, start - attempt).await.status()
            });
        }
    }
    let statuses = attempts.join_all().await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let mut stored = stored_message_ids(&hub, "acme").await;
    stored.sort();
    assert_eq!(stored, vec!["m-0", "m-1", "m-2", "m-3", "m-4"]);
}

#[tokio::test]
async fn a_bad_signature_is_401_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;

    let forged = server.deliver("acme-orders", &message_delivery("shop-1", 1), WRONG_SECRET, now()).await;
    assert_eq!(forged.status(), 401);
    assert_eq!(json(forged).await["error"], "signature_invalid");

    let unsigned = server.http.post(server.url("/webhooks/acme-orders")).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert!(json(unsigned).await["message"].as_str().unwrap().contains("webhook-id header is missing"));

    assert!(stored_message_ids(&hub, "acme").await.is_empty());
}

#[tokio::test]
async fn a_malformed_payload_is_400_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    let delivery = common::Delivery { webhook_id: "msg_bad".into(), body: r#"{"account":"shop-1"}"#.into() };

    let response = server.deliver("acme-orders", &delivery, SECRET, now()).await;

    assert_eq!(response.status(), 400);
    let body = json(response).await;
    assert_eq!(body["error"], "malformed_payload");
    assert!(body["message"].as_str().unwrap().contains("missing field `events`"), "{body}");
}

#[tokio::test]
async fn unknown_channels_and_accounts_are_404() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;

    let channel = server.deliver("globex-orders", &message_delivery("shop-1", 1), SECRET, now()).await;
    assert_eq!(channel.status(), 404);
    assert_eq!(json(channel).await["message"], "no channel is registered as globex-orders");

    let invalid = server.http.post(server.url("/webhooks/%20..%2F")).body("{}").send().await.unwrap();
    assert_eq!(invalid.status(), 404);

    let account = server.deliver("acme-orders", &message_delivery("shop-unknown", 1), SECRET, now()).await;
    assert_eq!(account.status(), 404);
    assert!(json(account).await["message"].as_str().unwrap().contains("no connected account \"shop-unknown\""));
    assert!(stored_message_ids(&hub, "acme").await.is_empty());
}

/// A channel that counts how often it was asked to verify (hash) a request, and the URLs.
#[derive(Debug)]
struct CountingChannel {
    inner: Arc<dyn unibox_core::Channel>,
    verified: std::sync::atomic::AtomicUsize,
    urls: std::sync::Mutex<Vec<String>>,
}

impl CountingChannel {
    fn new(inner: Arc<dyn unibox_core::Channel>) -> Self {
        CountingChannel { inner, verified: Default::default(), urls: Default::default() }
    }
}

#[async_trait::async_trait]
impl unibox_core::Channel for CountingChannel {
    fn kind(&self) -> ChannelKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> &unibox_core::channel::Capabilities {
        self.inner.capabilities()
    }
    fn verify<'r>(
        &self,
        request: &'r unibox_core::channel::WebhookRequest,
    ) -> unibox_core::Result<unibox_core::channel::Verified<'r>> {
        self.verified.fetch_add(1, Ordering::SeqCst);
        self.urls.lock().unwrap().push(request.url.to_string());
        self.inner.verify(request)
    }
    fn parse(
        &self,
        request: &unibox_core::channel::Verified<'_>,
    ) -> unibox_core::Result<Vec<unibox_core::InboundEvent>> {
        self.inner.parse(request)
    }
    async fn send(
        &self,
        request: &unibox_core::channel::SendRequest<'_>,
    ) -> unibox_core::Result<unibox_core::channel::SendReceipt> {
        self.inner.send(request).await
    }
}

/// Sends raw bytes and returns the status line and the rest.
async fn raw_exchange(addr: std::net::SocketAddr, parts: &[&[u8]], pause: Duration) -> String {
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    for part in parts {
        // The server may answer and close before everything is written; that is the point.
        if socket.write_all(part).await.is_err() {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_oversized_body_is_413_before_it_is_hashed() {
    let counting = Arc::new(CountingChannel::new(webhook_channel()));
    let hub = Hub::builder(MemoryStore::new()).channel("acme-orders".parse().unwrap(), counting.clone()).build();
    connect(&hub, "acme", "acme-orders", ChannelKind::WEBHOOK, "shop-1").await;
    let server = Running::start(WebhookServer::new(hub.clone()).max_body_bytes(1024)).await;

    // Declared length over the limit: refused on the headers alone.
    let declared = server.http.post(server.url("/webhooks/acme-orders")).body(vec![b'{'; 1025]).send().await.unwrap();
    assert_eq!(declared.status(), 413);
    assert_eq!(json(declared).await["error"], "payload_too_large");

    // A chunked body has no declared length: cut off once it passes the limit.
    let head = b"POST /webhooks/acme-orders HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunk = format!("400\r\n{}\r\n", "x".repeat(0x400));
    let answer =
        raw_exchange(server.addr, &[head, chunk.as_bytes(), chunk.as_bytes(), b"0\r\n\r\n"], Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    assert_eq!(counting.verified.load(Ordering::SeqCst), 0, "nothing over the limit reached verification");
    // At the limit it is read and verified (and refused for its signature).
    let at_limit = server.http.post(server.url("/webhooks/acme-orders")).body(vec![b' '; 1024]).send().await.unwrap();
    assert_eq!(at_limit.status(), 401);
    assert_eq!(counting.verified.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_full_server_answers_503_with_retry_after_and_the_retry_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, gated) = sqlite_hub(&dir).await;
    let server = Arc::new(
        Running::start(
            WebhookServer::new(hub.clone())
                .max_in_flight(2)
                .admission_wait(Duration::from_millis(20))
                .overload_retry_after(Duration::from_secs(3)),
        )
        .await,
    );
    gated.hold();
    let mut in_flight = tokio::task::JoinSet::new();
    for n in 0..2 {
        let server = Arc::clone(&server);
        in_flight.spawn(async move {
            server.deliver("acme-orders", &message_delivery("shop-1", n), SECRET, now()).await.status()
        });
    }
    while gated.waiting.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let refused = server.deliver("acme-orders", &message_delivery("shop-1", 2), SECRET, now()).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "3");
    assert_eq!(json(refused).await["error"], "overloaded");

    gated.release();
    assert!(in_flight.join_all().await.iter().all(|s| *s == 200));
    let retried = server.deliver("acme-orders", &message_delivery("shop-1", 2), SECRET, now() + 3).await;
    assert_eq!(retried.status(), 200);
    let mut stored = stored_message_ids(&hub, "acme").await;
    stored.sort();
    assert_eq!(stored, vec!["m-0", "m-1", "m-2"]);
}

#[tokio::test]
async fn a_failing_store_is_503_with_retry_after_and_nothing_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, gated) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    let delivery = message_delivery("shop-1", 3);

    gated.broken_ingest.store(true, Ordering::SeqCst);
    let failed = server.deliver("acme-orders", &delivery, SECRET, now()).await;
    assert_eq!(failed.status(), 503);
    assert_eq!(failed.headers()["retry-after"], "1");
    assert_eq!(json(failed).await["error"], "storage");
    assert!(stored_message_ids(&hub, "acme").await.is_empty());

    gated.broken_ingest.store(false, Ordering::SeqCst);
    assert_eq!(server.deliver("acme-orders", &delivery, SECRET, now() + 1).await.status(), 200);
    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m-3"]);
}

#[tokio::test]
async fn a_stalled_body_is_408() {
    let hub = Hub::builder(MemoryStore::new()).channel("acme-orders".parse().unwrap(), webhook_channel()).build();
    let server = Running::start(WebhookServer::new(hub).body_timeout(Duration::from_millis(100))).await;
    let head = b"POST /webhooks/acme-orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n";
    let answer = raw_exchange(server.addr, &[head, b"{\"acc"], Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn a_get_on_a_channel_without_handshake_is_405() {
    let hub = Hub::builder(MemoryStore::new()).channel("acme-orders".parse().unwrap(), webhook_channel()).build();
    let server = Running::start(WebhookServer::new(hub)).await;

    let response = server.http.get(server.url("/webhooks/acme-orders")).send().await.unwrap();

    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn the_meta_style_get_handshake_is_passed_to_the_channel() {
    let hub =
        Hub::builder(MemoryStore::new()).channel("meta-app".parse().unwrap(), Arc::new(AppLevelChannel::new())).build();
    let server = Running::start(WebhookServer::new(hub)).await;
    let url = |token: &str| {
        server.url(&format!("/webhooks/meta-app?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"))
    };

    let accepted = server.http.get(url(app_level::VERIFY_TOKEN)).send().await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.text().await.unwrap(), "1158201444");

    let refused = server.http.get(url("guess")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn one_app_level_post_is_split_between_the_tenants_of_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    let hub = Hub::builder(MemoryStore::with_inbox(sqlite))
        .channel("meta-app".parse().unwrap(), Arc::new(AppLevelChannel::new()))
        .build();
    connect(&hub, "acme", "meta-app", ChannelKind::MESSENGER, "104729384756").await;
    connect(&hub, "globex", "meta-app", ChannelKind::MESSENGER, "209384756102").await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    let body = app_level::batch(&[
        ("104729384756", "6483920175", "m_acme_1", "Is the blue kettle in stock?"),
        ("209384756102", "7391046285", "m_globex_1", "ผมต้องการคืนสินค้า"),
        ("104729384756", "6483920175", "m_acme_2", "And can it ship to Chiang Mai?"),
    ]);

    let response = server
        .http
        .post(server.url("/webhooks/meta-app"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", app_level::sign(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let mut acme = stored_message_ids(&hub, "acme").await;
    acme.sort();
    assert_eq!(acme, vec!["m_acme_1", "m_acme_2"]);
    assert_eq!(stored_message_ids(&hub, "globex").await, vec!["m_globex_1"]);
}

#[tokio::test]
async fn an_app_level_post_naming_an_unconnected_page_stores_the_connected_page_s_events() {
    let hub =
        Hub::builder(MemoryStore::new()).channel("meta-app".parse().unwrap(), Arc::new(AppLevelChannel::new())).build();
    connect(&hub, "acme", "meta-app", ChannelKind::MESSENGER, "104729384756").await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    let body = app_level::batch(&[
        ("104729384756", "6483920175", "m_acme_1", "hello"),
        ("555000111222", "7391046285", "m_nobody_1", "hello"),
    ]);

    let response = server
        .http
        .post(server.url("/webhooks/meta-app"))
        .header("x-hub-signature-256", app_level::sign(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();

    // One stale page does not hold back the others: refusing the batch would make the platform
    // retry it whole. The unknown page's event is counted, not stored.
    assert_eq!(response.status(), 200);
    assert_eq!(stored_message_ids(&hub, "acme").await, vec!["m_acme_1"]);
    assert_eq!(hub.unroutable().total, 1);
}

#[tokio::test]
async fn health_is_always_200_and_readiness_follows_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, gated) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub)).await;

    assert_eq!(server.http.get(server.url("/health")).send().await.unwrap().status(), 200);
    let ready = server.http.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(json(ready).await["status"], "ready");

    gated.broken_reads.store(true, Ordering::SeqCst);
    let unready = server.http.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(unready.status(), 503);
    assert!(unready.headers().contains_key("retry-after"));
    assert_eq!(server.http.get(server.url("/health")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn readiness_fails_while_writes_fail_even_though_reads_work() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, gated) = sqlite_hub(&dir).await;
    let server = Running::start(WebhookServer::new(hub)).await;

    // A full disk: every write fails, reads still work.
    gated.broken_ingest.store(true, Ordering::SeqCst);
    let refused = server.deliver("acme-orders", &message_delivery("shop-1", 1), SECRET, now()).await;
    assert_eq!(refused.status(), 503);
    let unready = server.http.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(unready.status(), 503, "reads work, but nothing can be stored");
    assert!(json(unready).await["message"].as_str().unwrap().contains("could not be stored"));

    // Space is back: the platform's retry is stored, and the server is ready again at once.
    gated.broken_ingest.store(false, Ordering::SeqCst);
    let retry = server.deliver("acme-orders", &message_delivery("shop-1", 1), SECRET, now() + 1).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(server.http.get(server.url("/ready")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_channel_sees_the_public_url_the_platform_called() {
    let counting = Arc::new(CountingChannel::new(webhook_channel()));
    let hub = Hub::builder(MemoryStore::new()).channel("twilio-sms".parse().unwrap(), counting.clone()).build();
    let local = Running::start(WebhookServer::new(hub.clone())).await;
    let proxied =
        Running::start(WebhookServer::new(hub).public_url("https://inbox.example.com".parse().unwrap())).await;

    for server in [&local, &proxied] {
        let response = server.http.post(server.url("/webhooks/twilio-sms?From=%2B66812345678")).body("{}").send().await;
        assert_eq!(response.unwrap().status(), 401);
    }

    let urls = counting.urls.lock().unwrap().clone();
    // Without a public URL: the Host header over http; behind a proxy: the configured origin.
    // Path and query are kept exactly as sent, since platforms such as Twilio sign them.
    assert_eq!(urls[0], format!("http://{}/webhooks/twilio-sms?From=%2B66812345678", local.addr));
    assert_eq!(urls[1], "https://inbox.example.com/webhooks/twilio-sms?From=%2B66812345678");
}
