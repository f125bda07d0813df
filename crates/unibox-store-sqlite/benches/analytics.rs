//! Analytics queries of `SqliteInbox` over a month of a busy tenant: 1,000,000 messages (half
//! from customers, half replies) in 100,000 conversations on 10 channel accounts, worked by 20
//! agents, every conversation assigned and resolved, over 30 days.
//!
//! The fixture is recorded once, through `Analytics::record` in batches as the hub's projection
//! of the change log feeds it (one change per observation), into a durable file (WAL, `synchronous = FULL`); only the queries are timed:
//!
//! - `analytics/month_report`: totals, per day, per agent and per account of the whole month.
//! - `analytics/month_report_one_agent`: the same for one agent.
//! - `analytics/week_report_one_account`: one week of one account.
//! - `analytics/catch_up_20k_changes`: the hub's projection of the change log, from a fresh file
//!   holding 20,000 stored customer messages to analytics that reflect them all (one
//!   `Hub::analytics` call; storing the messages is not timed).
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench analytics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_core::analytics::{Analytics, AnalyticsQuery, ChangeSpan, Observation, ObservationKind};
use unibox_core::changes::Position;
use unibox_core::inbox::prelude::*;
use unibox_core::memory::MemoryStore;
use unibox_core::{Actor, ChannelAccountId, ConversationId, Hub, IdentityKind, Role, TenantId, Timestamp, UserId};
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::fixtures;

const MESSAGES: u64 = 1_000_000;
const MESSAGES_PER_CONVERSATION: u64 = 10;
const ACCOUNTS: u64 = 10;
const AGENTS: u64 = 20;
const DAYS: u64 = 30;
const BATCH: usize = 20_000;
/// 2024-11-01T00:00:00Z.
const MONTH_START: i64 = 1_730_419_200;

struct Fixture {
    inbox: SqliteInbox,
    tenant: TenantId,
    accounts: Vec<ChannelAccountId>,
    agents: Vec<UserId>,
    _dir: tempfile::TempDir,
}

/// One conversation's life: a customer writes, an agent is assigned and answers, four more
/// exchanges, then it is resolved. Times spread the conversations evenly over the month.
fn conversation_observations(n: u64, accounts: &[ChannelAccountId], agents: &[UserId]) -> Vec<Observation> {
    let conversation = ConversationId::new();
    let account = accounts[(n % ACCOUNTS) as usize];
    let agent = agents[(n % AGENTS) as usize].clone();
    let conversations = MESSAGES / MESSAGES_PER_CONVERSATION;
    let start = MONTH_START * 1000 + (n * DAYS * 86_400_000 / conversations) as i64;
    let at = |offset_seconds: u64| Timestamp::from_unix_millis(start + (offset_seconds * 1000) as i64);
    let on = |seconds, kind| Observation { conversation, account, at: at(seconds), kind };
    let mut observations =
        vec![on(0, ObservationKind::MessageIn), on(20, ObservationKind::Assigned { agent: Some(agent.clone()) })];
    // Response times vary from seconds to an hour so the histograms have many buckets.
    let mut t = 0;
    for exchange in 0..MESSAGES_PER_CONVERSATION / 2 {
        if exchange > 0 {
            t += 60 + (n * 7 + exchange * 13) % 600;
            observations.push(on(t, ObservationKind::MessageIn));
        }
        t += 5 + (n * 31 + exchange * 17) % 3_600;
        observations.push(on(t, ObservationKind::MessageOut { agent: Some(agent.clone()) }));
    }
    observations.push(on(t + 300, ObservationKind::Resolved));
    observations
}

