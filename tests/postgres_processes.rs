//! Several processes on one PostgreSQL database (issue 21): three real example-server processes
//! (`examples/server.rs`, `[storage] backend = "postgres"`, `[bus] kind = "postgres"`) share one
//! fresh schema, each on its own loopback port.
//!
//! - A duplicate-heavy webhook storm: every event is delivered several times, concurrently, to
//!   random processes; one process is killed with SIGKILL mid-way, and what it did not
//!   acknowledge is delivered again at another process, as a platform retries. Every event must
//!   be stored exactly once.
//! - An outbox storm at the same time: sends queued in the database (recorded here through a
//!   `PostgresStore`, as `Hub::send` records them) are delivered by the processes' delivery
//!   workers to a fake platform on loopback that deduplicates by the idempotency key. The killed
//!   process dies with sends in flight; after its lease they are resent by the others with the
//!   same key. Every send must be delivered once, and only the ones in flight at the kill sent
//!   twice.
//! - Concurrent token refresh: three OS processes (this test binary, playing the child's part),
//!   each with its own `PostgresStore`, ask for the same expiring LINE token at once; exactly one
//!   refresh must reach the fake LINE token endpoint, and all three get its token. (The example
//!   server has no path that refreshes a token on demand, so the processes are these children
//!   rather than servers.)
//!
//! The server binary is built with this test's features (`cargo build --example server`), which
//! is a no-op when it is already built. Skipped with a message without PostgreSQL; it fails
//! instead with `UNIBOX_TEST_POSTGRES_REQUIRED=1` (CI).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command};
use unibox::channels::webhook::WebhookSecret;
use unibox::inbox::prelude::*;
use unibox::inbox::{ConversationQuery, MessageQuery, OutboundDraft};
use unibox::outbox::{EnqueueOptions, JobState, Outbox};
use unibox::secrecy::{ExposeSecret, SecretString};
use unibox::store::postgres::{PostgresInbox, PostgresOptions, PostgresStore};
use unibox::vault::{Keyring, StoreKeys};
use unibox::{
    Actor, Author, ChannelAccount, ChannelKind, Content, DeliveryStatus, Direction, Hub, MessageId, Role, TenantId,
    Timestamp, TokenSet, TokenStore,
};
use unibox_store_postgres::testing::TestDatabase;

/// The Standard Webhooks secret of the servers' `acme-orders` channel (the public sandbox one).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Servers in the storm; the one at [`VICTIM`] is killed.
const SERVERS: usize = 3;
const VICTIM: usize = 1;
/// Distinct customers, events (spread over the customers) and deliveries of each event.
const CUSTOMERS: usize = 12;
const EVENTS: usize = 300;
const COPIES: usize = 3;
/// Webhook deliveries in flight at once.
const SENDERS: usize = 16;
/// Sends queued for the delivery workers.
const SENDS: usize = 240;
/// The victim's first sends are answered; the ones after hang until it is killed, so it dies
/// with sends in flight.
const VICTIM_ANSWERED: usize = 10;
/// The servers' `[delivery] lease_ms`: how soon the survivors take the victim's sends over.
const LEASE_MS: u64 = 3000;

/// Set in the refresh test's children: the JSON of a [`RefreshChild`].
const CHILD: &str = "UNIBOX_PG_PROCESSES_REFRESH_CHILD";
const REFRESH_TEST: &str = "concurrent_refresh_in_three_processes_reaches_the_platform_once";

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

