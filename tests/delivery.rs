//! Durable delivery over real HTTP on loopback: the Standard Webhooks channel sends to a local
//! fake platform that injects faults (429 with and without a delay, 500, a reset connection, a
//! timeout after it accepted the message), and the outbox, the worker and the retry policy must
//! lose nothing and send nothing twice where the platform deduplicates.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use unibox::async_trait;
use unibox::changes::{ChangeKind, Position};
use unibox::channel::{Capabilities, Rate, RateLimits, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
use unibox::delivery::{DeliveryOptions, DeliveryWorker, RetryPolicy};
use unibox::http::ReqwestClient;
use unibox::inbox::ConversationQuery;
use unibox::outbox::JobState;
use unibox::secrecy::SecretString;
use unibox::store::sqlite::{SqliteInbox, SqliteStore};
use unibox::{
    Channel, ChannelKind, Content, ConversationId, DeliveryStatus, ErrorKind, Hub, InboundEvent, Inbox, Result,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

mod common;
use common::{SECRET, agent, channel_id, connect_shop, customer_message, tenant, test_keys};

/// A platform that deduplicates by the message's idempotency key (the `webhook-id`), as LINE
/// does with `X-Line-Retry-Key`: a key it accepted before is answered with 409. Faults are
/// scripted per attempt; `deliveries` counts what reached the customer.
#[derive(Clone, Default)]
struct IdempotentPlatform {
    state: Arc<Mutex<PlatformState>>,
}

#[derive(Default)]
struct PlatformState {
    /// Accepted keys and how often each was delivered to the customer (must stay 1).
    deliveries: HashMap<String, u32>,
    /// Faults to inject, in order, one per request.
    faults: Vec<Fault>,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// 429 with `Retry-After` seconds, or without one.
    Throttle(Option<u64>),
    /// 500 before accepting.
    ServerError,
    /// The connection is closed before any answer, before accepting.
    Reset,
    /// The message is accepted and delivered, but the answer comes too late for the client.
    TimeoutAfterAccept,
}

impl IdempotentPlatform {
    fn with_faults(faults: &[Fault]) -> Self {
        let platform = IdempotentPlatform::default();
        platform.state.lock().unwrap().faults = faults.to_vec();
        platform
    }

    fn answer(&self, request: &RecordedRequest) -> ScriptedResponse {
        let key = request.header("webhook-id").unwrap_or_default().to_string();
        let mut state = self.state.lock().unwrap();
        let fault = if state.faults.is_empty() { None } else { Some(state.faults.remove(0)) };
        match fault {
            Some(Fault::Throttle(Some(seconds))) => {
                ScriptedResponse::status(429).with_header("Retry-After", seconds.to_string())
            }
            Some(Fault::Throttle(None)) => ScriptedResponse::status(429),
            Some(Fault::ServerError) => ScriptedResponse::text(500, "internal error"),
            Some(Fault::Reset) => ScriptedResponse::hang_up(),
            Some(Fault::TimeoutAfterAccept) => {
                *state.deliveries.entry(key.clone()).or_default() += 1;
                ScriptedResponse::json(200, &serde_json::json!({ "id": format!("pm-{key}") }))
                    .delayed(Duration::from_secs(2))
            }
            None => match state.deliveries.get(&key) {
                Some(_) => ScriptedResponse::status(409),
                None => {
                    state.deliveries.insert(key.clone(), 1);
                    ScriptedResponse::json(200, &serde_json::json!({ "id": format!("pm-{key}") }))
                }
            },
        }
    }

    fn deliveries(&self) -> HashMap<String, u32> {
        self.state.lock().unwrap().deliveries.clone()
    }
}

/// The webhook channel with other capabilities: not idempotent, or rate limited.
#[derive(Debug)]
struct Reshaped {
    inner: WebhookChannel,
    capabilities: Capabilities,
}

#[async_trait]
impl Channel for Reshaped {
    fn kind(&self) -> ChannelKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        self.inner.verify(request)
    }
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        self.inner.parse(request)
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.inner.send(request).await
    }
}

struct World {
    hub: Hub,
    inbox: Arc<SqliteInbox>,
    receiver: FakeServer,
    conversation: ConversationId,
}

