//! A load harness for the PostgreSQL store: durable ingest throughput from several processes, and
//! the latency of the inbox's reads over a 1,000,000-message tenant.
//!
//! It runs against the PostgreSQL of `UNIBOX_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) in a schema of its own
//! ([`TestDatabase::named`]: `ubx_<schema>`, kept between runs). Build it in release:
//!
//! ```sh
//! cargo build --release -p unibox-store-postgres --example pgload
//! # Ingest: 2 processes × 32 tasks, one event per call (a webhook delivery), 20 s after 3 s of warm-up
//! target/release/examples/pgload ingest --processes 2 --tasks 32 --batch 1 --duration 20 --fresh
//! # Build the 1,000,000-message search fixture once (resumes if interrupted), then time the reads
//! target/release/examples/pgload seed --messages 1000000
//! target/release/examples/pgload read --samples 200
//! ```
//!
//! `ingest` stores realistic Messenger customer messages (the testkit's fixtures: a Thai and
//! English order question of about 260 characters, from `--customers` distinct customers) through
//! the store's [`EventIngest`] port, as the hub does for each webhook delivery (`accept` with the
//! delivery's events: `--batch`), from `--tasks` concurrent tasks per process. With
//! `--processes N` it runs N copies of itself at once on the same schema and sums them. Every
//! call commits before it returns (`synchronous_commit` as the server has it, `on` by default).
//! It prints events/s, the per-call latency and the machine's CPU use during the measured window.
//!
//! `seed` stores `--messages` messages of `unibox_testkit::corpus` (the texts the SQLite search
//! bench uses) from 20,000 customers into tenant `acme` of schema `search_1m`, 2,000 events per
//! call, four calls at once. `read` then times the first page of the conversation list, the
//! newest page of a conversation's messages, and two-word searches (the corpus's pairs), each
//! `--samples` times, and prints the median, 90th percentile and minimum.
//!
//! Options: `--schema <name>` (`ingest`: `ingest_load`; `seed`/`read`: `search_1m`),
//! `--processes <n>` (1), `--tasks <n>` (32), `--batch <n>` (1), `--duration <s>` (20),
//! `--warmup <s>` (3), `--customers <n>` (10000), `--fresh` (drop the schema first),
//! `--messages <n>` (1000000), `--samples <n>` (200).

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use unibox_core::inbox::{ConversationQuery, EventIngest, InboxReads, MessageQuery, RoutedEvent, SearchQuery};
use unibox_core::store::Store;
use unibox_core::{ChannelAccount, ChannelAccountId, IdentityKind, Timestamp};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::corpus;
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, StoreKeys};

const SEED_CUSTOMERS: u64 = 20_000;
const SEED_BATCH: u64 = 2_000;

#[derive(Clone, Debug)]
struct Options {
    mode: String,
    schema: Option<String>,
    processes: usize,
    tasks: usize,
    batch: u64,
    duration: u64,
    warmup: u64,
    customers: u64,
    fresh: bool,
    messages: u64,
    samples: usize,
    /// Set on the copies `--processes` starts: their index and the common start (Unix ms).
    child: Option<(usize, u64)>,
}

fn parse() -> Options {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| usage("a mode: ingest, seed or read"));
    let mut options = Options {
        mode,
        schema: None,
        processes: 1,
        tasks: 32,
        batch: 1,
        duration: 20,
        warmup: 3,
        customers: 10_000,
        fresh: false,
        messages: 1_000_000,
        samples: 200,
        child: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("a value after {flag}")));
        let number = |text: String| text.parse::<u64>().unwrap_or_else(|_| usage(&format!("a number, not {text:?}")));
        match flag.as_str() {
            "--schema" => options.schema = Some(value()),
            "--processes" => options.processes = number(value()).max(1) as usize,
            "--tasks" => options.tasks = number(value()).max(1) as usize,
            "--batch" => options.batch = number(value()).max(1),
            "--duration" => options.duration = number(value()).max(1),
            "--warmup" => options.warmup = number(value()),
            "--customers" => options.customers = number(value()).max(1),
            "--messages" => options.messages = number(value()).max(1),
            "--samples" => options.samples = number(value()).max(1) as usize,
            "--fresh" => options.fresh = true,
            "--child" => {
                let index = number(value()) as usize;
                let start = number(value());
                options.child = Some((index, start));
            }
            other => usage(&format!("a known option, not {other:?}")),
        }
    }
    options
}

