//! A load generator for the webhook server: signed ~600-byte Standard Webhooks deliveries over
//! keep-alive HTTP/1.1 connections, each waiting for its answer before sending the next (the way
//! a platform's delivery workers behave), measuring throughput, latency percentiles and the
//! server's resident memory over time.
//!
//! Run the server pinned to one core and the generator to the other (see docs/performance.md):
//!
//! ```sh
//! cargo build --release -p unibox --example server --features server-axum,channel-messenger,channel-line
//! cargo build --release -p unibox-server-axum --example loadgen
//! export UNIBOX_ACME_ORDERS_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw   # loadgen's default secret
//! export UNIBOX_META_APP_SECRET=loadgen-app-secret UNIBOX_META_VERIFY_TOKEN=loadgen-verify
//! export UNIBOX_LINE_CHANNEL_SECRET=loadgen-app-secret
//! rm -f /tmp/unibox-loadgen.db*
//! UNIBOX_LOG=warn taskset -c 0 target/release/examples/server \
//!     --config crates/unibox-server-axum/examples/loadgen-server.toml &
//! taskset -c 1 target/release/examples/loadgen --url http://127.0.0.1:8080/webhooks/acme-orders \
//!     --account shop-bangkok --connections 32 --duration 60 --server-pid $!
//! # Messenger-shaped (app-level route, X-Hub-Signature-256):
//! taskset -c 1 target/release/examples/loadgen --shape messenger --url http://127.0.0.1:8080/webhooks/meta-app \
//!     --account 104729384756 --connections 32 --duration 60 --server-pid $!
//! # LINE-shaped (one bot, X-Line-Signature):
//! taskset -c 1 target/release/examples/loadgen --shape line --url http://127.0.0.1:8080/webhooks/line-acme \
//!     --account U4af4980629c37e7b3ad0a4e2e0a8b2ed --connections 32 --duration 60 --server-pid $!
//! ```
//!
//! Options (all optional except `--url`):
//! `--shape webhook|messenger|line` (default webhook), `--app-secret <s>` (messenger: the app
//! secret; line: the channel secret; default
//! `$UNIBOX_LOADGEN_APP_SECRET`, else `loadgen-app-secret`),
//! `--secret <whsec_...>` (default: `$UNIBOX_LOADGEN_SECRET`, else the public sandbox secret),
//! `--account <id>` (default `shop-bangkok`), `--connections <n>` (32), `--duration <s>` (30),
//! `--warmup <s>` (3, not measured), `--report <s>` (10, interval of the progress lines),
//! `--customers <n>` (10000 distinct senders, so conversations spread like real traffic),
//! `--rate <n>` (open loop: n webhooks per second in total on a fixed schedule, latency timed
//! from when each should have gone; default: closed loop, each connection as fast as answered),
//! `--server-pid <pid>` (sample the server's RSS from /proc every second).
//!
//! Every delivery has a fresh `webhook-id` (prefixed with the run's start time), so repeated runs
//! against one database store new events instead of hitting the duplicate path. Any answer other
//! than 200 is counted and reported by status.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use unibox_channel_messenger::AppSecret;
use unibox_channel_webhook::WebhookSecret;
use unibox_core::Timestamp;

const SANDBOX_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The body and signature scheme of the generated webhooks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Standard Webhooks (the generic webhook channel).
    Webhook,
    /// Meta's Messenger app-level webhook, `X-Hub-Signature-256`.
    Messenger,
    /// A LINE bot's webhook, `X-Line-Signature`.
    Line,
}

struct Options {
    shape: Shape,
    app_secret: String,
    addr: SocketAddr,
    host: String,
    path: String,
    secret: String,
    account: String,
    connections: usize,
    duration: Duration,
    warmup: Duration,
    report: Duration,
    customers: u64,
    server_pid: Option<u32>,
    /// Webhooks per second over all connections on a fixed schedule (open loop); `None`: each
    /// connection sends its next webhook as soon as the previous one is answered.
    rate: Option<f64>,
}

