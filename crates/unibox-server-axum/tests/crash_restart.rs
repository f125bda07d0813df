//! Crash safety of ingest: a real server process on a SQLite file takes a storm of signed
//! webhooks and is killed with SIGKILL at a random moment, three times over. After each kill,
//! every webhook that was answered 200 is stored exactly once; after a restart, redelivering
//! everything stores each event once and adds nothing to what was acknowledged.
//!
//! The test binary is its own server: run with `--serve <db>` it serves until killed. It has no
//! libtest harness (`harness = false`) so it can be both. The seed of the kill times is printed;
//! `UNIBOX_CRASH_SEED=<n>` replays one.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{SECRET, message_delivery, now};
use secrecy::SecretString;
use unibox_channel_webhook::WebhookSecret;
use unibox_core::Hub;
use unibox_server_axum::WebhookServer;
use unibox_store_sqlite::SqliteInbox;

const ROUNDS: usize = 3;
const CONNECTIONS: usize = 16;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        let db = PathBuf::from(args.get(at + 1).expect("--serve needs the database path"));
        runtime().block_on(serve(&db));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        println!("acknowledged_webhooks_survive_kill_9: test");
        return;
    }
    println!("running 1 test");
    runtime().block_on(acknowledged_webhooks_survive_kill_9());
    println!("test acknowledged_webhooks_survive_kill_9 ... ok");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The child: a server on `db` that prints its address and serves until killed.
async fn serve(db: &Path) {
    let hub = common::sqlite_hub_on(db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap());
    unibox_server_axum::serve(listener, WebhookServer::new(hub).router(), std::future::pending()).await.unwrap();
}

/// A child server, killed when dropped so a failing test leaves no process behind.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(db: &Path) -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--serve")
            .arg(db)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("child said {line:?}"));
        ServerProcess { addr: addr.parse().unwrap(), child }
    }

    /// SIGKILL: no destructor, no flush, no graceful anything.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs delivery `n`, signed now; `Some(status)`, or `None` when the connection failed.
async fn deliver(http: &reqwest::Client, addr: SocketAddr, n: usize) -> Option<u16> {
    let secret = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
    let delivery = message_delivery("shop-1", n);
    let timestamp = now();
    let response = http
        .post(format!("http://{addr}/webhooks/acme-orders"))
        .header("webhook-id", &delivery.webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", secret.sign(&delivery.webhook_id, timestamp, delivery.body.as_bytes()))
        .body(delivery.body)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

/// Delivery numbers from `next` on, over `CONNECTIONS` connections, until the server dies;
/// the numbers answered 200 go to `acked`.
async fn storm(addr: SocketAddr, next: Arc<AtomicUsize>, dead: Arc<AtomicBool>, acked: Arc<Mutex<Vec<usize>>>) {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (next, dead, acked) = (Arc::clone(&next), Arc::clone(&dead), Arc::clone(&acked));
        workers.spawn(async move {
            let http = reqwest::Client::new();
            while !dead.load(Ordering::SeqCst) {
                let n = next.fetch_add(1, Ordering::SeqCst);
                match deliver(&http, addr, n).await {
                    Some(200) => acked.lock().unwrap().push(n),
                    Some(status) => panic!("delivery {n} was answered {status} before the crash"),
                    None => break,
                }
            }
        });
    }
    workers.join_all().await;
}

/// Each delivery number stored, with how many times (reading the file the server left behind).
async fn stored(db: &Path) -> HashMap<usize, usize> {
    let inbox = SqliteInbox::open(db).await.unwrap();
    let hub = Hub::builder(unibox_core::memory::MemoryStore::with_inbox(Arc::new(inbox))).build();
    let mut counts = HashMap::new();
    for id in common::stored_message_ids(&hub, "acme").await {
        let n: usize = id.strip_prefix("m-").unwrap().parse().unwrap();
        *counts.entry(n).or_insert(0) += 1;
    }
    counts
}

/// A small deterministic generator for the kill times, so a failing seed can be replayed.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn acknowledged_webhooks_survive_kill_9() {
    let seed = std::env::var("UNIBOX_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("seed {seed} (UNIBOX_CRASH_SEED={seed} replays these kill times)");
    let mut random = seed;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inbox.db");
    let next = Arc::new(AtomicUsize::new(0));
    let mut acked_total: HashSet<usize> = HashSet::new();

    for round in 1..=ROUNDS {
        let server = ServerProcess::start(&db);
        let dead = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let storming = tokio::spawn(storm(server.addr, Arc::clone(&next), Arc::clone(&dead), Arc::clone(&acked)));
        // The storm is under way once the first answer came back (a loaded CI machine takes a
        // while to open 16 connections); the kill falls anywhere in the next 1.5 s.
        while acked.lock().unwrap().is_empty() {
            assert!(!storming.is_finished(), "round {round}: the storm ended before any delivery was acknowledged");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let kill_after = Duration::from_millis(next_random(&mut random) % 1500);
        tokio::time::sleep(kill_after).await;
        server.kill_9();
        dead.store(true, Ordering::SeqCst);
        storming.await.unwrap();
        let acked = std::mem::take(&mut *acked.lock().unwrap());
        let sent = next.load(Ordering::SeqCst);

        let counts = stored(&db).await;
        for n in &acked {
            assert_eq!(counts.get(n), Some(&1), "round {round}: acknowledged delivery {n} is not stored exactly once");
        }
        assert!(counts.values().all(|c| *c == 1), "round {round}: an event is stored twice");
        acked_total.extend(&acked);
        println!(
            "round {round}: killed {kill_after:?} after the first answer; {} acknowledged, {} stored, {} sent so far",
            acked.len(),
            counts.len(),
            sent
        );
    }

    // The platform redelivers everything it ever sent (the acknowledged ones too).
    let sent = next.load(Ordering::SeqCst);
    let server = ServerProcess::start(&db);
    let http = reqwest::Client::new();
    let ready = http.get(format!("http://{}/ready", server.addr)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let redelivery = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (redelivery, http, addr) = (Arc::clone(&redelivery), http.clone(), server.addr);
        workers.spawn(async move {
            loop {
                let n = redelivery.fetch_add(1, Ordering::SeqCst);
                if n >= sent {
                    break;
                }
                assert_eq!(deliver(&http, addr, n).await, Some(200), "redelivery of {n}");
            }
        });
    }
    workers.join_all().await;
    server.kill_9();

    let counts = stored(&db).await;
    assert_eq!(counts.len(), sent, "every delivery sent is stored after the redelivery");
    assert!((0..sent).all(|n| counts.get(&n) == Some(&1)), "each delivery is stored exactly once");
    assert!(acked_total.iter().all(|n| counts.get(n) == Some(&1)));
    println!("after redelivering {sent}: {} stored, each once", counts.len());
}