fn usage(expected: &str) -> ! {
    eprintln!("pgload: expected {expected}; see the header of examples/pgload.rs");
    std::process::exit(2)
}

fn keys() -> StoreKeys {
    // A fixed bench key, so a fixture built by one run opens in the next.
    StoreKeys::try_from(Keyring::new().with_key(1, [0x5e; 32])).expect("keys")
}

/// The one Messenger page every process stores to (a fixed id, so all of them find it).
fn page_account() -> ChannelAccount {
    let mut account = fixtures::messenger_account(&fixtures::tenant("acme"));
    account.id = ChannelAccountId::from_bytes([42; 16]);
    account
}

async fn open(schema: &str, fresh: bool, pool: usize) -> (TestDatabase, Store) {
    let database = TestDatabase::named(schema, fresh).await.expect("PostgreSQL is reachable");
    let options = database.app_options().pool_size(pool);
    let store = PostgresStore::connect(&options, keys()).await.expect("connect the store");
    (database, Store::from(store))
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Busy and total jiffies of the whole machine (`/proc/stat`).
fn machine_jiffies() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    let total: u64 = fields.iter().sum();
    // idle and iowait
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// CPU ticks of every PostgreSQL process (`/proc/<pid>/stat` of processes named `postgres`) by
/// pid, and of those serving `role` (their command line, `postgres: <cluster>: <role> <db> ...`,
/// names it).
fn postgres_ticks(role: &str) -> (HashMap<u32, u64>, HashMap<u32, u64>) {
    let (mut all, mut mine) = (HashMap::new(), HashMap::new());
    let Ok(entries) = std::fs::read_dir("/proc") else { return (all, mine) };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        if !stat.contains("(postgres)") {
            continue;
        }
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = fields.get(11).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0)
            + fields.get(12).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        all.insert(pid, ticks);
        let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
        if cmdline.contains(&format!(": {role} ")) {
            mine.insert(pid, ticks);
        }
    }
    (all, mine)
}

/// Seconds of CPU the processes in `after` used since `before` (new processes from zero).
fn ticks_since(before: &HashMap<u32, u64>, after: &HashMap<u32, u64>) -> f64 {
    after.iter().map(|(pid, ticks)| ticks.saturating_sub(before.get(pid).copied().unwrap_or(0))).sum::<u64>() as f64
        / 100.0
}

/// This process's CPU time (user + system), from `/proc/self/stat`, in seconds.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A realistic Messenger customer message, about 260 characters of Thai and English.
fn order_message(events: &AccountEvents, process: usize, run: u64, n: u64, customers: u64) -> RoutedEvent {
    let customer = fixtures::customer(IdentityKind::PageScopedId, (n % customers) as u32);
    let text = format!(
        "{} {} Order #TH{n:08}, ship to Chiang Mai please. I paid by bank transfer already, thank you!",
        fixtures::THAI_ORDER_TEXT,
        fixtures::ENGLISH_ORDER_TEXT
    );
    let mid = format!("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fp{run}{process:02}{n:012}");
    let event_id = format!("{}-{run}-{process}-{n:012}-messaging", fixtures::MESSENGER_PAGE_ID);
    let at = Timestamp::from_unix_millis(fixtures::BASE_TIME.as_unix_millis() + n as i64);
    events.text(&event_id, &customer, &mid, &text, at)
}

/// What one process measured.
struct Measured {
    events: u64,
    calls: Vec<u64>,
    cpu_seconds: f64,
}