/// The `--features` of this test binary, so the server is built exactly as the test was.
fn features() -> String {
    let all = [
        ("http-reqwest", cfg!(feature = "http-reqwest")),
        ("store-sqlite", cfg!(feature = "store-sqlite")),
        ("store-postgres", cfg!(feature = "store-postgres")),
        ("vault", cfg!(feature = "vault")),
        ("channel-webhook", cfg!(feature = "channel-webhook")),
        ("channel-messenger", cfg!(feature = "channel-messenger")),
        ("channel-instagram", cfg!(feature = "channel-instagram")),
        ("channel-whatsapp", cfg!(feature = "channel-whatsapp")),
        ("channel-line", cfg!(feature = "channel-line")),
        ("channel-shopee", cfg!(feature = "channel-shopee")),
        ("channel-telegram", cfg!(feature = "channel-telegram")),
        ("channel-twilio", cfg!(feature = "channel-twilio")),
        ("channel-lazada", cfg!(feature = "channel-lazada")),
        ("channel-tiktok-shop", cfg!(feature = "channel-tiktok-shop")),
        ("server-axum", cfg!(feature = "server-axum")),
        ("agent-api", cfg!(feature = "agent-api")),
        ("bus-nats", cfg!(feature = "bus-nats")),
        ("policy-cedar", cfg!(feature = "policy-cedar")),
        ("ai-openai", cfg!(feature = "ai-openai")),
        ("ai-anthropic", cfg!(feature = "ai-anthropic")),
    ];
    all.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect::<Vec<_>>().join(",")
}

/// Builds the example server with this test's features and profile; returns its path.
fn server_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["build", "--example", "server", "--message-format=json", "--no-default-features", "--features"])
        .arg(features())
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command.output().expect("cargo runs");
    assert!(output.status.success(), "building the example server failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "server")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the server's executable")
}

/// A copy of the server binary in `dir`: the built one's path is shared by every build of the
/// example in the target directory.
fn server_copy(built: &Path, dir: &Path) -> PathBuf {
    let copy = dir.join("unibox-server");
    std::fs::copy(built, &copy).expect("the server binary copies");
    copy
}

/// A small, seeded pseudo-random source (xorshift64*): the storm's order and targets.
struct Random(u64);

impl Random {
    fn seeded() -> Self {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("storm seed {seed}");
        Random(seed | 1)
    }
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// One example-server process and what it printed; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server with `config` and waits until it listens (blocking).
    fn start(binary: &Path, config: &Path, env: &[(&str, String)]) -> Server {
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(config)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("UNIBOX_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (listening, addr) = std::sync::mpsc::channel();
        let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("unibox server on http://") {
                    let _ = listening.send(rest.split_whitespace().next().and_then(|a| a.parse::<SocketAddr>().ok()));
                }
                kept.lock().unwrap().push(line);
            }
        });
        let kept = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut server = Server { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)), output };
        match addr.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(addr)) => server.addr = addr,
            _ => panic!("the server did not start listening:\n{}", server.output()),
        }
        server
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake platform the servers' webhook channel sends to (`/outbound/{server}`): it
/// deduplicates by `webhook-id` (the unibox message id), as a receiver honouring the idempotency
/// key does, and records every request.
#[derive(Default)]
struct Platform {
    /// Every request: the server that sent it and its `webhook-id`.
    requests: Vec<(usize, String)>,
    /// The 2xx answers per `webhook-id` that accepted a new message (a repeat is answered 409).
    accepted: HashMap<String, u32>,
    /// Repeats of an accepted id (answered 409 with the same id).
    repeats: usize,
    /// The victim's requests that are answered, and the ones held until it dies.
    victim_answered: usize,
    victim_held: Vec<String>,
    /// When the victim's last answered send was answered.
    victim_last_answer: Option<Instant>,
}

type SharedPlatform = Arc<Mutex<Platform>>;

