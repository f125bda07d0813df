//! Durable audit appends through `AuditTrail` on a `SqliteInbox` file (WAL, `synchronous =
//! FULL`, a checkpoint signed every 1,000 records).
//!
//! - `audit_append/64_tasks`: 64 tokio tasks each appending 16 records, as concurrent hub
//!   operations do; every append returns once durable, and group commit shares the flushes.
//!   Criterion's time per element is the cost of one durable append.
//! - `audit_append/1_task`: the same appends one after another (one flush each): the baseline.
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench audit`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

fn bench_audit(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit_append");
    group.sample_size(20).measurement_time(Duration::from_secs(15));
    for (name, tasks) in [("64_tasks", 64u64), ("1_task", 1)] {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("temporary directory");
        let inbox = runtime.block_on(SqliteInbox::open(dir.path().join("audit.db"))).expect("open");
        let key = AuditKey::new("bench", vec![7; 32]).expect("key");
        let trail = Arc::new(AuditTrail::new(Arc::new(inbox), key).checkpoint_every(1_000));
        let tenant: TenantId = "acme".parse().expect("tenant");
        let next = Arc::new(AtomicU64::new(0));
        group.throughput(Throughput::Elements(tasks * APPENDS_PER_TASK));
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iterations {
                        let mut handles = Vec::new();
                        for _ in 0..tasks {
                            let (trail, tenant, next) = (trail.clone(), tenant.clone(), next.clone());
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
            });
        });
        let verification = runtime.block_on(trail.verify(&tenant)).expect("verify");
        assert!(verification.is_intact(), "{:?}", verification.tamper);
        drop(dir);
    }
    group.finish();
}

criterion_group!(benches, bench_audit);
criterion_main!(benches);