async fn ingest_process(options: &Options, index: usize, start_millis: u64) -> Measured {
    let schema = options.schema.clone().unwrap_or_else(|| "ingest_load".to_owned());
    let (_database, store) = open(&schema, false, options.tasks).await;
    let account = page_account();
    store.accounts.save_account(&account).await.expect("save the account");
    let events = AccountEvents::new(&account);
    let ingest: Arc<dyn EventIngest> = store.ingest.clone();
    let next = Arc::new(AtomicU64::new(0));
    let counted = Arc::new(AtomicU64::new(0));
    let run = start_millis;
    let begin = UNIX_EPOCH + Duration::from_millis(start_millis);
    let wait = begin.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::sleep(wait).await;
    let started = Instant::now();
    let (window_start, window_end) =
        (Duration::from_secs(options.warmup), Duration::from_secs(options.warmup + options.duration));
    let mut handles = Vec::new();
    for _ in 0..options.tasks {
        let (ingest, next, counted, events) = (ingest.clone(), next.clone(), counted.clone(), events.clone());
        let (batch, customers) = (options.batch, options.customers);
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < window_end {
                let first = next.fetch_add(batch, Ordering::Relaxed);
                let call: Vec<RoutedEvent> =
                    (first..first + batch).map(|n| order_message(&events, index, run, n, customers)).collect();
                let sent = Instant::now();
                let at = sent.duration_since(started);
                let outcomes = ingest.accept(call).await.expect("ingest");
                let done = started.elapsed();
                assert_eq!(outcomes.len() as u64, batch);
                if at >= window_start && done <= window_end {
                    counted.fetch_add(batch, Ordering::Relaxed);
                    latencies.push(sent.elapsed().as_micros() as u64);
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(window_start).await;
    let cpu_at_start = process_cpu_seconds();
    let mut calls = Vec::new();
    for handle in handles {
        calls.extend(handle.await.expect("task"));
    }
    let cpu_seconds = process_cpu_seconds() - cpu_at_start;
    // Keep the connections (and their backends' CPU counters) until the parent has read them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Measured { events: counted.load(Ordering::Relaxed), calls, cpu_seconds }
}

fn run_ingest(options: &Options) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    if let Some((index, start)) = options.child {
        let measured = runtime.block_on(ingest_process(options, index, start));
        let calls: Vec<String> = measured.calls.iter().map(u64::to_string).collect();
        println!("RESULT {} {} {}", measured.events, measured.cpu_seconds, calls.join(","));
        return;
    }
    let schema = options.schema.clone().unwrap_or_else(|| "ingest_load".to_owned());
    // Create (or recreate) and migrate the schema once, before the processes start.
    runtime.block_on(async {
        let (_database, store) = open(&schema, options.fresh, 2).await;
        store.accounts.save_account(&page_account()).await.expect("save the account");
    });
    let start = now_millis() + 2_000;
    let window = options.duration as f64;
    let (measure_start, measure_end) = (
        Duration::from_millis((start + options.warmup * 1_000).saturating_sub(now_millis())),
        Duration::from_secs(options.duration),
    );
    let mut children = Vec::new();
    let exe = std::env::current_exe().expect("own path");
    for index in 0..options.processes {
        let mut command = Command::new(&exe);
        command.arg("ingest").args(["--schema", &schema]);
        for (flag, value) in [
            ("--tasks", options.tasks as u64),
            ("--batch", options.batch),
            ("--duration", options.duration),
            ("--warmup", options.warmup),
            ("--customers", options.customers),
        ] {
            command.args([flag, &value.to_string()]);
        }
        command.args(["--child", &index.to_string(), &start.to_string()]).stdout(Stdio::piped());
        children.push(command.spawn().expect("start a process"));
    }
    std::thread::sleep(measure_start);
    let role = format!("ubx_{schema}_app");
    let (busy_before, total_before) = machine_jiffies();
    let (postgres_before, backends_before) = postgres_ticks(&role);
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    std::thread::sleep(measure_end);
    let (busy_after, total_after) = machine_jiffies();
    let (postgres_after, backends_after) = postgres_ticks(&role);
    let (postgres_cpu, backends_cpu) =
        (ticks_since(&postgres_before, &postgres_after), ticks_since(&backends_before, &backends_after));
    let mut events = 0;
    let mut client_cpu = 0.0;
    let mut calls = Vec::new();
    for (index, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("a process's result");
        assert!(output.status.success(), "process {index} failed");
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().find(|line| line.starts_with("RESULT ")).expect("a RESULT line");
        let mut parts = line.split(' ').skip(1);
        let count: u64 = parts.next().and_then(|v| v.parse().ok()).expect("events");
        let cpu: f64 = parts.next().and_then(|v| v.parse().ok()).expect("cpu");
        let mine: Vec<u64> = parts.next().unwrap_or("").split(',').filter_map(|v| v.parse().ok()).collect();
        println!("process {index}: {count} events, {:.0} events/s, {cpu:.1} s of CPU", count as f64 / window);
        events += count;
        client_cpu += cpu;
        calls.extend(mine);
    }
    calls.sort_unstable();
    let busy = (busy_after - busy_before) as f64 / 100.0;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let share = (busy_after - busy_before) as f64 / (total_after - total_before).max(1) as f64;
    println!(
        "total: {events} events in {window:.0} s = {:.0} events/s ({} processes x {} tasks x {} events per call, {} customers)",
        events as f64 / window,
        options.processes,
        options.tasks,
        options.batch,
        options.customers
    );
    println!(
        "per call: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls)",
        percentile(&calls, 0.5) as f64 / 1e3,
        percentile(&calls, 0.99) as f64 / 1e3,
        calls.last().copied().unwrap_or(0) as f64 / 1e3,
        calls.len()
    );
    println!(
        "machine CPU busy {:.0}% of {cores:.0} cores ({busy:.1} s): {:.0} us per event in all, {:.0} us in the load processes; load average at start {}",
        share * 100.0,
        busy * 1e6 / events.max(1) as f64,
        client_cpu * 1e6 / events.max(1) as f64,
        load_before.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "postgres CPU: {:.0} us per event in this run's backends, {:.0} us in all postgres processes (WAL writer, \
         checkpointer and other clients' backends included)",
        backends_cpu * 1e6 / events.max(1) as f64,
        postgres_cpu * 1e6 / events.max(1) as f64
    );
}

/// Message `n` of the search fixture.
fn corpus_event(events: &AccountEvents, n: u64) -> RoutedEvent {
    let customer = fixtures::customer(IdentityKind::PageScopedId, (n % SEED_CUSTOMERS) as u32);
    let at = Timestamp::from_unix_millis(1_700_000_000_000 + n as i64 * 1_000);
    events.text(&format!("evt-{n:012}"), &customer, &format!("mid-{n:012}"), &corpus::text(n), at)
}

fn run_seed(options: &Options) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let schema = options.schema.clone().unwrap_or_else(|| "search_1m".to_owned());
        let (database, store) = open(&schema, options.fresh, 4).await;
        let account = page_account();
        store.accounts.save_account(&account).await.expect("save the account");
        let stored = count_messages(&database).await;
        let total = options.messages;
        if stored >= total {
            println!("seed: {stored} messages already stored in ubx_{schema}");
            return;
        }
        // Calls commit whole but four run at once: resume a few calls before the count.
        let mut next = (stored / SEED_BATCH).saturating_sub(4) * SEED_BATCH;
        println!("seed: {stored} stored, building {total} from {next}");
        let events = AccountEvents::new(&account);
        let started = Instant::now();
        while next < total {
            let mut calls = Vec::new();
            for _ in 0..4 {
                let first = next;
                next = (next + SEED_BATCH).min(total);
                let call: Vec<RoutedEvent> = (first..next).map(|n| corpus_event(&events, n)).collect();
                let ingest = store.ingest.clone();
                calls.push(tokio::spawn(async move { ingest.accept(call).await.expect("ingest") }));
            }
            for call in calls {
                call.await.expect("task");
            }
            if next.is_multiple_of(40_000) || next == total {
                println!("seed: {next} messages in {:.0?}", started.elapsed());
            }
        }
        database.admin_execute("ANALYZE messages; ANALYZE message_search; ANALYZE conversations").await;
        println!("seed: {} messages stored in ubx_{schema}", count_messages(&database).await);
    });
}