fn webhook_channel(receiver: &FakeServer) -> WebhookChannel {
    let config = WebhookChannelConfig::builder()
        .secret(SecretString::from(SECRET))
        .send_url(receiver.url_for("/outbound"))
        .build()
        .unwrap();
    // A short overall timeout, so the platform's late answers are timeouts.
    let client = ReqwestClient::with_timeouts(Duration::from_secs(1), Duration::from_millis(400));
    WebhookChannel::new(config).with_http_client(Arc::new(client))
}

fn fast_retries() -> DeliveryOptions {
    DeliveryOptions::new()
        .retry(RetryPolicy::new(4, Duration::from_millis(40), Duration::from_millis(200)))
        .lease(Duration::from_secs(5))
}

async fn world_with(
    db: &Path,
    receiver: FakeServer,
    reshape: impl FnOnce(WebhookChannel) -> Arc<dyn Channel>,
) -> World {
    let inbox = Arc::new(SqliteInbox::open(db).await.unwrap());
    let channel = reshape(webhook_channel(&receiver));
    let hub = Hub::builder(SqliteStore::from_inbox(inbox.clone(), test_keys()))
        .channel(channel_id(), channel)
        .delivery(fast_retries())
        .build();
    connect_shop(&hub).await;
    let request = customer_message("สวัสดีครับ where is order #A1234?", Some("Somchai P."));
    assert_eq!(hub.handle_webhook(&channel_id(), request).await.status.as_u16(), 200);
    let conversation = hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items[0].id;
    World { hub, inbox, receiver, conversation }
}

async fn world(platform: &IdempotentPlatform) -> (World, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let receiver = FakeServer::start().await.unwrap();
    let answering = platform.clone();
    receiver.respond_with(move |request| answering.answer(request));
    let world = world_with(&dir.path().join("inbox.db"), receiver, |channel| Arc::new(channel)).await;
    (world, dir)
}

/// Runs worker rounds until no job is due and queued, or `limit` passes.
async fn drain(hub: &Hub, limit: Duration) {
    let worker = DeliveryWorker::new(hub.clone());
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        worker.run_once().await.unwrap();
        let queued = hub.inbox().outbox().unwrap().jobs(&tenant(), JobState::Queued, 500).await.unwrap();
        let in_flight = hub.inbox().outbox().unwrap().jobs(&tenant(), JobState::InFlight, 500).await.unwrap();
        if queued.is_empty() && in_flight.is_empty() {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "jobs still pending after {limit:?}: {queued:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_throttled_send_waits_for_the_platforms_delay_and_is_delivered_once() {
    let platform = IdempotentPlatform::with_faults(&[Fault::Throttle(Some(1))]);
    let (w, _dir) = world(&platform).await;
    let queued = w.hub.send(&agent(), w.conversation, Content::text("It left the warehouse today.")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued, "throttled: queued for a retry, not failed");
    let job = w.inbox.outbox().unwrap().job(&tenant(), queued.id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert!(job.last_error.as_deref().unwrap().contains("rate limiting"), "{job:?}");
    assert!(
        job.due_at >= queued.sent_at.saturating_add(Duration::from_secs(1)),
        "the platform's Retry-After is honoured: due {} for a send at {}",
        job.due_at,
        queued.sent_at
    );

    let worker = DeliveryWorker::new(w.hub.clone());
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "not due before the platform's delay");
    drain(&w.hub, Duration::from_secs(5)).await;
    let sent = w.inbox.message(&tenant(), queued.id).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(sent.platform_message_id, Some(format!("pm-{}", queued.id)));
    assert_eq!(w.receiver.request_count(), 2);
    assert_eq!(platform.deliveries().get(&queued.id.to_string()), Some(&1));
}

#[tokio::test]
async fn throttling_without_a_delay_and_server_errors_back_off_and_then_deliver() {
    let platform = IdempotentPlatform::with_faults(&[Fault::Throttle(None), Fault::ServerError, Fault::ServerError]);
    let (w, _dir) = world(&platform).await;
    let queued = w.hub.send(&agent(), w.conversation, Content::text("Your refund is on its way.")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);
    drain(&w.hub, Duration::from_secs(5)).await;
    let sent = w.inbox.message(&tenant(), queued.id).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    let job = w.inbox.outbox().unwrap().job(&tenant(), queued.id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Sent, 4));
    assert_eq!(platform.deliveries().len(), 1, "delivered once");
}

