//! Hostile clients against the webhook server, each case on a server child process of its own
//! (so its memory and its open-file limit are its own), on loopback only: attackers connect
//! from 127.0.0.2 and up (all loopback on Linux), the valid sender from 127.0.0.1.
//!
//! Every case runs valid signed webhooks from another client while the attack is on and asserts
//! that each is answered `200` (p99 under 1 s) and stored exactly once, and that the server's
//! peak resident memory stays under [`MEMORY_BOUND_MIB`]. The whole suite takes about 20 s.
//!
//! A full disk runs on a small file system of its own in tests/disk_full.rs (tests/http.rs
//! covers readiness when writes fail).

mod common;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{SECRET, message_delivery, now, stored_message_ids};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use unibox_channel_webhook::WebhookSecret;
use unibox_server_axum::{ConnectionLimits, WebhookServer};

/// The peak resident memory a server child may reach in any case, in MiB: the SQLite page
/// caches, up to 1,100 connections' buffers and the runtime.
const MEMORY_BOUND_MIB: u64 = 256;
/// Valid webhooks sent during each attack.
const VALID_WEBHOOKS: usize = 120;

/// One attack, run to completion.
type Case = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;
/// A case and its name.
type Named = (&'static str, fn() -> Case);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        let options = ChildOptions::parse(&args[at + 1..]);
        runtime().block_on(serve(options));
        return;
    }
    raise_own_file_limit();
    let cases: [Named; 5] = [
        ("slow_headers_are_cut_off_and_valid_webhooks_keep_flowing", || Box::pin(slow_headers())),
        ("slow_bodies_never_hold_the_slots_that_store", || Box::pin(slow_bodies())),
        ("idle_connections_at_a_low_file_limit_never_stop_accepting", || Box::pin(idle_connections())),
        ("oversized_headers_get_431_and_cost_little", || Box::pin(oversized_headers())),
        ("head_get_with_body_and_duplicate_signatures_store_nothing", || Box::pin(odd_requests())),
    ];
    println!("running {} tests", cases.len());
    let runtime = runtime();
    for (name, case) in cases {
        let started = Instant::now();
        runtime.block_on(case());
        println!("test {name} ... ok ({:.1} s)", started.elapsed().as_secs_f64());
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The parent opens over a thousand sockets; the soft limit may be lower than that.
fn raise_own_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(Resource::Nofile, Rlimit { current: limit.maximum, maximum: limit.maximum });
}

/// What the child server is configured with.
#[derive(Clone, Debug)]
struct ChildOptions {
    db: String,
    /// Soft and hard open-file limit of the child, if lowered.
    nofile: Option<u64>,
    max_in_flight: usize,
    header_read_timeout_ms: u64,
    idle_timeout_ms: u64,
    body_timeout_ms: u64,
    per_peer: usize,
}

impl ChildOptions {
    fn new(db: &Path) -> Self {
        ChildOptions {
            db: db.display().to_string(),
            nofile: None,
            max_in_flight: 1024,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 5_000,
            body_timeout_ms: 10_000,
            per_peer: 256,
        }
    }

    fn to_args(&self) -> Vec<String> {
        vec![
            self.db.clone(),
            self.nofile.map_or("-".into(), |n| n.to_string()),
            self.max_in_flight.to_string(),
            self.header_read_timeout_ms.to_string(),
            self.idle_timeout_ms.to_string(),
            self.body_timeout_ms.to_string(),
            self.per_peer.to_string(),
        ]
    }

    fn parse(args: &[String]) -> Self {
        let number = |i: usize| args[i].parse::<u64>().unwrap();
        ChildOptions {
            db: args[0].clone(),
            nofile: args[1].parse().ok(),
            max_in_flight: number(2) as usize,
            header_read_timeout_ms: number(3),
            idle_timeout_ms: number(4),
            body_timeout_ms: number(5),
            per_peer: number(6) as usize,
        }
    }
}

/// The child: lowers its own open-file limit if asked, then serves until killed.
async fn serve(options: ChildOptions) {
    if let Some(nofile) = options.nofile {
        use rustix::process::{Resource, Rlimit, setrlimit};
        setrlimit(Resource::Nofile, Rlimit { current: Some(nofile), maximum: Some(nofile) }).unwrap();
    }
    let hub = common::sqlite_hub_on(Path::new(&options.db)).await;
    let router = WebhookServer::new(hub)
        .max_in_flight(options.max_in_flight)
        .body_timeout(Duration::from_millis(options.body_timeout_ms))
        .router();
    let limits = ConnectionLimits::default()
        .header_read_timeout(Duration::from_millis(options.header_read_timeout_ms))
        .idle_timeout(Duration::from_millis(options.idle_timeout_ms))
        .max_connections_per_peer(options.per_peer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap());
    unibox_server_axum::serve_with(listener, router, limits, std::future::pending()).await.unwrap();
}