async fn count_messages(database: &TestDatabase) -> u64 {
    let (client, connection) =
        tokio_postgres::connect(&database.admin_url(), tokio_postgres::NoTls).await.expect("connect as the admin");
    tokio::spawn(connection);
    let row = client.query_one("SELECT count(*) FROM messages", &[]).await.expect("count the messages");
    row.get::<_, i64>(0) as u64
}

/// Runs `read` `samples` times; prints the median, 90th percentile and minimum.
async fn time<F, Fut>(name: &str, samples: usize, mut read: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for turn in 0..samples.min(10) {
        read(turn).await;
    }
    let mut took = Vec::with_capacity(samples);
    for turn in 0..samples {
        let start = Instant::now();
        read(turn).await;
        took.push(start.elapsed().as_micros() as u64);
    }
    took.sort_unstable();
    println!(
        "{name}: median {:.2} ms, p90 {:.2} ms, min {:.2} ms ({samples} samples)",
        percentile(&took, 0.5) as f64 / 1e3,
        percentile(&took, 0.9) as f64 / 1e3,
        took[0] as f64 / 1e3
    );
}

fn run_read(options: &Options) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let schema = options.schema.clone().unwrap_or_else(|| "search_1m".to_owned());
        let (database, store) = open(&schema, false, 2).await;
        println!("read: {} messages in ubx_{schema}", count_messages(&database).await);
        let reads: Arc<dyn InboxReads> = store.reads.clone();
        let tenant = fixtures::tenant("acme");
        let first = reads.conversations(&tenant, &ConversationQuery::new()).await.expect("conversations");
        let busiest = first.items[0].id;
        let page = reads.messages(&tenant, busiest, &MessageQuery::new()).await.expect("messages");
        println!("first inbox page: {} conversations; message page: {} messages", first.items.len(), page.items.len());
        let queries = corpus::two_word_queries();
        for query in queries.iter().take(4) {
            let found = reads.search(&tenant, &SearchQuery::new(query.as_str())).await.expect("search");
            println!("search {query:?}: {} hits on the first page", found.items.len());
        }
        let samples = options.samples;
        time("inbox page (first 50 conversations)", samples, |_| {
            let (reads, tenant) = (reads.clone(), tenant.clone());
            async move {
                reads.conversations(&tenant, &ConversationQuery::new()).await.expect("conversations");
            }
        })
        .await;
        time("message page (newest 50 of a conversation)", samples, |_| {
            let (reads, tenant) = (reads.clone(), tenant.clone());
            async move {
                reads.messages(&tenant, busiest, &MessageQuery::new()).await.expect("messages");
            }
        })
        .await;
        time("search, two words", samples, |turn| {
            let (reads, tenant, query) = (reads.clone(), tenant.clone(), queries[turn % queries.len()].clone());
            async move {
                reads.search(&tenant, &SearchQuery::new(query)).await.expect("search");
            }
        })
        .await;
        let rare = corpus::rare_word();
        time("search, one rarer word", samples, |_| {
            let (reads, tenant, query) = (reads.clone(), tenant.clone(), rare.clone());
            async move {
                reads.search(&tenant, &SearchQuery::new(query)).await.expect("search");
            }
        })
        .await;
    });
}

fn main() {
    let options = parse();
    match options.mode.as_str() {
        "ingest" => run_ingest(&options),
        "seed" => run_seed(&options),
        "read" => run_read(&options),
        other => usage(&format!("a mode (ingest, seed or read), not {other:?}")),
    }
}