#[tokio::test]
async fn persistent_server_errors_fail_the_message_with_the_reason_and_say_so() {
    let platform = IdempotentPlatform::with_faults(&[Fault::ServerError; 10]);
    let (w, _dir) = world(&platform).await;
    let changes = w.inbox.changes().unwrap();
    let start = changes.head(&tenant()).await.unwrap();
    let queued = w.hub.send(&agent(), w.conversation, Content::text("hello")).await.unwrap();
    drain(&w.hub, Duration::from_secs(5)).await;

    let failed = w.inbox.message(&tenant(), queued.id).await.unwrap();
    match &failed.delivery {
        DeliveryStatus::Failed { reason, .. } => assert!(reason.contains("gave up after 4 attempts"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(w.receiver.request_count(), 4, "the retry budget is 4 attempts");
    assert!(platform.deliveries().is_empty());
    let events = changes.read(&tenant(), start, 100).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.change.kind, ChangeKind::DeliveryChanged);
    assert_eq!(last.change.detail.as_deref(), Some("failed"), "an event says the send failed");
    assert_eq!(last.change.message, Some(queued.id));
}

#[tokio::test]
async fn a_reset_connection_and_a_timeout_after_accept_are_resent_with_the_same_key_and_delivered_once() {
    let platform = IdempotentPlatform::with_faults(&[Fault::Reset, Fault::TimeoutAfterAccept]);
    let (w, _dir) = world(&platform).await;
    let queued = w.hub.send(&agent(), w.conversation, Content::text("ส่งแล้วค่ะ")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued, "a reset on an idempotent platform is retried");
    drain(&w.hub, Duration::from_secs(10)).await;

    let sent = w.inbox.message(&tenant(), queued.id).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent, "the 409 for the known key means accepted");
    let keys: Vec<String> =
        w.receiver.requests().iter().map(|r| r.header("webhook-id").unwrap_or_default().to_string()).collect();
    assert_eq!(keys.len(), 3, "reset, timeout after accept, resend");
    assert!(keys.iter().all(|key| key == &queued.id.to_string()), "every attempt carries the message id: {keys:?}");
    assert_eq!(platform.deliveries(), HashMap::from([(queued.id.to_string(), 1)]), "the customer got it once");
}

#[tokio::test]
async fn an_ambiguous_timeout_on_a_non_idempotent_platform_is_surfaced_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let platform = IdempotentPlatform::with_faults(&[Fault::TimeoutAfterAccept]);
    let receiver = FakeServer::start().await.unwrap();
    let answering = platform.clone();
    receiver.respond_with(move |request| answering.answer(request));
    let w = world_with(&dir.path().join("inbox.db"), receiver, |inner| {
        let capabilities = Capabilities { idempotent_send: false, ..inner.capabilities().clone() };
        Arc::new(Reshaped { inner, capabilities })
    })
    .await;

    let err = w.hub.send(&agent(), w.conversation, Content::text("Order confirmed")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeliveryUnknown);
    assert!(err.message().contains("check before resending"), "{err}");
    let outbox = w.inbox.outbox().unwrap();
    let unknown = outbox.jobs(&tenant(), JobState::Unknown, 10).await.unwrap();
    assert_eq!(unknown.len(), 1);
    let message = w.inbox.message(&tenant(), unknown[0].message).await.unwrap();
    assert_eq!(message.delivery, DeliveryStatus::Sending, "nobody knows whether it arrived");

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(DeliveryWorker::new(w.hub.clone()).run_once().await.unwrap().claimed, 0, "never retried by itself");
    assert_eq!(w.receiver.request_count(), 1, "sent once");
}