/// A server child, killed when dropped (so a failing case leaves no process behind).
struct Server {
    child: Child,
    addr: SocketAddr,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(configure: impl FnOnce(&mut ChildOptions)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inbox.db");
        let mut options = ChildOptions::new(&db);
        configure(&mut options);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--serve")
            .args(options.to_args())
            .stdout(Stdio::piped())
            .env("UNIBOX_LOG", "off")
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening ").unwrap_or_else(|| panic!("child said {line:?}"));
        Server { addr: addr.parse().unwrap(), child, db, _dir: dir }
    }

    /// The child's peak resident memory, in MiB.
    fn peak_memory_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
    }

    /// Stops the child and checks that each of `acknowledged` is stored exactly once, and that
    /// its peak memory stayed under the bound.
    async fn finish(mut self, acknowledged: &[usize]) {
        let peak = self.peak_memory_mib();
        assert!(peak < MEMORY_BOUND_MIB, "the server peaked at {peak} MiB (bound {MEMORY_BOUND_MIB} MiB)");
        let _ = self.child.kill();
        self.child.wait().unwrap();
        let hub = common::sqlite_hub_on(&self.db).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let stored = loop {
            let stored = stored_message_ids(&hub, "acme").await;
            if stored.len() >= acknowledged.len() || Instant::now() > deadline {
                break stored;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        for n in acknowledged {
            let id = format!("m-{n}");
            assert_eq!(stored.iter().filter(|s| **s == id).count(), 1, "{id} is stored once");
        }
        assert_eq!(stored.len(), acknowledged.len(), "nothing else was stored");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `VALID_WEBHOOKS` signed webhooks from 127.0.0.1 over 4 connections; asserts each got
/// 200 and the p99 latency is under 1 s; returns their numbers.
async fn valid_traffic(addr: SocketAddr) -> Vec<usize> {
    let secret = Arc::new(WebhookSecret::parse(SecretString::from(SECRET)).unwrap());
    let mut senders = tokio::task::JoinSet::new();
    for lane in 0..4 {
        let secret = Arc::clone(&secret);
        senders.spawn(async move {
            let http = reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::LOCALHOST)).build().unwrap();
            let mut latencies = Vec::new();
            for n in (lane..VALID_WEBHOOKS).step_by(4) {
                let delivery = message_delivery("shop-1", n);
                let timestamp = now();
                let started = Instant::now();
                let response = http
                    .post(format!("http://{addr}/webhooks/acme-orders"))
                    .header("content-type", "application/json")
                    .header("webhook-id", &delivery.webhook_id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", secret.sign(&delivery.webhook_id, timestamp, delivery.body.as_bytes()))
                    .body(delivery.body)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("valid webhook {n} failed: {e}"));
                assert_eq!(response.status(), 200, "valid webhook {n}: {:?}", response.text().await);
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            latencies
        });
    }
    let mut latencies: Vec<Duration> = senders.join_all().await.into_iter().flatten().collect();
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100 - 1];
    assert!(p99 < Duration::from_secs(1), "p99 of valid webhooks under attack: {p99:?}");
    (0..VALID_WEBHOOKS).collect()
}

/// A connection to the server from loopback address 127.0.0.`host`.
async fn connect_from(host: u8, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0))?;
    socket.connect(server).await
}

/// Whether `stream` is closed by the server within `within` (reads to EOF or fails).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut sink = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