async fn outbound(
    State(platform): State<SharedPlatform>,
    UrlPath(server): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let held = {
        let mut state = platform.lock().unwrap();
        state.requests.push((server, id.clone()));
        if server == VICTIM && state.victim_answered >= VICTIM_ANSWERED {
            state.victim_held.push(id.clone());
            true
        } else {
            if server == VICTIM {
                state.victim_answered += 1;
            }
            false
        }
    };
    if held {
        // Until the victim is killed (the test ends long before).
        tokio::time::sleep(Duration::from_secs(600)).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut state = platform.lock().unwrap();
    if server == VICTIM {
        state.victim_last_answer = Some(Instant::now());
    }
    let body = axum::Json(serde_json::json!({ "id": format!("pm-{id}") }));
    let count = state.accepted.entry(id).or_default();
    if *count > 0 {
        state.repeats += 1;
        return (StatusCode::CONFLICT, body).into_response();
    }
    *count = 1;
    (StatusCode::OK, body).into_response()
}

/// Serves `router` on a loopback port; returns its address.
async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn server_config(index: usize, dir: &Path, platform: SocketAddr) -> PathBuf {
    let text = format!(
        r#"
listen = "127.0.0.1:0"
database = "{dir}/unused-{index}.db"
[storage]
backend = "postgres"
postgres_url_env = "PG_PROCESSES_APP_URL"
postgres_owner_url_env = "PG_PROCESSES_OWNER_URL"
postgres_pool_size = 6
[delivery]
lease_ms = {LEASE_MS}
[bus]
kind = "postgres"
[[channel]]
id = "acme-orders"
kind = "webhook"
secret_env = "PG_PROCESSES_WEBHOOK_SECRET"
send_url = "http://{platform}/outbound/{index}"
[[account]]
tenant = "acme"
channel = "acme-orders"
platform_account_id = "shop-bangkok"
"#,
        dir = dir.display()
    );
    let path = dir.join(format!("server-{index}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The delivery of event `event` (customer `event % CUSTOMERS`), signed with the timestamp
/// `timestamp` (each delivery of an event has its own, as a platform's retries do).
fn delivery(event: usize, timestamp: i64) -> (String, String, String, String) {
    let body = serde_json::json!({
        "account": "shop-bangkok",
        "events": [{ "kind": {
            "type": "message",
            "customer": { "kind": "external", "id": format!("cust-{}", event % CUSTOMERS) },
            "direction": "inbound",
            "message_id": format!("m-{event}"),
            "content": { "type": "text", "text": format!("storm event {event}") }
        }}]
    })
    .to_string();
    let id = format!("msg_storm_{event}");
    let signature = WebhookSecret::parse(SecretString::from(SECRET)).unwrap().sign(&id, timestamp, body.as_bytes());
    (id, timestamp.to_string(), signature, body)
}

/// What the webhook storm saw.
#[derive(Default)]
struct StormLog {
    /// Acknowledged (2xx) deliveries per server.
    acknowledged: [usize; SERVERS],
    /// Deliveries that failed (no answer, or 5xx) and were delivered again elsewhere.
    retried: usize,
    /// Answers no retry explains (4xx): bugs.
    unexpected: Vec<String>,
}

/// What the webhook storm's senders share.
struct Storm {
    client: reqwest::Client,
    addrs: Vec<SocketAddr>,
    /// The servers a delivery may go to (the killed one is taken out).
    alive: Mutex<[bool; SERVERS]>,
    random: Mutex<Random>,
    log: Mutex<StormLog>,
    /// The storm's start in Unix seconds: deliveries' timestamps count back from it.
    start: i64,
}

impl Storm {
    /// Delivers `event` (its `copy`-th delivery) until a live server acknowledges it, moving to
    /// another server after a failure, as a platform retries.
    async fn deliver(&self, event: usize, copy: usize) {
        let Storm { client, addrs, alive, random, log, start } = self;
        let mut last_failed = None;
        for attempt in 0..20 {
            let target = {
                let alive = *alive.lock().unwrap();
                let candidates: Vec<usize> = (0..SERVERS).filter(|s| alive[*s] && Some(*s) != last_failed).collect();
                let candidates = if candidates.is_empty() { vec![last_failed.unwrap()] } else { candidates };
                candidates[random.lock().unwrap().below(candidates.len())]
            };
            // A distinct timestamp per delivery attempt of an event, counted back from the storm's
            // start (the same id and timestamp twice is a replay, refused).
            let (id, timestamp, signature, body) = delivery(event, start - (copy * 20 + attempt) as i64);
            let answer = client
                .post(format!("http://{}/webhooks/acme-orders", addrs[target]))
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", timestamp)
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await;
            match answer {
                Ok(response) if response.status().is_success() => {
                    log.lock().unwrap().acknowledged[target] += 1;
                    return;
                }
                Ok(response) if response.status().is_client_error() => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    log.lock().unwrap().unexpected.push(format!("event {event} at server {target}: {status} {text}"));
                    return;
                }
                // No answer (the process died) or 5xx: delivered again, elsewhere.
                _ => {
                    log.lock().unwrap().retried += 1;
                    last_failed = Some(target);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        log.lock()
            .unwrap()
            .unexpected
            .push(format!("event {event} copy {copy}: no server acknowledged it in 20 tries"));
    }
}

/// Every inbound message of tenant acme, per customer id: their platform message ids.
async fn inbound_by_customer(inbox: &PostgresInbox) -> BTreeMap<String, Vec<String>> {
    let conversations = inbox.conversations(&tenant(), &ConversationQuery::new().limit(100)).await.unwrap();
    let mut by_customer = BTreeMap::new();
    for conversation in conversations.items {
        let contact = inbox.contact(&tenant(), conversation.contact).await.unwrap();
        let customer = contact.identities.first().map(|i| i.value.clone()).unwrap_or_default();
        let mut ids = Vec::new();
        let mut before = None;
        loop {
            let page = inbox
                .messages(&tenant(), conversation.id, &MessageQuery::new().limit(500).before(before))
                .await
                .unwrap();
            ids.extend(
                page.items
                    .iter()
                    .filter(|m| m.direction == Direction::Inbound)
                    .map(|m| m.platform_message_id.clone().unwrap_or_default()),
            );
            match page.next {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        ids.sort();
        assert!(by_customer.insert(customer.clone(), ids).is_none(), "customer {customer} has two conversations");
    }
    by_customer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_under_a_webhook_and_outbox_storm_with_one_killed_lose_and_duplicate_nothing() {
    let Some(database) = TestDatabase::create("postgres_processes_storm").await else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let built = tokio::task::spawn_blocking(server_binary).await.unwrap();
    let binary = server_copy(&built, dir.path());
    eprintln!("server binary ready in {:?}: {}", started.elapsed(), built.display());
    let started = Instant::now();

    let platform: SharedPlatform = Arc::default();
    let platform_addr =
        serve(axum::Router::new().route("/outbound/{server}", post(outbound)).with_state(platform.clone())).await;
    let keys = Keyring::generate_entry(1);
    let env = [
        ("PG_PROCESSES_APP_URL", database.app_url()),
        ("PG_PROCESSES_OWNER_URL", database.owner_url()),
        ("PG_PROCESSES_WEBHOOK_SECRET", SECRET.to_owned()),
        ("UNIBOX_VAULT_KEYS", keys.clone()),
    ];
    // All three start at once: migrations (a no-op here) and the account set-up race.
    let mut starting = Vec::new();
    for index in 0..SERVERS {
        let config = server_config(index, dir.path(), platform_addr);
        let (binary, env) = (binary.clone(), env.clone());
        starting.push(tokio::task::spawn_blocking(move || Server::start(&binary, &config, &env)));
    }
    let mut servers = Vec::new();
    for start in starting {
        servers.push(start.await.unwrap());
    }
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    eprintln!("{SERVERS} servers listening in {:?}: {addrs:?}", started.elapsed());

    // This process reads and queues through its own store on the same database and keys.
    let store_keys = StoreKeys::try_from(Keyring::parse(&keys).unwrap()).unwrap();
    let store = PostgresStore::connect(&database.app_options(), store_keys).await.unwrap();
    let inbox = store.inbox().clone();

    let storm = Arc::new(Storm {
        client: reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap(),
        addrs: addrs.clone(),
        alive: Mutex::new([true; SERVERS]),
        random: Mutex::new(Random::seeded()),
        log: Mutex::default(),
        start: Timestamp::now().as_unix_seconds(),
    });

    // Each customer's first event once, so their conversations exist for the sends.
    for event in 0..CUSTOMERS {
        storm.deliver(event, COPIES).await;
    }
    let conversations = inbox.conversations(&tenant(), &ConversationQuery::new().limit(100)).await.unwrap().items;
    assert_eq!(conversations.len(), CUSTOMERS, "one conversation per customer");

    // The outbox storm, while the webhook storm runs: sends recorded in the database by four
    // tasks here, delivered by the servers' workers.
    let agent: Author = Author::Agent("storm-agent".parse().unwrap());
    let mut enqueuers = Vec::new();
    for part in 0..4 {
        let (inbox, agent, conversations) = (inbox.clone(), agent.clone(), conversations.clone());
        enqueuers.push(tokio::spawn(async move {
            let mut queued = Vec::new();
            for n in (part..SENDS).step_by(4) {
                let now = Timestamp::now();
                let draft = OutboundDraft {
                    id: MessageId::new(),
                    conversation: conversations[n % CUSTOMERS].id,
                    author: agent.clone(),
                    content: Content::text(format!("storm reply {n}")),
                    reply_to: None,
                    at: now,
                };
                let (message, _job) = inbox.enqueue(&tenant(), draft, EnqueueOptions::new(), now).await.unwrap();
                queued.push(message.id.to_string());
            }
            queued
        }));
    }

    // The webhook storm: every event COPIES times, in random order, to random servers.
    let mut deliveries: Vec<(usize, usize)> =
        (0..EVENTS).flat_map(|event| (0..COPIES).map(move |copy| (event, copy))).collect();
    {
        let mut random = storm.random.lock().unwrap();
        for i in (1..deliveries.len()).rev() {
            deliveries.swap(i, random.below(i + 1));
        }
    }
    let total = deliveries.len();
    let queue = Arc::new(Mutex::new(deliveries));
    let done = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (storm, queue, done) = (storm.clone(), queue.clone(), done.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let Some((event, copy)) = queue.lock().unwrap().pop() else { return };
                storm.deliver(event, copy).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    // SIGKILL the victim mid-way: a third of the webhooks handled, and sends of its own in
    // flight (its answered sends recorded well before).
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let ready = {
            let state = platform.lock().unwrap();
            !state.victim_held.is_empty()
                && state.victim_last_answer.is_none_or(|at| at.elapsed() > Duration::from_millis(500))
        };
        if ready && done.load(Ordering::SeqCst) >= total / 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the storm did not reach the kill point:\n{}", servers[VICTIM].output());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    storm.alive.lock().unwrap()[VICTIM] = false;
    servers[VICTIM].child.kill().unwrap(); // SIGKILL: no shutdown, no flush, no goodbye.
    let status = servers[VICTIM].child.wait().unwrap();
    let handled_at_kill = done.load(Ordering::SeqCst);
    let held_at_kill = platform.lock().unwrap().victim_held.clone();
    eprintln!(
        "server {VICTIM} killed at {:?} ({status}): {handled_at_kill}/{total} webhooks handled, {} of its sends in flight",
        started.elapsed(),
        held_at_kill.len()
    );
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "killed by SIGKILL");
    assert!(handled_at_kill < total, "the kill came after the webhook storm ended; raise EVENTS");

    for sender in senders {
        sender.await.unwrap();
    }
    let storm_time = started.elapsed();
    let mut queued = HashSet::new();
    for enqueuer in enqueuers {
        queued.extend(enqueuer.await.unwrap());
    }
    assert_eq!(queued.len(), SENDS);

    // The outbox: everything delivered, after the victim's lease ran out.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let accepted = platform.lock().unwrap().accepted.len();
        if accepted >= SENDS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{accepted}/{SENDS} sends delivered:\n{}",
            servers.iter().map(Server::output).collect::<Vec<_>>().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Their `Sent` is recorded right after the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pending = inbox.jobs(&tenant(), JobState::Queued, 500).await.unwrap().len()
            + inbox.jobs(&tenant(), JobState::InFlight, 500).await.unwrap().len();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{pending} jobs still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outbox_time = started.elapsed();

    // The survivors are still up.
    for (index, server) in servers.iter_mut().enumerate().filter(|(i, _)| *i != VICTIM) {
        assert!(server.child.try_wait().unwrap().is_none(), "server {index} exited:\n{}", server.output());
    }

    // Webhooks: every event stored exactly once, in its customer's one conversation.
    let log = std::mem::take(&mut *storm.log.lock().unwrap());
    assert!(log.unexpected.is_empty(), "unexpected answers: {:#?}", log.unexpected);
    assert!(log.acknowledged[VICTIM] > 0, "the victim acknowledged webhooks before it died");
    let stored = inbound_by_customer(&inbox).await;
    assert_eq!(stored.len(), CUSTOMERS);
    for customer in 0..CUSTOMERS {
        let mut expected: Vec<String> =
            (0..EVENTS).filter(|e| e % CUSTOMERS == customer).map(|e| format!("m-{e}")).collect();
        expected.sort();
        assert_eq!(stored[&format!("cust-{customer}")], expected, "customer {customer}'s events, each once");
    }

    // Sends: each delivered once; only the ones in flight at the kill were sent twice, with the
    // same idempotency key, once by the victim and once by a survivor.
    let state = std::mem::take(&mut *platform.lock().unwrap());
    let accepted: HashSet<String> = state.accepted.keys().cloned().collect();
    assert_eq!(accepted, queued, "every queued send reached the platform, and nothing else did");
    assert!(state.accepted.values().all(|n| *n == 1));
    assert_eq!(state.repeats, 0, "no send was accepted twice");
    assert!(!held_at_kill.is_empty(), "the victim died with sends in flight");
    let mut requests: HashMap<&str, Vec<usize>> = HashMap::new();
    for (server, id) in &state.requests {
        requests.entry(id).or_default().push(*server);
    }
    let held: HashSet<&str> = held_at_kill.iter().map(String::as_str).collect();
    for (id, by) in &requests {
        if held.contains(id) {
            assert_eq!(by.len(), 2, "send {id}, in flight at the kill, was sent again once: {by:?}");
            assert!(by.contains(&VICTIM) && by.iter().any(|s| *s != VICTIM), "{id}: {by:?}");
        } else {
            assert_eq!(by.len(), 1, "send {id} was sent once: {by:?}");
        }
    }
    for id in &queued {
        let message: MessageId = id.parse().unwrap();
        let job = inbox.job(&tenant(), message).await.unwrap();
        assert_eq!(job.state, JobState::Sent, "send {id}");
    }
    for conversation in &conversations {
        let page = inbox.messages(&tenant(), conversation.id, &MessageQuery::new().limit(500)).await.unwrap();
        for message in page.items.iter().filter(|m| m.direction == Direction::Outbound) {
            assert_eq!(message.delivery, DeliveryStatus::Sent, "send {}", message.id);
            assert_eq!(message.platform_message_id, Some(format!("pm-{}", message.id)));
        }
    }
    assert!(inbox.jobs(&tenant(), JobState::Unknown, 10).await.unwrap().is_empty());
    assert!(inbox.jobs(&tenant(), JobState::Failed, 10).await.unwrap().is_empty());

    eprintln!(
        "webhook storm: {EVENTS} events x {COPIES} deliveries to {SERVERS} servers in {storm_time:?}; acknowledged per \
         server {:?}, {} deliveries retried elsewhere; every event stored once",
        log.acknowledged, log.retried
    );
    eprintln!(
        "outbox storm: {SENDS} sends delivered once each by {outbox_time:?}; {} requests, {} in flight at the kill \
         and resent after the {LEASE_MS} ms lease",
        state.requests.len(),
        held_at_kill.len()
    );
    // Stopped (SIGKILL, on drop) before the schema and roles are dropped.
    drop(servers);
    drop(store);
}

/// The refresh test's child: what it needs to refresh through its own store.
#[derive(serde::Serialize, serde::Deserialize)]
struct RefreshChild {
    app_url: String,
    keys: String,
    line_api: String,
    account: String,
    /// When to ask, in Unix milliseconds: all children at once.
    at_ms: i64,
}

/// The LINE channel whose token endpoint is the fake at `api` (short-lived tokens).
fn line_channel(api: &str) -> unibox_channel_line::LineChannel {
    use unibox_channel_line::{LineChannel, LineConfig, TokenIssuance};
    let config = LineConfig::builder()
        .channel_secret(SecretString::from("line-channel-secret-for-tests"))
        .channel_id("1657000000")
        .token_issuance(TokenIssuance::ShortLived)
        .api_base_url(api.parse().unwrap())
        .build()
        .unwrap();
    LineChannel::new(config).with_http_client(Arc::new(unibox::http::ReqwestClient::new()))
}

/// The child's part: one fresh-token request through a store of its own, printed.
async fn refresh_child(spec: &str) {
    let spec: RefreshChild = serde_json::from_str(spec).unwrap();
    let options = PostgresOptions::new(&spec.app_url).unwrap().pool_size(2);
    let keys = StoreKeys::try_from(Keyring::parse(&spec.keys).unwrap()).unwrap();
    let store = PostgresStore::connect(&options, keys).await.unwrap();
    let account = store.inbox().account(&tenant(), spec.account.parse().unwrap()).await.unwrap();
    let channel = line_channel(&spec.line_api);
    let wait = spec.at_ms - Timestamp::now().as_unix_millis();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
    let tokens = store.vault().get_fresh(&account, &channel).await.unwrap().expect("the account has tokens");
    println!("fresh token: {}", tokens.access_token.expose_secret());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refresh_in_three_processes_reaches_the_platform_once() {
    if let Ok(spec) = std::env::var(CHILD) {
        refresh_child(&spec).await;
        return;
    }
    let Some(database) = TestDatabase::create("postgres_processes_refresh").await else { return };
    // The fake LINE token endpoint: slow, so the three requests overlap.
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let line = serve(axum::Router::new().route(
        "/v2/oauth/accessToken",
        post(move || {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(300)).await;
                axum::Json(serde_json::json!({
                    "access_token": format!("line-token-{n}"), "expires_in": 2_592_000, "token_type": "Bearer"
                }))
            }
        }),
    ))
    .await;
    let line_api = format!("http://{line}/");

    let keys = Keyring::generate_entry(1);
    let store_keys = StoreKeys::try_from(Keyring::parse(&keys).unwrap()).unwrap();
    let store = PostgresStore::connect(&database.app_options(), store_keys).await.unwrap();
    let hub =
        Hub::builder(store.clone()).channel("line-acme".parse().unwrap(), Arc::new(line_channel(&line_api))).build();
    let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(
        tenant(),
        "line-acme".parse().unwrap(),
        ChannelKind::LINE,
        "U4af4980629c37e7b3ad0a4e2e0a8b2ed",
        Timestamp::now(),
    );
    // Expiring within the vault's refresh margin: the next use refreshes it.
    let mut expiring = TokenSet::new("line-token-0");
    expiring.expires_at = Some(Timestamp::now().saturating_add(Duration::from_secs(60)));
    let account = hub.ensure_account(&admin, account, Some(expiring)).await.unwrap();

    let spec = serde_json::to_string(&RefreshChild {
        app_url: database.app_url(),
        keys,
        line_api,
        account: account.id.to_string(),
        at_ms: Timestamp::now().as_unix_millis() + 3000,
    })
    .unwrap();
    let mut children = Vec::new();
    for _ in 0..3 {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([REFRESH_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, &spec)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push(tokio::task::spawn_blocking(move || child.wait_with_output()));
    }
    let mut tokens = Vec::new();
    for child in children {
        let output = tokio::time::timeout(Duration::from_secs(60), child).await.unwrap().unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "a child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let token = stdout
            .lines()
            .find_map(|l| l.split_once("fresh token: ").map(|(_, token)| token))
            .unwrap_or_else(|| panic!("the child printed no token:\n{stdout}"));
        tokens.push(token.to_owned());
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1, "exactly one refresh reached LINE");
    assert_eq!(tokens, vec!["line-token-1"; 3], "every process got the one fresh token");
    let stored = store.vault().get(&tenant(), account.id).await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose_secret(), "line-token-1");
    eprintln!("token refresh: 3 processes asked at once; 1 refresh reached the platform");
}