#[tokio::test]
async fn a_send_while_the_platform_is_unreachable_is_kept_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = FakeServer::start().await.unwrap();
    let unreachable = webhook_channel(&receiver);
    receiver.shutdown().await;
    let inbox_path = dir.path().join("inbox.db");
    let stand_in = FakeServer::start().await.unwrap();
    let w = world_with(&inbox_path, stand_in, move |_| Arc::new(unreachable)).await;

    let queued = w.hub.send(&agent(), w.conversation, Content::text("hello")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued, "no connection: nothing was sent, so it is retried");
    let job = w.inbox.outbox().unwrap().job(&tenant(), queued.id).await.unwrap();
    assert!(job.last_error.as_deref().unwrap().contains("could not connect"), "{job:?}");
}

#[tokio::test]
async fn sends_to_one_chat_are_paced_by_the_platforms_per_recipient_limit() {
    let dir = tempfile::tempdir().unwrap();
    let platform = IdempotentPlatform::default();
    let receiver = FakeServer::start().await.unwrap();
    let answering = platform.clone();
    receiver.respond_with(move |request| answering.answer(request));
    let w = world_with(&dir.path().join("inbox.db"), receiver, |inner| {
        let rate_limits = RateLimits {
            per_account: Some(Rate::per_second(30)),
            per_recipient: Some(Rate::new(1, Duration::from_millis(250))),
            per_account_daily: None,
        };
        let capabilities = Capabilities { rate_limits, ..inner.capabilities().clone() };
        Arc::new(Reshaped { inner, capabilities })
    })
    .await;

    let started = tokio::time::Instant::now();
    for text in ["one", "two", "three", "four"] {
        let sent = w.hub.send(&agent(), w.conversation, Content::text(text)).await.unwrap();
        assert_eq!(sent.delivery, DeliveryStatus::Sent);
    }
    assert!(
        started.elapsed() >= Duration::from_millis(750),
        "four sends to one chat at one per 250 ms take at least 750 ms, took {:?}",
        started.elapsed()
    );
    assert_eq!(platform.deliveries().len(), 4);
}

#[tokio::test]
async fn subscribers_follow_sends_in_order_and_resume_after_a_position() {
    let platform = IdempotentPlatform::default();
    let (w, _dir) = world(&platform).await;
    let mut events = w.hub.subscribe(&agent(), None).await.unwrap();
    let sent = w.hub.send(&agent(), w.conversation, Content::text("Thanks for your order!")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);

    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap();
        seen.push(event);
    }
    let details: Vec<_> = seen.iter().map(|e| (e.change.kind, e.change.detail.clone().unwrap_or_default())).collect();
    assert_eq!(
        details,
        vec![
            (ChangeKind::MessageAdded, "queued".to_string()),
            (ChangeKind::DeliveryChanged, "sending".to_string()),
            (ChangeKind::DeliveryChanged, "sent".to_string()),
        ]
    );
    assert!(seen.iter().all(|e| e.change.message == Some(sent.id)));
    drop(events);

    let mut resumed = w.hub.subscribe(&agent(), Some(seen[0].position)).await.unwrap();
    let next = resumed.next().await.unwrap().unwrap();
    assert_eq!(next, seen[1], "a resumed subscription starts after the position it was given");
}

#[tokio::test]
async fn a_slow_subscriber_loses_nothing_and_gets_everything_in_order() {
    let platform = IdempotentPlatform::default();
    let (w, _dir) = world(&platform).await;
    let start = w.inbox.changes().unwrap().head(&tenant()).await.unwrap();
    let mut events = w.hub.subscribe(&agent(), Some(start)).await.unwrap();
    // Far more changes than the subscription buffers, while nobody reads.
    let mut notes = Vec::new();
    for n in 0..600 {
        let note = w.hub.add_note(&agent(), w.conversation, format!("follow-up #{n}")).await.unwrap();
        notes.push(note.id.to_string());
    }
    let mut received = Vec::new();
    let mut last = Position::START;
    while received.len() < notes.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap().unwrap().unwrap();
        assert!(event.position > last, "positions grow");
        last = event.position;
        assert_eq!(event.change.kind, ChangeKind::NoteAdded);
        received.push(event.change.detail.unwrap());
    }
    assert_eq!(received, notes, "every change, in order, none lost to back-pressure");
}