/// 300 connections from three addresses send a request head one byte every 200 ms.
async fn slow_headers() {
    let server = Server::start(|o| {
        o.header_read_timeout_ms = 1_000;
        o.idle_timeout_ms = 1_000;
    });
    let addr = server.addr;
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..300u16 {
        attackers.spawn(async move {
            let mut stream = connect_from(2 + (i % 3) as u8, addr).await.unwrap();
            let started = Instant::now();
            stream.write_all(b"POST /webhooks/acme-orders HTTP/1.1\r\nhost: x\r\n").await.unwrap();
            // Trickle a header until the server hangs up; a write after it did fails.
            while started.elapsed() < Duration::from_secs(6) {
                if stream.write_all(b"x").await.is_err() {
                    return started.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            started.elapsed()
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let acknowledged = valid_traffic(addr).await;
    for cut_after in attackers.join_all().await {
        assert!(cut_after < Duration::from_secs(4), "a slow header was served for {cut_after:?}");
    }
    server.finish(&acknowledged).await;
}

/// 200 connections send full headers and `{` of a 600-byte body, then wait; the server has 8
/// slots for verifying and storing.
async fn slow_bodies() {
    let server = Server::start(|o| {
        o.max_in_flight = 8;
        o.body_timeout_ms = 2_000;
    });
    let addr = server.addr;
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..200u16 {
        attackers.spawn(async move {
            let mut stream = connect_from(5 + (i % 2) as u8, addr).await.unwrap();
            stream
                .write_all(b"POST /webhooks/acme-orders HTTP/1.1\r\nhost: x\r\ncontent-length: 600\r\n\r\n{")
                .await
                .unwrap();
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(6), stream.read_to_end(&mut answer)).await;
            String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string()
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let acknowledged = valid_traffic(addr).await;
    for status_line in attackers.join_all().await {
        assert!(status_line.starts_with("HTTP/1.1 408"), "a slow body was answered {status_line:?}");
    }
    server.finish(&acknowledged).await;
}

/// The server runs with an open-file limit of 256; 1,100 connections from 20 addresses (55
/// each, under the per-peer cap) open and send nothing, plus 300 more from a single address.
async fn idle_connections() {
    let server = Server::start(|o| {
        o.nofile = Some(256);
        o.per_peer = 64;
    });
    let addr = server.addr;
    let mut idle = Vec::new();
    for i in 0..1_100u16 {
        if let Ok(stream) = connect_from(10 + (i % 20) as u8, addr).await {
            idle.push(stream);
        }
    }
    // Let the refusals of the first wave finish (each takes up to 500 ms, 64 at a time).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut one_peer = Vec::new();
    for _ in 0..300 {
        if let Ok(stream) = connect_from(40, addr).await {
            one_peer.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let http = reqwest::Client::new();
    let health = http.get(format!("http://{addr}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "/health answers while the server is full of idle connections");
    let acknowledged = valid_traffic(addr).await;
    // Connections beyond one address's share were refused: answered 503 with Retry-After, or
    // closed at once while more than 64 refusals were being written.
    let (mut answered_503, mut closed) = (0, 0);
    for stream in &mut one_peer {
        let mut head = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(20), stream.read(&mut head)).await {
            Ok(Ok(n)) if head[..n].starts_with(b"HTTP/1.1 503") => {
                assert!(String::from_utf8_lossy(&head[..n]).contains("retry-after: "), "a 503 without Retry-After");
                answered_503 += 1;
            }
            Ok(Ok(0) | Err(_)) => closed += 1,
            _ => {}
        }
    }
    assert!(answered_503 > 0, "no excess connection of the single address was answered 503");
    assert!(answered_503 + closed >= 300 - 64, "only {answered_503} + {closed} excess connections were refused");
    drop((idle, one_peer));
    server.finish(&acknowledged).await;
}

/// 50 connections send a 400 KiB header.
async fn oversized_headers() {
    let server = Server::start(|_| {});
    let addr = server.addr;
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..50u16 {
        attackers.spawn(async move {
            let mut stream = connect_from(50 + (i % 2) as u8, addr).await.unwrap();
            let mut head = b"POST /webhooks/acme-orders HTTP/1.1\r\nhost: x\r\nx-big: ".to_vec();
            head.extend(std::iter::repeat_n(b'a', 400 * 1024));
            let _ = stream.write_all(&head).await;
            let mut answer = vec![0u8; 64];
            let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut answer)).await.ok()?.ok()?;
            Some(String::from_utf8_lossy(&answer[..n]).to_string())
        });
    }
    let acknowledged = valid_traffic(addr).await;
    for answer in attackers.join_all().await {
        // hyper answers 431; a client still writing may see the close first.
        assert!(answer.as_deref().is_none_or(|a| a.starts_with("HTTP/1.1 431") || a.is_empty()), "{answer:?}");
    }
    assert!(closed_within(&mut connect_from(52, addr).await.unwrap(), Duration::from_secs(11)).await);
    server.finish(&acknowledged).await;
}

/// A signed HEAD, a signed GET with a body and a POST with two signature headers (one valid).
async fn odd_requests() {
    let server = Server::start(|_| {});
    let addr = server.addr;
    let secret = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
    let http = reqwest::Client::new();
    let odd = message_delivery("shop-1", 10_000);
    let timestamp = now();
    let signature = secret.sign(&odd.webhook_id, timestamp, odd.body.as_bytes());
    let signed = |method: reqwest::Method| {
        http.request(method, format!("http://{addr}/webhooks/acme-orders"))
            .header("webhook-id", &odd.webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", &signature)
            .body(odd.body.clone())
    };
    assert_eq!(signed(reqwest::Method::HEAD).send().await.unwrap().status(), 405);
    assert_eq!(signed(reqwest::Method::GET).send().await.unwrap().status(), 405);
    assert_eq!(signed(reqwest::Method::PUT).send().await.unwrap().status(), 405);
    let twice = signed(reqwest::Method::POST).header("webhook-signature", "v1,bm90IHRoZSBzaWduYXR1cmU=");
    assert_eq!(twice.send().await.unwrap().status(), 401);
    let acknowledged = valid_traffic(addr).await;
    // finish() checks that only the valid webhooks were stored: none of the odd ones.
    server.finish(&acknowledged).await;
}
