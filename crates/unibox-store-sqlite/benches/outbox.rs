//! Durable outbox throughput of `SqliteInbox` (WAL, `synchronous = FULL`) in a temporary file.
//!
//! - `outbox/send_path_64_tasks`: 64 tokio tasks, each sending messages the way `Hub::send`
//!   does: `enqueue` (the message and its job, leased to the caller), `begin_attempt`, and
//!   `finish_attempt` with the platform's id: three durable commits per message, shared with
//!   the other tasks by group commit.
//! - `outbox/worker_path_batches_of_64`: 512 queued jobs (enqueued untimed) delivered the way a
//!   `DeliveryWorker` does: `claim` 64 at a time, then `begin_attempt` and `finish_attempt` for
//!   each, concurrently.
//!
//! The channel's HTTP call is left out: this measures what the store adds to each send.
//! Run with `cargo bench -p unibox-store-sqlite --bench outbox`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{OutboundDraft, RoutedEvent};
use unibox_core::outbox::{AttemptOutcome, EnqueueOptions, Lease};
use unibox_core::{
    Author, ChannelAccount, ChannelKind, Content, ConversationId, EventKind, IdentityKind, InboundEvent,
    InboundMessage, MessageId, PlatformUser, TenantId, Timestamp,
};
use unibox_store_sqlite::SqliteInbox;

const TASKS: usize = 64;
const SENDS_PER_TASK: usize = 8;
const QUEUED: usize = 512;
const BATCH: usize = 64;

struct Setup {
    runtime: tokio::runtime::Runtime,
    inbox: Arc<SqliteInbox>,
    tenant: TenantId,
    conversations: Vec<ConversationId>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let tenant: TenantId = "acme".parse().expect("tenant");
    let account = ChannelAccount::new(
        tenant.clone(),
        "line".parse().expect("channel"),
        ChannelKind::LINE,
        "Ub9952f8f7a2c6e0d3b4a5f6e7d8c9b0a",
        Timestamp::from_unix_seconds(1_732_000_000),
    );
    let (inbox, conversations) = runtime.block_on(async {
        let inbox = SqliteInbox::open(dir.path().join("bench.db")).await.expect("open");
        inbox.save_account(&account).await.expect("save account");
        let events: Vec<RoutedEvent> = (0..TASKS)
            .map(|n| RoutedEvent {
                tenant: tenant.clone(),
                account: account.id,
                received_at: Timestamp::from_unix_seconds(1_732_177_200),
                event: InboundEvent {
                    id: format!("evt-{n}"),
                    account: account.platform_account_id.clone(),
                    occurred_at: Timestamp::from_unix_seconds(1_732_177_200),
                    kind: EventKind::Message(InboundMessage::inbound(
                        PlatformUser::new(IdentityKind::LineUserId, format!("U4af4980629c37e7b3ad0a4e2e0a8{n:04}")),
                        format!("4687895778982625{n:02}"),
                        Content::text("สวัสดีค่ะ อยากสั่งซื้อเสื้อสีแดงไซส์ M ค่ะ"),
                    )),
                },
            })
            .collect();
        let outcomes = inbox.ingest(events).await.expect("ingest");
        let conversations = outcomes
            .iter()
            .map(|outcome| match outcome {
                unibox_core::inbox::IngestOutcome::Stored { conversation: Some(id), .. } => *id,
                other => panic!("expected a conversation, got {other:?}"),
            })
            .collect();
        (inbox, conversations)
    });
    Setup { runtime, inbox: Arc::new(inbox), tenant, conversations, _dir: dir }
}

fn reply(conversation: ConversationId, n: usize) -> OutboundDraft {
    OutboundDraft {
        id: MessageId::new(),
        conversation,
        author: Author::Bot("order-bot".into()),
        content: Content::text(format!("ได้เลยค่ะ ออเดอร์ #TH{n:08} จะจัดส่งพรุ่งนี้ Your order ships tomorrow.")),
        reply_to: None,
        at: Timestamp::now(),
    }
}

/// `TASKS` tasks each send `SENDS_PER_TASK` messages the way `Hub::send` records them.
fn send_path_round(setup: &Setup) -> Duration {
    setup.runtime.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(TASKS);
        for (task, conversation) in setup.conversations.iter().copied().enumerate() {
            let inbox = Arc::clone(&setup.inbox);
            let tenant = setup.tenant.clone();
            handles.push(tokio::spawn(async move {
                let outbox: &dyn unibox_core::outbox::Outbox = inbox.as_ref();
                for n in 0..SENDS_PER_TASK {
                    let now = Timestamp::now();
                    let lease = Lease::until(now.saturating_add(Duration::from_secs(60)));
                    let options = EnqueueOptions::new().leased(lease);
                    let (message, _) = outbox
                        .enqueue(&tenant, reply(conversation, task * 100 + n), options, now)
                        .await
                        .expect("enqueue");
                    outbox.begin_attempt(&tenant, message.id, lease.id).await.expect("begin");
                    let sent = AttemptOutcome::Sent { platform_message_id: format!("pm-{}", message.id) };
                    outbox.finish_attempt(&tenant, message.id, lease.id, sent).await.expect("finish");
                }
            }));
        }
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

/// Enqueues `QUEUED` jobs (untimed), then delivers them in claimed batches (timed).
fn worker_path_round(setup: &Setup) -> Duration {
    setup.runtime.block_on(async {
        let outbox: &dyn unibox_core::outbox::Outbox = setup.inbox.as_ref();
        for n in 0..QUEUED {
            let conversation = setup.conversations[n % setup.conversations.len()];
            outbox
                .enqueue(&setup.tenant, reply(conversation, n), EnqueueOptions::new(), Timestamp::now())
                .await
                .expect("enqueue");
        }
        let start = Instant::now();
        let mut delivered = 0;
        while delivered < QUEUED {
            let lease = Lease::until(Timestamp::now().saturating_add(Duration::from_secs(60)));
            let jobs = outbox.claim(Timestamp::now(), lease, BATCH).await.expect("claim");
            assert!(!jobs.is_empty(), "jobs remain to be claimed");
            delivered += jobs.len();
            let mut handles = Vec::with_capacity(jobs.len());
            for job in jobs {
                let inbox = Arc::clone(&setup.inbox);
                handles.push(tokio::spawn(async move {
                    let outbox: &dyn unibox_core::outbox::Outbox = inbox.as_ref();
                    outbox.begin_attempt(&job.tenant, job.message, lease.id).await.expect("begin");
                    let sent = AttemptOutcome::Sent { platform_message_id: format!("pm-{}", job.message) };
                    outbox.finish_attempt(&job.tenant, job.message, lease.id, sent).await.expect("finish");
                }));
            }
            for handle in handles {
                handle.await.expect("task");
            }
        }
        start.elapsed()
    })
}

fn bench_outbox(c: &mut Criterion) {
    let mut group = c.benchmark_group("outbox");
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    let setup = setup();
    group.throughput(Throughput::Elements((TASKS * SENDS_PER_TASK) as u64));
    group.bench_function("send_path_64_tasks", |b| {
        b.iter_custom(|iterations| (0..iterations).map(|_| send_path_round(&setup)).sum());
    });
    group.throughput(Throughput::Elements(QUEUED as u64));
    group.bench_function("worker_path_batches_of_64", |b| {
        b.iter_custom(|iterations| (0..iterations).map(|_| worker_path_round(&setup)).sum());
    });
    group.finish();
}

criterion_group!(benches, bench_outbox);
criterion_main!(benches);