fn parse_options() -> Result<Options, String> {
    let mut url = None;
    let mut options = Options {
        shape: Shape::Webhook,
        app_secret: std::env::var("UNIBOX_LOADGEN_APP_SECRET").unwrap_or_else(|_| "loadgen-app-secret".to_string()),
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        host: String::new(),
        path: String::new(),
        secret: std::env::var("UNIBOX_LOADGEN_SECRET").unwrap_or_else(|_| SANDBOX_SECRET.to_string()),
        account: "shop-bangkok".into(),
        connections: 32,
        duration: Duration::from_secs(30),
        warmup: Duration::from_secs(3),
        report: Duration::from_secs(10),
        customers: 10_000,
        server_pid: None,
        rate: None,
    };
    let mut args = std::env::args().skip(1);
    let seconds = |v: Option<String>| -> Result<Duration, String> {
        let v = v.ok_or("missing value")?;
        v.parse::<f64>().map(Duration::from_secs_f64).map_err(|_| format!("not a number of seconds: {v}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => url = args.next(),
            "--shape" => {
                options.shape = match args.next().as_deref() {
                    Some("webhook") => Shape::Webhook,
                    Some("messenger") => Shape::Messenger,
                    Some("line") => Shape::Line,
                    _ => return Err("--shape is webhook, messenger or line".into()),
                }
            }
            "--app-secret" => options.app_secret = args.next().ok_or("--app-secret needs a value")?,
            "--secret" => options.secret = args.next().ok_or("--secret needs a value")?,
            "--account" => options.account = args.next().ok_or("--account needs a value")?,
            "--connections" => {
                options.connections = args.next().and_then(|v| v.parse().ok()).ok_or("--connections needs a number")?
            }
            "--customers" => {
                options.customers = args.next().and_then(|v| v.parse().ok()).ok_or("--customers needs a number")?
            }
            "--rate" => {
                let rate: f64 = args.next().and_then(|v| v.parse().ok()).ok_or("--rate needs webhooks per second")?;
                if !(rate > 0.0 && rate.is_finite()) {
                    return Err("--rate must be a positive number of webhooks per second".into());
                }
                options.rate = Some(rate);
            }
            "--duration" => options.duration = seconds(args.next())?,
            "--warmup" => options.warmup = seconds(args.next())?,
            "--report" => options.report = seconds(args.next())?,
            "--server-pid" => {
                options.server_pid = Some(args.next().and_then(|v| v.parse().ok()).ok_or("--server-pid needs a pid")?)
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let url: url::Url = url.ok_or("--url is required")?.parse().map_err(|e| format!("--url: {e}"))?;
    if url.scheme() != "http" {
        return Err("--url must be http:// (the generator speaks plain HTTP/1.1)".into());
    }
    let host = url.host_str().ok_or("--url needs a host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    options.addr = format!("{host}:{port}").parse().map_err(|_| "--url must name an IP address, e.g. 127.0.0.1")?;
    options.host = format!("{host}:{port}");
    options.path = url.path().to_string();
    options.connections = options.connections.max(1);
    Ok(options)
}

/// What the workers share.
struct Shared {
    options: Options,
    secret: WebhookSecret,
    run: u64,
    next: AtomicU64,
    stop: AtomicBool,
    /// Set once the warmup is over; only later answers are measured.
    measuring: AtomicBool,
    /// Latencies (µs) of the current report interval, and of the whole measured run.
    interval: Mutex<Vec<u32>>,
    all: Mutex<Vec<u32>>,
    statuses: Mutex<BTreeMap<u16, u64>>,
}

/// A ~600-byte delivery: one customer message, the size of a typical chat webhook.
fn body(account: &str, n: u64, customers: u64) -> String {
    let customer = n % customers.max(1);
    format!(
        r#"{{"account":"{account}","events":[{{"kind":{{"type":"message","customer":{{"kind":"external","id":"cust-{customer}","display_name":"Customer {customer}"}},"direction":"inbound","message_id":"lg-{n}","content":{{"type":"text","text":"Hello, I ordered a pair of running shoes last Tuesday (order #A{n}) and the tracking page still says the parcel is at the Bangkok sorting centre. Could you check whether it has left, and whether I can change the delivery address to my office? Thank you very much for your help."}}}}}}]}}"#
    )
}

/// A ~600-byte Messenger delivery: one page, one customer text message.
fn messenger_body(page: &str, run: u64, n: u64, customers: u64) -> String {
    let customer = 6_483_920_000 + n % customers.max(1);
    let at = Timestamp::now().as_unix_millis();
    format!(
        r#"{{"object":"page","entry":[{{"id":"{page}","time":{at},"messaging":[{{"sender":{{"id":"{customer}"}},"recipient":{{"id":"{page}"}},"timestamp":{at},"message":{{"mid":"m_lg_{run}_{n}","text":"Hello, I ordered a pair of running shoes last Tuesday (order #A{n}) and the tracking page still says the parcel is at the Bangkok sorting centre. Could you check whether it has left, and whether I can change the delivery address to my office? Thank you very much for your help, kind regards."}}}}]}}]}}"#
    )
}

/// A ~600-byte LINE delivery: one bot, one customer text message with its reply token.
fn line_body(bot: &str, run: u64, n: u64, customers: u64) -> String {
    let customer = n % customers.max(1);
    let at = Timestamp::now().as_unix_millis();
    format!(
        r#"{{"destination":"{bot}","events":[{{"type":"message","message":{{"type":"text","id":"{run}{n:08}","quoteToken":"q3Plxr4AgKd4BZnMsjrTQy_TjDCBh8qlzUE7Yrw4h7kq6T8G4a5V6yAnNSV8Sl0qPmh4vnFy","text":"Hello, I ordered running shoes last Tuesday (order #A{n}) and tracking still says Bangkok sorting centre. Has it left?"}},"webhookEventId":"01LG{run}{n:012}","deliveryContext":{{"isRedelivery":false}},"timestamp":{at},"source":{{"type":"user","userId":"U{customer:032x}"}},"replyToken":"{n:032x}","mode":"active"}}]}}"#
    )
}

fn request(shared: &Shared, n: u64) -> Vec<u8> {
    let options = &shared.options;
    match options.shape {
        Shape::Line => {
            let body = line_body(&options.account, shared.run, n, options.customers);
            let signature = unibox_channel_line::signature_header(&options.app_secret, body.as_bytes());
            post(options, &format!("X-Line-Signature: {signature}\r\n"), &body)
        }
        Shape::Messenger => {
            let body = messenger_body(&options.account, shared.run, n, options.customers);
            let signature = AppSecret::new(options.app_secret.as_str()).signature_header(body.as_bytes());
            post(options, &format!("X-Hub-Signature-256: {signature}\r\n"), &body)
        }
        Shape::Webhook => {
            let body = body(&options.account, n, options.customers);
            let id = format!("lg_{}_{n}", shared.run);
            let timestamp = Timestamp::now().as_unix_seconds();
            let signature = shared.secret.sign(&id, timestamp, body.as_bytes());
            let headers =
                format!("webhook-id: {id}\r\nwebhook-timestamp: {timestamp}\r\nwebhook-signature: {signature}\r\n");
            post(options, &headers, &body)
        }
    }
}

/// A keep-alive HTTP/1.1 POST of `body` (JSON) with the shape's signature `headers` (each line
/// ending in CRLF).
fn post(options: &Options, headers: &str, body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n",
        options.path,
        options.host,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body.as_bytes());
    request
}

/// Reads one response; returns its status. The server answers with `Content-Length`.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<u16> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).map_err(|_| invalid("head is not UTF-8"))?;
            let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).ok_or_else(|| invalid("no status"))?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + length;
            while buffer.len() < total {
                let mut chunk = [0u8; 4096];
                let read = stream.read(&mut chunk).await?;
                if read == 0 {
                    return Err(invalid("connection closed mid-body"));
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            buffer.drain(..total);
            return Ok(status);
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(invalid("connection closed"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// One keep-alive connection. Closed loop: the next webhook goes as soon as the previous one is
/// answered. With `--rate`: connection `index` of `n` sends on its own schedule, every
/// `n / rate` seconds, offset by `index / rate`; a webhook that could not go on time because
/// the previous answer came late is timed from when it should have gone, so a slow server is
/// not hidden by the generator slowing down with it (coordinated omission).
async fn worker(shared: Arc<Shared>, index: usize) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(shared.options.addr).await?;
    stream.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(8192);
    let mut latencies = Vec::with_capacity(16);
    let connections = shared.options.connections as f64;
    let schedule = shared.options.rate.map(|rate| {
        let interval = Duration::from_secs_f64(connections / rate);
        (interval, Instant::now() + Duration::from_secs_f64(index as f64 / rate))
    });
    let (interval, mut due) = schedule.unzip();
    while !shared.stop.load(Ordering::Relaxed) {
        let started = match due {
            None => Instant::now(),
            Some(due) => {
                let ready = Instant::now();
                if ready < due {
                    tokio::time::sleep_until(due.into()).await;
                    // On time: the timer's own lateness is the generator's, not the server's.
                    Instant::now()
                } else {
                    due
                }
            }
        };
        if let (Some(due), Some(interval)) = (due.as_mut(), interval) {
            *due += interval;
        }
        let n = shared.next.fetch_add(1, Ordering::Relaxed);
        let request = request(&shared, n);
        stream.write_all(&request).await?;
        let status = read_response(&mut stream, &mut buffer).await?;
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        if shared.measuring.load(Ordering::Relaxed) {
            latencies.push(micros);
            if status != 200 {
                *shared.statuses.lock().await.entry(status).or_insert(0) += 1;
            }
            // Small batches, so each progress line counts the answers of its own interval.
            if latencies.len() >= 16 {
                shared.interval.lock().await.extend_from_slice(&latencies);
                latencies.clear();
            }
        }
    }
    shared.interval.lock().await.extend_from_slice(&latencies);
    Ok(())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

/// CPU time (user + system) the process has used, from /proc (clock ticks of 10 ms).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesized command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse().ok())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options().map_err(|e| format!("{e}\nsee the header of examples/loadgen.rs for the options"))?;
    let secret = WebhookSecret::parse(SecretString::from(options.secret.clone()))?;
    let run = Timestamp::now().as_unix_millis() as u64;
    let pace = options.rate.map_or("as fast as answered".to_string(), |rate| format!("{rate:.0} webhooks/s"));
    println!(
        "loadgen: {} connections to http://{}{}, {pace}, for {:?} after {:?} warmup (run {run})",
        options.connections, options.host, options.path, options.duration, options.warmup
    );
    let shared = Arc::new(Shared {
        options,
        secret,
        run,
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        measuring: AtomicBool::new(false),
        interval: Mutex::new(Vec::new()),
        all: Mutex::new(Vec::new()),
        statuses: Mutex::new(BTreeMap::new()),
    });
    let mut workers = tokio::task::JoinSet::new();
    for index in 0..shared.options.connections {
        workers.spawn(worker(Arc::clone(&shared), index));
    }

    tokio::time::sleep(shared.options.warmup).await;
    shared.interval.lock().await.clear();
    shared.measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let cpu_at_start = shared.options.server_pid.and_then(cpu_seconds);
    let mut rss: Vec<u64> = Vec::new();
    let mut last_report = Instant::now();
    println!("{:>8} {:>10} {:>9} {:>9} {:>9} {:>10}", "t (s)", "req/s", "p50 ms", "p99 ms", "max ms", "RSS MiB");
    while started.elapsed() < shared.options.duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(pid) = shared.options.server_pid
            && let Some(kib) = rss_kib(pid)
        {
            rss.push(kib);
        }
        if last_report.elapsed() >= shared.options.report || started.elapsed() >= shared.options.duration {
            let mut interval = std::mem::take(&mut *shared.interval.lock().await);
            let seconds = last_report.elapsed().as_secs_f64();
            last_report = Instant::now();
            interval.sort_unstable();
            println!(
                "{:>8.0} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>10}",
                started.elapsed().as_secs_f64(),
                interval.len() as f64 / seconds,
                percentile(&interval, 50.0),
                percentile(&interval, 99.0),
                percentile(&interval, 100.0),
                rss.last().map_or("-".to_string(), |kib| format!("{:.1}", *kib as f64 / 1024.0)),
            );
            shared.all.lock().await.extend_from_slice(&interval);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_used = shared.options.server_pid.and_then(cpu_seconds).zip(cpu_at_start).map(|(end, start)| end - start);
    shared.stop.store(true, Ordering::Relaxed);
    let mut failures = 0;
    while let Some(result) = workers.join_next().await {
        if let Ok(Err(error)) = result {
            failures += 1;
            eprintln!("loadgen: a connection failed: {error}");
        }
    }
    let mut all = std::mem::take(&mut *shared.all.lock().await);
    all.extend(shared.interval.lock().await.drain(..));
    all.sort_unstable();
    let statuses = shared.statuses.lock().await.clone();
    println!("\nmeasured {} requests in {elapsed:.1} s: {:.0} webhooks/s", all.len(), all.len() as f64 / elapsed);
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        percentile(&all, 50.0),
        percentile(&all, 90.0),
        percentile(&all, 99.0),
        percentile(&all, 99.9),
        percentile(&all, 100.0)
    );
    println!("answers other than 200: {statuses:?}; broken connections: {failures}");
    if let Some(cpu) = cpu_used {
        // What the server would sustain on a core of its own: the machine may be shared.
        let per_webhook = cpu / all.len().max(1) as f64;
        println!(
            "server CPU: {cpu:.1} s in {elapsed:.1} s ({:.0}% of a core), {:.1} µs per webhook, about {:.0} webhooks/s per free core",
            100.0 * cpu / elapsed,
            per_webhook * 1e6,
            1.0 / per_webhook
        );
    }
    if let (Some(first), Some(last), Some(max)) = (rss.first(), rss.last(), rss.iter().max()) {
        println!(
            "server RSS MiB: first {:.1}  last {:.1}  max {:.1}",
            *first as f64 / 1024.0,
            *last as f64 / 1024.0,
            *max as f64 / 1024.0
        );
    }
    Ok(())
}
