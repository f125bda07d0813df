//! Crash safety of sends: a child process runs a send storm (inline first attempts plus a
//! delivery worker) against a local fake platform that deduplicates by the idempotency key, and
//! is killed with SIGKILL at random points, three times. Afterwards the outbox resumes in this
//! process, and every recorded message must have reached the platform exactly once, with nothing
//! sent that was not recorded.
//!
//! The child is this same test binary, run with an environment variable that makes the test
//! play the child's part.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
use unibox::delivery::{DeliveryOptions, DeliveryWorker, RetryPolicy};
use unibox::http::ReqwestClient;
use unibox::inbox::prelude::*;
use unibox::inbox::{ConversationQuery, MessageQuery};
use unibox::outbox::JobState;
use unibox::secrecy::SecretString;
use unibox::store::sqlite::{SqliteInbox, SqliteStore};
use unibox::{Content, DeliveryStatus, Direction, Hub, Message};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

mod common;
use common::{SECRET, agent, channel_id, connect_shop, customer_message, tenant, test_keys};

/// Set in the child: `<database path>\n<send URL>`.
const CHILD: &str = "UNIBOX_SEND_STORM_CHILD";
const TEST_NAME: &str = "kill_9_during_a_send_storm_loses_nothing_and_sends_nothing_twice";

async fn hub(db: &Path, send_url: &str) -> (Hub, Arc<SqliteInbox>) {
    let inbox = Arc::new(SqliteInbox::open(db).await.unwrap());
    let config = WebhookChannelConfig::builder()
        .secret(SecretString::from(SECRET))
        .send_url(send_url.parse().unwrap())
        .build()
        .unwrap();
    let client = ReqwestClient::with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
    let channel = WebhookChannel::new(config).with_http_client(Arc::new(client));
    // Short leases, so jobs a killed child held come back quickly.
    let options = DeliveryOptions::new()
        .retry(RetryPolicy::new(20, Duration::from_millis(20), Duration::from_millis(200)))
        .lease(Duration::from_secs(1));
    let hub = Hub::builder(SqliteStore::from_inbox(inbox.clone(), test_keys()))
        .channel(channel_id(), Arc::new(channel))
        .delivery(options)
        .build();
    (hub, inbox)
}

/// The child's part: send forever (four concurrent senders and a worker) until killed.
async fn storm(spec: &str) {
    let (db, url) = spec.split_once('\n').unwrap();
    let (hub, _inbox) = hub(Path::new(db), url).await;
    let conversation = hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items[0].id;
    let _worker = DeliveryWorker::new(hub.clone()).batch(8).spawn();
    let counter = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (hub, counter) = (hub.clone(), counter.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                // Errors are expected (the platform fails on purpose); the outbox keeps the message.
                let _ = hub.send(&agent(), conversation, Content::text(format!("storm message #{n}"))).await;
            }
        }));
    }
    for sender in senders {
        let _ = sender.await;
    }
}

/// A platform that deduplicates by `webhook-id`, answers after a short delay (so kills land
/// mid-request), and fails some requests before accepting them.
#[derive(Clone, Default)]
struct Platform {
    state: Arc<Mutex<PlatformState>>,
}

#[derive(Default)]
struct PlatformState {
    requests: u64,
    deliveries: HashMap<String, u32>,
}

impl Platform {
    fn answer(&self, key: &str) -> ScriptedResponse {
        let mut state = self.state.lock().unwrap();
        state.requests += 1;
        let delay = Duration::from_millis(15);
        if state.requests.is_multiple_of(7) {
            return ScriptedResponse::text(503, "busy").delayed(delay);
        }
        if state.requests.is_multiple_of(11) {
            return ScriptedResponse::hang_up();
        }
        let count = state.deliveries.entry(key.to_string()).or_default();
        if *count > 0 {
            // Already accepted: the platform answers with the id it gave the first time.
            return ScriptedResponse::json(409, &serde_json::json!({ "id": format!("pm-{key}") })).delayed(delay);
        }
        *count = 1;
        ScriptedResponse::json(200, &serde_json::json!({ "id": format!("pm-{key}") })).delayed(delay)
    }

