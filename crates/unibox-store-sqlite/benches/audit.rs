//! Durable audit appends through `AuditTrail` on a `SqliteInbox` file (WAL, `synchronous =
//! FULL`, a checkpoint signed every 1,000 records).
//!
//! - `audit_append/64_tasks`: 64 tokio tasks each appending 16 records, as concurrent hub
//!   operations do; every append returns once durable, and group commit shares the flushes.
//!   Criterion's time per element is the cost of one durable append.
//! - `audit_append/1_task`: the same appends one after another (one flush each): the baseline.
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench audit`.
//!
//! Wall-clock time needs a quiet machine. On a shared one, compare versions by the CPU time the
//! process spends per append instead: `AUDIT_CPU_ROUNDS=30 cargo bench -p unibox-store-sqlite
//! --bench audit` runs 30 rounds of `64_tasks` (after a quarter as many to warm up) and prints
//! the wall-clock and on-CPU (user + system, every thread) time per append, from
//! `/proc/self/stat` (Linux).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use unibox_core::audit::{AuditKey, AuditOutcome, AuditRecord, AuditSink, AuditTrail, actions};
use unibox_core::{Actor, Role, TenantId, Timestamp};
use unibox_store_sqlite::SqliteInbox;

const APPENDS_PER_TASK: u64 = 16;

fn record(tenant: &TenantId, n: u64) -> AuditRecord {
    let actor = Actor::user(tenant.clone(), format!("agent-{:02}", n % 40).parse().expect("user"), Role::Agent);
    let at = Timestamp::from_unix_millis(1_732_170_000_000 + i64::try_from(n).unwrap_or(0));
    let target = format!("conversation:01936f2a-7c1e-7d55-9a1b-{n:012}");
    AuditRecord::new(&actor, actions::MESSAGE_SEND, target, at, AuditOutcome::Success)
}

/// A trail on a fresh file, and the runtime its appends run on.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    trail: Arc<AuditTrail>,
    tenant: TenantId,
    next: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("temporary directory");
        let inbox = runtime.block_on(SqliteInbox::open(dir.path().join("audit.db"))).expect("open");
        let key = AuditKey::new("bench", vec![7; 32]).expect("key");
        let trail = Arc::new(AuditTrail::new(Arc::new(inbox), key).checkpoint_every(1_000));
        let tenant = "acme".parse().expect("tenant");
        Fixture { runtime, trail, tenant, next: Arc::new(AtomicU64::new(0)), _dir: dir }
    }

    /// `rounds` times: `tasks` tasks each append [`APPENDS_PER_TASK`] records, one after another.
    fn run(&self, rounds: u64, tasks: u64) -> Duration {
        self.runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..rounds {
                let mut handles = Vec::new();
                for _ in 0..tasks {
                    let (trail, tenant, next) = (self.trail.clone(), self.tenant.clone(), self.next.clone());
                    handles.push(tokio::spawn(async move {
                        for _ in 0..APPENDS_PER_TASK {
                            let n = next.fetch_add(1, Ordering::Relaxed);
                            trail.record(record(&tenant, n)).await.expect("append");
                        }
                    }));
                }
                for handle in handles {
                    handle.await.expect("task");
                }
            }
            start.elapsed()
        })
    }

    fn verify(&self) {
        let verification = self.runtime.block_on(self.trail.verify(&self.tenant)).expect("verify");
        assert!(verification.is_intact(), "{:?}", verification.tamper);
    }
}

fn bench_audit(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit_append");
    group.sample_size(20).measurement_time(Duration::from_secs(15));
    for (name, tasks) in [("64_tasks", 64u64), ("1_task", 1)] {
        let fixture = Fixture::new();
        group.throughput(Throughput::Elements(tasks * APPENDS_PER_TASK));
        group.bench_function(name, |b| b.iter_custom(|rounds| fixture.run(rounds, tasks)));
        fixture.verify();
    }
    group.finish();
}

/// The process's CPU time so far (user + system, every thread).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux only)");
    // The fields after the command name, which is in parentheses: utime and stime are the
    // 12th and 13th, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: u64 = fields[11..13].iter().map(|field| field.parse::<u64>().expect("clock ticks")).sum();
    Duration::from_millis(ticks * 10)
}

/// `AUDIT_CPU_ROUNDS` mode: wall-clock and on-CPU time per append of `64_tasks`.
fn cpu_per_append(rounds: u64) {
    let fixture = Fixture::new();
    fixture.run(rounds.div_ceil(4), 64);
    let cpu = cpu_time();
    let wall = fixture.run(rounds, 64);
    let cpu = cpu_time() - cpu;
    fixture.verify();
    let appends = (rounds * 64 * APPENDS_PER_TASK) as f64;
    println!(
        "audit_append/64_tasks: {appends} appends, wall {:.1} µs per append ({:.0} appends/s), on-CPU {:.1} µs per append",
        wall.as_secs_f64() * 1e6 / appends,
        appends / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / appends,
    );
}

criterion_group!(benches, bench_audit);

fn main() {
    match std::env::var("AUDIT_CPU_ROUNDS") {
        Ok(rounds) => cpu_per_append(rounds.parse().expect("AUDIT_CPU_ROUNDS is a number of rounds")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