fn fixture(runtime: &tokio::runtime::Runtime) -> Fixture {
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let inbox = SqliteInbox::open(dir.path().join("analytics.db")).await.expect("open");
        let tenant: TenantId = "acme".parse().unwrap();
        let accounts: Vec<_> = (0..ACCOUNTS).map(|_| ChannelAccountId::new()).collect();
        let agents: Vec<UserId> = (0..AGENTS).map(|n| format!("agent-{n:02}").parse().unwrap()).collect();
        let started = Instant::now();
        let mut batch = Vec::with_capacity(BATCH + 16);
        let mut recorded = 0;
        for n in 0..MESSAGES / MESSAGES_PER_CONVERSATION {
            batch.extend(conversation_observations(n, &accounts, &agents));
            if batch.len() >= BATCH {
                let span = ChangeSpan::new(Position::new(recorded), Position::new(recorded + batch.len() as u64));
                inbox.record(&tenant, span, &batch).await.expect("record");
                recorded += batch.len() as u64;
                batch.clear();
            }
        }
        let span = ChangeSpan::new(Position::new(recorded), Position::new(recorded + batch.len() as u64));
        inbox.record(&tenant, span, &batch).await.expect("record");
        recorded += batch.len() as u64;
        eprintln!("recorded {recorded} observations ({MESSAGES} messages) in {:.1?}", started.elapsed());
        Fixture { inbox, tenant, accounts, agents, _dir: dir }
    })
}

fn month() -> AnalyticsQuery {
    let start = Timestamp::from_unix_seconds(MONTH_START);
    AnalyticsQuery::new(start, start.saturating_add(Duration::from_secs(DAYS * 86_400)))
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fixture = fixture(&runtime);
    // The last conversations of the month run into the next day: count one day more.
    let with_spill = AnalyticsQuery::new(month().from, month().until.saturating_add(Duration::from_secs(86_400)));
    let report = runtime.block_on(fixture.inbox.report(&fixture.tenant, &with_spill)).unwrap();
    assert_eq!(report.totals.messages_in + report.totals.messages_out, MESSAGES, "every message is counted");
    assert_eq!(report.by_agent.len() as u64, AGENTS + 1, "every agent, and nobody for messages before assignment");

    let mut group = c.benchmark_group("analytics");
    group.sample_size(30);
    group.bench_function("month_report", |b| {
        b.iter(|| runtime.block_on(fixture.inbox.report(&fixture.tenant, &month())).unwrap())
    });
    let one_agent = month().agent(fixture.agents[3].clone());
    group.bench_function("month_report_one_agent", |b| {
        b.iter(|| runtime.block_on(fixture.inbox.report(&fixture.tenant, &one_agent)).unwrap())
    });
    let start = Timestamp::from_unix_seconds(MONTH_START + 7 * 86_400);
    let week =
        AnalyticsQuery::new(start, start.saturating_add(Duration::from_secs(7 * 86_400))).account(fixture.accounts[1]);
    group.bench_function("week_report_one_account", |b| {
        b.iter(|| runtime.block_on(fixture.inbox.report(&fixture.tenant, &week)).unwrap())
    });
    group.finish();
}

/// A fresh file with `count` customer messages (40 customers) stored straight into the inbox, and
/// a hub whose analytics have not read them yet.
fn unread_messages(runtime: &tokio::runtime::Runtime, count: u32) -> (tempfile::TempDir, Hub, Actor) {
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let inbox = Arc::new(SqliteInbox::open(dir.path().join("projection.db")).await.expect("open"));
        let tenant = fixtures::tenant("acme");
        let account = fixtures::line_account(&tenant);
        inbox.save_account(&account).await.expect("account");
        let events = fixtures::AccountEvents::new(&account);
        for from in (0..count).step_by(1000) {
            let batch = (from..(from + 1000).min(count))
                .map(|i| {
                    let customer = fixtures::customer(IdentityKind::LineUserId, i % 40);
                    events.text(&format!("e{i}"), &customer, &format!("m{i}"), "hello", fixtures::at(i64::from(i)))
                })
                .collect();
            inbox.ingest(batch).await.expect("ingest");
        }
        let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone())).analytics(inbox.clone()).roster(inbox).build();
        (dir, hub, Actor::user(tenant, fixtures::user("admin"), Role::Admin))
    })
}

fn bench_catch_up(c: &mut Criterion) {
    const CHANGES: u32 = 20_000;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let range = AnalyticsQuery::new(fixtures::at(0), fixtures::at(2 * 86_400));
    let mut group = c.benchmark_group("analytics");
    group.sample_size(10);
    group.bench_function("catch_up_20k_changes", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (_dir, hub, admin) = unread_messages(&runtime, CHANGES);
                let started = Instant::now();
                let report = runtime.block_on(hub.analytics(&admin, &range)).expect("report");
                total += started.elapsed();
                assert_eq!(report.totals.messages_in, u64::from(CHANGES), "every message is counted");
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_catch_up);
criterion_main!(benches);
