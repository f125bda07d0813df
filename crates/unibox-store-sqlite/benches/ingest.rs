//! Durable ingest throughput with group commit: many concurrent callers, each ingesting
//! single-event webhooks (the shape of real webhook traffic), into a SQLite file with
//! WAL and `synchronous=FULL`. Every call returns only after its transaction committed.
//!
//! ```sh
//! cargo bench -p unibox-store-sqlite --bench ingest
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unibox_core::Inbox;
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::fixtures::{self, AccountEvents};

const CALLERS: u64 = 64;
const CALLS_PER_CALLER: u64 = 8;

/// A realistic ~600-byte customer message (Thai and English, as LINE and Shopee chats carry).
const TEXT: &str = "สวัสดีครับ ผมสั่งซื้อสินค้าไปเมื่อวันจันทร์ หมายเลขคำสั่งซื้อ #TH2411-88231 \
ยังไม่ได้รับของเลยครับ Could you check the delivery status? The tracking page says \
'in transit' since Tuesday and the courier does not answer. ขอบคุณครับ";

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inbox = Arc::new(runtime.block_on(SqliteInbox::open(dir.path().join("bench.db"))).unwrap());
    let tenant = fixtures::tenant("bench");
    let account = fixtures::line_account(&tenant);
    runtime.block_on(inbox.save_account(&account)).unwrap();
    let events = Arc::new(AccountEvents::new(&account));
    let sequence = Arc::new(AtomicU64::new(0));

    let mut group = c.benchmark_group("sqlite_ingest");
    group.sample_size(20);
    group.throughput(Throughput::Elements(CALLERS * CALLS_PER_CALLER));
    group.bench_function("64 concurrent callers, 1 event per call, durable", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut tasks = Vec::with_capacity(CALLERS as usize);
                for caller in 0..CALLERS {
                    let (inbox, events, sequence) = (inbox.clone(), events.clone(), sequence.clone());
                    tasks.push(tokio::spawn(async move {
                        let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, caller as u32);
                        for _ in 0..CALLS_PER_CALLER {
                            let n = sequence.fetch_add(1, Ordering::Relaxed);
                            let event = events.text(
                                &format!("01JD{n:022}"),
                                &customer,
                                &format!("5{n:017}"),
                                TEXT,
                                fixtures::at(n as i64),
                            );
                            inbox.ingest(vec![event]).await.unwrap();
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
