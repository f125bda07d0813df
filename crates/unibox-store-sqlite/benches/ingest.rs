//! Durable ingest throughput of `SqliteInbox` (WAL, `synchronous = FULL`) into a file in a
//! temporary directory.
//!
//! - `group_commit/64_tasks`: 64 tokio tasks, each making single-event `ingest` calls of a
//!   realistic ~600-byte Messenger message event, as concurrent webhook requests do. Every call
//!   returns only once its event is durably committed; group commit shares the flushes.
//! - `group_commit/64_tasks_sync_normal`: the same with `synchronous = NORMAL` (not durable on
//!   power loss), to show what the flush costs.
//! - `group_commit/1_task`: the same calls made one after another, so every call waits for its
//!   own flush: the baseline group commit improves on.
//! - `group_commit/8_tasks_32_event_calls`: 8 tasks making calls of 32 events each, as batched
//!   webhook deliveries (Meta, LINE) arrive: the engine's throughput with larger transactions.
//! - `group_commit/accept_*`: the same shapes through `Inbox::accept`, the webhook path: each
//!   call returns once its events are durable in the inbound journal. Plain `accept_*` rounds
//!   time the acknowledgements only and let the journal be applied, untimed, before the next
//!   round; `*_until_applied` rounds end once a read sees every event applied (the sustained
//!   rate of acknowledging and applying).
//!
//! - `sealing/*_{sealed,plain}`: the same shapes through a `SqliteStore` with conversation
//!   sealing on (the default) and off, side by side: what sealing content, blind indexes and the
//!   journal costs per event.
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench ingest`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{Acceptance, IngestOutcome, RoutedEvent};
use unibox_core::{
    ChannelAccount, ChannelKind, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser,
    TenantId, Timestamp,
};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions, SqliteStore, Synchronous};
use unibox_vault::{Keyring, StoreKeys};

const CALLS_PER_TASK: u64 = 16;
/// Customers the messages come from: each event updates one of 500 conversations and contacts,
/// so a batch touches many different pages, as a busy shop's inbox does.
const CUSTOMERS: u64 = 500;

/// A customer message as Messenger delivers it once parsed: a long `mid`, a page-scoped id, a
/// name and a Thai and English text. Its JSON is about 600 bytes.
fn message_event(account: &ChannelAccount, n: u64) -> RoutedEvent {
    let customer = PlatformUser::new(IdentityKind::PageScopedId, format!("62012345{:08}", n % CUSTOMERS))
        .with_name(format!("Customer {}", n % CUSTOMERS));
    let text = format!(
        "สวัสดีค่ะ อยากสั่งซื้อเสื้อสีแดงไซส์ M 2 ตัว ส่งไปที่เชียงใหม่ได้ไหมคะ Hi, can you ship order \
         #TH{n:08} to Chiang Mai before Friday? I paid by bank transfer already."
    );
    let occurred_at = Timestamp::from_unix_millis(1_732_177_200_000 + i64::try_from(n).unwrap_or(0));
    RoutedEvent {
        tenant: account.tenant.clone(),
        account: account.id,
        received_at: occurred_at,
        event: InboundEvent {
            id: format!("{}-{n:012}-messaging", account.platform_account_id),
            account: account.platform_account_id.clone(),
            occurred_at,
            kind: EventKind::Message(InboundMessage::inbound(
                customer,
                format!("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fp{n:012}"),
                Content::text(text),
            )),
        },
    }
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    inbox: Arc<SqliteInbox>,
    /// The store of a sealed (or explicitly plain) setup: its vault holds the keys.
    _store: Option<SqliteStore>,
    account: ChannelAccount,
    next: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
}

fn setup(synchronous: Synchronous) -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bench.db");
    let account = messenger_account();
    let inbox = runtime.block_on(async {
        let inbox = SqliteInbox::open_with(&path, SqliteOptions::new().synchronous(synchronous)).await.expect("open");
        inbox.save_account(&account).await.expect("save account");
        inbox
    });
    Setup { runtime, inbox: Arc::new(inbox), _store: None, account, next: Arc::new(AtomicU64::new(0)), _dir: dir }
}

/// A `SqliteStore` with conversation sealing on or off.
fn store_setup(sealed: bool) -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bench.db");
    let account = messenger_account();
    let store = runtime.block_on(async {
        let keys = StoreKeys::try_from(Keyring::ephemeral()).expect("keys");
        let options = SqliteOptions::new().conversation_sealing(sealed);
        let store = SqliteStore::open_with(&path, options, keys).await.expect("open");
        store.inbox().save_account(&account).await.expect("save account");
        store
    });
    let inbox = Arc::clone(store.inbox());
    Setup { runtime, inbox, _store: Some(store), account, next: Arc::new(AtomicU64::new(0)), _dir: dir }
}

/// Which write path a round takes.
#[derive(Clone, Copy)]
enum Path {
    /// `Inbox::ingest`: applied before the call returns.
    Ingest,
    /// `Inbox::accept`: journaled before the call returns. Timed until the last call returns (a
    /// burst of acknowledgements); the events are then applied, untimed, before the next round.
    Accept,
    /// `Inbox::accept`, and the round ends only once every event is applied (a read waits for it).
    AcceptApplied,
}

/// `tasks` tasks each make `CALLS_PER_TASK` calls of `per_call` events; returns the wall time.
fn ingest_round(setup: &Setup, tasks: u64, per_call: u64, path: Path) -> Duration {
    setup.runtime.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(tasks as usize);
        for _ in 0..tasks {
            let inbox = Arc::clone(&setup.inbox);
            let account = setup.account.clone();
            let next = Arc::clone(&setup.next);
            handles.push(tokio::spawn(async move {
                for _ in 0..CALLS_PER_TASK {
                    let first = next.fetch_add(per_call, Ordering::Relaxed);
                    let events = (first..first + per_call).map(|n| message_event(&account, n)).collect();
                    match path {
                        Path::Ingest => {
                            let outcomes = inbox.ingest(events).await.expect("ingest");
                            assert!(outcomes.iter().all(|outcome| matches!(outcome, IngestOutcome::Stored { .. })));
                        }
                        Path::Accept | Path::AcceptApplied => {
                            let outcomes = inbox.accept(events).await.expect("accept");
                            assert!(outcomes.iter().all(|outcome| *outcome == Acceptance::Accepted));
                        }
                    }
                }
            }));
        }
        for handle in handles {
            handle.await.expect("task");
        }
        let accepted = start.elapsed();
        if let Path::Accept | Path::AcceptApplied = path {
            // A read waits until every accepted event is applied.
            let page = setup.inbox.conversations(&setup.account.tenant, &Default::default()).await.expect("read");
            assert!(!page.items.is_empty());
        }
        match path {
            // Only the acknowledgements are timed; the journal is drained before the next burst.
            Path::Accept => accepted,
            Path::Ingest | Path::AcceptApplied => start.elapsed(),
        }
    })
}

fn bench_ingest(c: &mut Criterion) {
    let sample = message_event(&messenger_account(), 0);
    let size = serde_json::to_string(&sample.event).map(|json| json.len()).unwrap_or(0);
    eprintln!("event JSON size: {size} bytes");

    let mut group = c.benchmark_group("group_commit");
    group.sample_size(20).measurement_time(Duration::from_secs(15));
    for (name, tasks, per_call, synchronous, path) in [
        ("64_tasks", 64, 1, Synchronous::Full, Path::Ingest),
        ("64_tasks_sync_normal", 64, 1, Synchronous::Normal, Path::Ingest),
        ("1_task", 1, 1, Synchronous::Full, Path::Ingest),
        ("8_tasks_32_event_calls", 8, 32, Synchronous::Full, Path::Ingest),
        ("accept_64_tasks", 64, 1, Synchronous::Full, Path::Accept),
        ("accept_64_tasks_until_applied", 64, 1, Synchronous::Full, Path::AcceptApplied),
        ("accept_1_task", 1, 1, Synchronous::Full, Path::Accept),
        ("accept_8_tasks_32_event_calls", 8, 32, Synchronous::Full, Path::Accept),
        ("accept_64_tasks_32_event_calls_until_applied", 64, 32, Synchronous::Full, Path::AcceptApplied),
    ] {
        let setup = setup(synchronous);
        group.throughput(Throughput::Elements(tasks * CALLS_PER_TASK * per_call));
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| (0..iterations).map(|_| ingest_round(&setup, tasks, per_call, path)).sum());
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sealing");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, tasks, per_call, path) in [
        ("ingest_8_tasks_32_event_calls", 8, 32, Path::Ingest),
        ("accept_64_tasks_until_applied", 64, 1, Path::AcceptApplied),
        ("accept_64_tasks_32_event_calls_until_applied", 64, 32, Path::AcceptApplied),
    ] {
        for sealed in [true, false] {
            let setup = store_setup(sealed);
            group.throughput(Throughput::Elements(tasks * CALLS_PER_TASK * per_call));
            let name = format!("{name}_{}", if sealed { "sealed" } else { "plain" });
            group.bench_function(name, |b| {
                b.iter_custom(|iterations| (0..iterations).map(|_| ingest_round(&setup, tasks, per_call, path)).sum());
            });
        }
    }
    group.finish();
}

/// The Facebook page the events arrive on.
fn messenger_account() -> ChannelAccount {
    let tenant: TenantId = "acme".parse().expect("tenant");
    ChannelAccount::new(
        tenant,
        "meta".parse().expect("channel"),
        ChannelKind::MESSENGER,
        "104738291837465",
        Timestamp::from_unix_seconds(1_732_000_000),
    )
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