    fn requests(&self) -> u64 {
        self.state.lock().unwrap().requests
    }
}

async fn set_up(db: &Path, send_url: &str) {
    let (hub, inbox) = hub(db, send_url).await;
    connect_shop(&hub).await;
    let request = customer_message("Any news on order #A1234?", None);
    assert_eq!(hub.handle_webhook(&channel_id(), request).await.status.as_u16(), 200);
    // Everything above is committed; the child opens the file next to whatever still holds it.
    drop((hub, inbox));
}

async fn outbound_messages(inbox: &SqliteInbox) -> Vec<Message> {
    let conversation = inbox.conversations(&tenant(), &ConversationQuery::new()).await.unwrap().items[0].id;
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page =
            inbox.messages(&tenant(), conversation, &MessageQuery::new().limit(500).before(before)).await.unwrap();
        all.extend(page.items.into_iter().filter(|m| m.direction == Direction::Outbound));
        match page.next {
            Some(next) => before = Some(next),
            None => return all,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_send_storm_loses_nothing_and_sends_nothing_twice() {
    if let Ok(spec) = std::env::var(CHILD) {
        storm(&spec).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inbox.db");
    let receiver = FakeServer::start().await.unwrap();
    let platform = Platform::default();
    let answering = platform.clone();
    receiver.respond_with(move |request| answering.answer(request.header("webhook-id").unwrap_or_default()));
    let send_url = receiver.url_for("/outbound").to_string();
    set_up(&db, &send_url).await;

    for round in 1..=3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, format!("{}\n{}", db.display(), send_url))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different point each round: after some tens of requests.
        let target = platform.requests() + 25 + round * 13;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while platform.requests() < target {
            assert!(tokio::time::Instant::now() < deadline, "the child made no progress in round {round}");
            assert!(child.try_wait().unwrap().is_none(), "the child exited by itself in round {round}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no goodbye.
        child.wait().unwrap();
    }

    // Restart: this process resumes the outbox.
    let (hub, inbox) = hub(&db, &send_url).await;
    let worker = DeliveryWorker::new(hub.clone()).poll_interval(Duration::from_millis(50));
    let outbox: &dyn unibox::outbox::Outbox = inbox.as_ref();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        worker.run_once().await.unwrap();
        let pending = outbox.jobs(&tenant(), JobState::Queued, 500).await.unwrap().len()
            + outbox.jobs(&tenant(), JobState::InFlight, 500).await.unwrap().len();
        if pending == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{pending} jobs still pending after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let messages = outbound_messages(&inbox).await;
    assert!(messages.len() >= 30, "the storm recorded only {} messages", messages.len());
    let recorded: HashSet<String> = messages.iter().map(|m| m.id.to_string()).collect();
    for message in &messages {
        assert_eq!(message.delivery, DeliveryStatus::Sent, "message {} was not delivered", message.id);
        assert_eq!(message.platform_message_id, Some(format!("pm-{}", message.id)));
        assert_eq!(outbox.job(&tenant(), message.id).await.unwrap().state, JobState::Sent);
    }
    let deliveries = platform.state.lock().unwrap().deliveries.clone();
    let delivered: HashSet<String> = deliveries.keys().cloned().collect();
    assert_eq!(delivered, recorded, "every recorded message reached the platform, and nothing else did");
    assert!(deliveries.values().all(|count| *count == 1), "the platform accepted each message once");
    assert!(
        outbox.jobs(&tenant(), JobState::Unknown, 10).await.unwrap().is_empty(),
        "an idempotent platform leaves no doubt"
    );
    assert!(outbox.jobs(&tenant(), JobState::Failed, 10).await.unwrap().is_empty());
    eprintln!(
        "send storm: {} messages recorded and delivered once each, {} requests to the platform",
        messages.len(),
        platform.requests()
    );
}
