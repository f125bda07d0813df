//! The [`Analytics`] conformance checks against a hand-computed fixture, with their own runner;
//! and the checks of a hub's analytics over the stores that keep them ([`Store`]): exact
//! from the change log, however much happens before anyone reads them.
//!
//! The fixture, in seconds after [`BASE_TIME`](crate::fixtures::BASE_TIME) (08:20 UTC, day D0):
//!
//! | t      | conversation 1 (LINE)         | conversation 2 (Messenger)     |
//! |--------|-------------------------------|--------------------------------|
//! | 0      | customer writes (unassigned)  |                                |
//! | 30     | assigned to ann               |                                |
//! | 60     | customer writes               |                                |
//! | 100    |                               | customer writes (unassigned)   |
//! | 120    | ann replies: first 120, resp 120 |                             |
//! | 180    | bot replies (not a response)  |                                |
//! | 300    | customer writes               |                                |
//! | 330    | ann replies: resp 30          |                                |
//! | 600    | resolved: resolution 600 (ann)|                                |
//! | 900    | customer writes: reopens      |                                |
//! | 960    | bob replies: first 60, resp 60|                                |
//! | 86 400 |                               | assigned to bob (day D1)       |
//! | 86 500 |                               | bob replies: first 86 400      |
//! | 86 600 |                               | resolved: resolution 86 500    |

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use unibox_core::store::Store;
use unibox_core::{Actor, Hub, IdentityKind, ManualClock, Role, RolePolicy};

use unibox_core::analytics::{Analytics, AnalyticsQuery, ChangeSpan, DurationStats, Observation, ObservationKind};
use unibox_core::changes::Position;
use unibox_core::{ChannelAccountId, ConversationId, ErrorKind, TenantId, Timestamp, UserId};

use super::support::{assert_kind, catch_panic, ok};
use super::{BoxFuture, StoreFactory};
use crate::fixtures::{self, at};

/// Makes empty analytics stores, one per check.
pub trait AnalyticsFactory: Send + Sync {
    /// A new, empty store.
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn Analytics>>;
}

impl<F, Fut> AnalyticsFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn Analytics>> + Send + 'static,
{
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn Analytics>> {
        Box::pin(self())
    }
}

type AnalyticsCheck = for<'a> fn(&'a dyn Analytics) -> BoxFuture<'a, ()>;

const ANALYTICS_CHECKS: &[(&str, AnalyticsCheck)] = &[
    ("analytics_match_the_hand_computed_fixture", |a| Box::pin(analytics_match_the_hand_computed_fixture(a))),
    ("analytics_narrow_to_days_agents_and_accounts", |a| Box::pin(analytics_narrow_to_days_agents_and_accounts(a))),
    ("analytics_are_per_tenant_and_validate_ranges", |a| Box::pin(analytics_are_per_tenant_and_validate_ranges(a))),
    ("a_batch_is_counted_once_and_moves_the_position", |a| Box::pin(a_batch_is_counted_once_and_moves_the_position(a))),
];

/// Runs every analytics check on a fresh store each, and panics naming the ones that failed.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::analytics::Analytics;
/// use unibox_core::memory::MemoryAnalytics;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_analytics_checks(&|| async { Arc::new(MemoryAnalytics::new()) as Arc<dyn Analytics> }).await;
/// # });
/// ```
pub async fn run_analytics_checks(factory: &dyn AnalyticsFactory) {
    let mut failures = Vec::new();
    for (name, check) in ANALYTICS_CHECKS {
        let analytics = factory.fresh().await;
        if let Err(message) = catch_panic(check(analytics.as_ref())).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!("analytics conformance: {} checks failed:\n- {}", failures.len(), failures.join("\n- "));
    }
}

const DAY: i64 = 86_400;

struct Fixture {
    tenant: TenantId,
    line: ChannelAccountId,
    messenger: ChannelAccountId,
    ann: UserId,
    bob: UserId,
}

/// Records the fixture in three calls (changes 1 to 3, 4 to 9 and 10 to 12 of the log), so
/// tracks must survive between calls.
async fn record_fixture(analytics: &dyn Analytics) -> Fixture {
    let fixture = Fixture {
        tenant: fixtures::tenant("acme"),
        line: ChannelAccountId::new(),
        messenger: ChannelAccountId::new(),
        ann: fixtures::user("ann"),
        bob: fixtures::user("bob"),
    };
    let (first, second) = (ConversationId::new(), ConversationId::new());
    let on = |conversation, account, seconds, kind| Observation { conversation, account, at: at(seconds), kind };
    let line = |seconds, kind| on(first, fixture.line, seconds, kind);
    let messenger = |seconds, kind| on(second, fixture.messenger, seconds, kind);
    let reply = |user: &UserId| ObservationKind::MessageOut { agent: Some(user.clone()) };
    let assign = |user: &UserId| ObservationKind::Assigned { agent: Some(user.clone()) };
    let batches = [
        vec![
            line(0, ObservationKind::MessageIn),
            line(30, assign(&fixture.ann)),
            line(60, ObservationKind::MessageIn),
            messenger(100, ObservationKind::MessageIn),
            line(120, reply(&fixture.ann)),
        ],
        vec![
            line(180, ObservationKind::MessageOut { agent: None }),
            line(300, ObservationKind::MessageIn),
            line(330, reply(&fixture.ann)),
            line(600, ObservationKind::Resolved),
            line(900, ObservationKind::MessageIn),
        ],
        vec![
            line(960, reply(&fixture.bob)),
            messenger(DAY, assign(&fixture.bob)),
            messenger(DAY + 100, reply(&fixture.bob)),
            messenger(DAY + 200, ObservationKind::Resolved),
        ],
    ];
    let spans =
        [(0, 3), (3, 9), (9, 12)].map(|(after, through)| ChangeSpan::new(Position::new(after), Position::new(through)));
    for (span, batch) in spans.into_iter().zip(batches) {
        ok(analytics.record(&fixture.tenant, span, &batch).await, "record");
    }
    fixture
}

fn two_days() -> AnalyticsQuery {
    AnalyticsQuery::new(at(0), at(2 * DAY))
}

/// Checks count and exact average, and that each percentile is within 1/64 of the nearest
/// rank of `values` (seconds).
#[track_caller]
fn check_durations(stats: &DurationStats, values: &[u64], what: &str) {
    check_eq!(stats.count, values.len() as u64, "{what}: count");
    if values.is_empty() {
        check_eq!(stats.average, None, "{what}: no average");
        return;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let sum_millis: u64 = sorted.iter().map(|s| s * 1000).sum();
    check_eq!(stats.average, Some(Duration::from_millis(sum_millis / sorted.len() as u64)), "{what}: average");
    for (quantile, got) in [(0.5, stats.p50), (0.9, stats.p90), (0.99, stats.p99)] {
        let rank = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        let expected = sorted[rank - 1] as f64;
        let got = got.unwrap_or_else(|| panic!("{what}: no p{quantile}")).as_secs_f64();
        check!((got - expected).abs() <= expected / 64.0, "{what}: p{quantile} is {got}s, expected {expected}s");
    }
}

/// Totals, per day, per agent and per account of the fixture, as computed by hand.
pub async fn analytics_match_the_hand_computed_fixture(analytics: &dyn Analytics) {
    let f = record_fixture(analytics).await;
    let report = ok(analytics.report(&f.tenant, &two_days()).await, "report");
    check_eq!(report.position, Position::new(12), "the report reflects the last batch");

    let totals = &report.totals;
    check_eq!((totals.messages_in, totals.messages_out), (5, 5));
    check_durations(&totals.first_response, &[120, 60, DAY as u64], "first response");
    check_durations(&totals.response, &[120, 30, 60, DAY as u64], "response");
    check_durations(&totals.resolution, &[600, DAY as u64 + 100], "resolution");

    let day0 = Timestamp::from_unix_millis(fixtures::BASE_TIME.as_unix_millis().div_euclid(86_400_000) * 86_400_000);
    check_eq!(report.by_day.len(), 2);
    let (d0, d0_metrics) = &report.by_day[0];
    let (d1, d1_metrics) = &report.by_day[1];
    check_eq!(*d0, day0, "days are UTC midnights");
    check_eq!(d1.as_unix_millis() - d0.as_unix_millis(), 86_400_000);
    check_eq!((d0_metrics.messages_in, d0_metrics.messages_out), (5, 4));
    check_durations(&d0_metrics.first_response, &[120, 60], "day 0 first response");
    check_durations(&d0_metrics.resolution, &[600], "day 0 resolution");
    check_eq!((d1_metrics.messages_in, d1_metrics.messages_out), (0, 1));
    check_durations(&d1_metrics.response, &[DAY as u64], "day 1 response");

    let agents: Vec<_> = report.by_agent.iter().map(|(agent, _)| agent.clone()).collect();
    check_eq!(agents, vec![None, Some(f.ann.clone()), Some(f.bob.clone())], "nobody first, then by user id");
    let (nobody, ann, bob) = (&report.by_agent[0].1, &report.by_agent[1].1, &report.by_agent[2].1);
    check_eq!((nobody.messages_in, nobody.messages_out), (2, 1), "unassigned messages and the bot");
    check_eq!(nobody.response.count, 0, "a bot reply is not a response");
    check_eq!((ann.messages_in, ann.messages_out), (3, 2));
    check_durations(&ann.first_response, &[120], "ann first response");
    check_durations(&ann.response, &[120, 30], "ann response");
    check_durations(&ann.resolution, &[600], "ann resolution");
    check_eq!((bob.messages_in, bob.messages_out), (0, 2));
    check_durations(&bob.first_response, &[60, DAY as u64], "bob first response");
    check_durations(&bob.resolution, &[DAY as u64 + 100], "bob resolution");

    let mut accounts = vec![f.line, f.messenger];
    accounts.sort();
    check_eq!(report.by_account.iter().map(|(a, _)| *a).collect::<Vec<_>>(), accounts);
    let line = &report.by_account.iter().find(|(a, _)| *a == f.line).unwrap().1;
    let messenger = &report.by_account.iter().find(|(a, _)| *a == f.messenger).unwrap().1;
    check_eq!((line.messages_in, line.messages_out, messenger.messages_in, messenger.messages_out), (4, 4, 1, 1));
    check_durations(&line.response, &[120, 30, 60], "LINE response");
    check_durations(&messenger.resolution, &[DAY as u64 + 100], "Messenger resolution");
}

/// A query narrowed to one day, one agent or one account adds up only those tallies.
pub async fn analytics_narrow_to_days_agents_and_accounts(analytics: &dyn Analytics) {
    let f = record_fixture(analytics).await;
    let second_day = AnalyticsQuery::new(at(DAY), at(DAY + 1));
    let report = ok(analytics.report(&f.tenant, &second_day).await, "report of day 1");
    check_eq!((report.totals.messages_in, report.totals.messages_out), (0, 1));
    check_durations(&report.totals.first_response, &[DAY as u64], "day 1 first response");
    check_eq!(report.by_day.len(), 1);

    let anns = ok(analytics.report(&f.tenant, &two_days().agent(f.ann.clone())).await, "report of ann");
    check_eq!((anns.totals.messages_in, anns.totals.messages_out), (3, 2));
    check_eq!(anns.by_agent.len(), 1);

    let messenger = ok(analytics.report(&f.tenant, &two_days().account(f.messenger)).await, "report of messenger");
    check_eq!((messenger.totals.messages_in, messenger.totals.messages_out), (1, 1));
    check_durations(&messenger.totals.first_response, &[DAY as u64], "messenger first response");

    let later = AnalyticsQuery::new(at(3 * DAY), at(4 * DAY));
    let empty = ok(analytics.report(&f.tenant, &later).await, "report of an idle range");
    check_eq!(empty.totals.messages_in, 0);
    check!(empty.by_day.is_empty() && empty.by_agent.is_empty());
}

/// Another tenant's report is empty; an empty or reversed range is `InvalidInput`.
pub async fn analytics_are_per_tenant_and_validate_ranges(analytics: &dyn Analytics) {
    let f = record_fixture(analytics).await;
    let globex = fixtures::tenant("globex");
    let theirs = ok(analytics.report(&globex, &two_days()).await, "another tenant's report");
    check_eq!(theirs.totals.messages_in, 0);
    check!(theirs.by_account.is_empty());
    assert_kind(
        analytics.report(&f.tenant, &AnalyticsQuery::new(at(10), at(10))).await,
        ErrorKind::InvalidInput,
        "empty",
    );
    assert_kind(
        analytics.report(&f.tenant, &AnalyticsQuery::new(at(10), at(0))).await,
        ErrorKind::InvalidInput,
        "reversed",
    );
    let years = AnalyticsQuery::new(at(0), at(5 * 365 * DAY));
    assert_kind(analytics.report(&f.tenant, &years).await, ErrorKind::InvalidInput, "too long");
}

/// A batch is recorded only from the position the tenant's analytics are at, and moves it: the
/// same batch again (a projector that crashed after recording it, or a second projector) is a
/// `Conflict` that changes nothing; a batch that teaches nothing still moves the position; an
/// empty span is `InvalidInput`; positions are per tenant.
pub async fn a_batch_is_counted_once_and_moves_the_position(analytics: &dyn Analytics) {
    let f = record_fixture(analytics).await;
    check_eq!(ok(analytics.position(&f.tenant).await, "position"), Position::new(12));
    let globex = fixtures::tenant("globex");
    check_eq!(ok(analytics.position(&globex).await, "another tenant's position"), Position::START);

    let again = Observation {
        conversation: ConversationId::new(),
        account: f.line,
        at: at(1000),
        kind: ObservationKind::MessageIn,
    };
    let stale = ChangeSpan::new(Position::new(9), Position::new(12));
    assert_kind(analytics.record(&f.tenant, stale, std::slice::from_ref(&again)).await, ErrorKind::Conflict, "stale");
    let ahead = ChangeSpan::new(Position::new(13), Position::new(14));
    assert_kind(analytics.record(&f.tenant, ahead, std::slice::from_ref(&again)).await, ErrorKind::Conflict, "gap");
    let empty = ChangeSpan::new(Position::new(12), Position::new(12));
    assert_kind(analytics.record(&f.tenant, empty, &[]).await, ErrorKind::InvalidInput, "empty span");
    let report = ok(analytics.report(&f.tenant, &two_days()).await, "report");
    check_eq!(report.totals.messages_in, 5, "refused batches counted nothing");
    check_eq!(report.position, Position::new(12));

    ok(analytics.record(&f.tenant, ChangeSpan::new(Position::new(12), Position::new(20)), &[]).await, "no news");
    check_eq!(ok(analytics.position(&f.tenant).await, "position"), Position::new(20));
    ok(analytics.record(&f.tenant, ChangeSpan::new(Position::new(20), Position::new(21)), &[again]).await, "next");
    let report = ok(analytics.report(&f.tenant, &two_days()).await, "report");
    check_eq!((report.totals.messages_in, report.position), (6, Position::new(21)));
    let theirs = ok(analytics.report(&globex, &two_days()).await, "another tenant's report");
    check_eq!(theirs.position, Position::START);
}

/// A hub over every part of `store`, on a manual clock, with the built-in role policy.
pub(crate) fn hub_over(store: &Store, clock: &ManualClock) -> Hub {
    Hub::builder(store.clone()).policy(Arc::new(RolePolicy)).clock(Arc::new(clock.clone())).build()
}

type HubCheck = fn(Store) -> BoxFuture<'static, ()>;

const HUB_ANALYTICS_CHECKS: &[(&str, HubCheck)] = &[
    ("analytics_count_every_change_past_the_old_queue_size", |stores| {
        Box::pin(analytics_count_every_change_past_the_old_queue_size(stores))
    }),
    ("hubs_sharing_stores_count_each_change_once", |stores| {
        Box::pin(hubs_sharing_stores_count_each_change_once(stores))
    }),
];

/// Runs every hub analytics check on fresh stores each, and panics naming the ones that failed.
///
/// ```no_run
/// use unibox_core::memory::MemoryStore;
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_hub_analytics_checks(&|| async { MemoryStore::new().into() }).await;
/// # });
/// ```
pub async fn run_hub_analytics_checks(factory: &dyn StoreFactory) {
    let mut failures = Vec::new();
    for (name, check) in HUB_ANALYTICS_CHECKS {
        let stores = factory.fresh().await;
        if let Err(message) = catch_panic(check(stores)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!("hub analytics: {} checks failed:\n- {}", failures.len(), failures.join("\n- "));
    }
}

/// More customer messages than the earlier in-memory feed held (16,384), stored straight into
/// the inbox so no hub hears of them, then replies, assignments and resolutions through the
/// hub: the report counts every one of them exactly, and says it reflects the whole log.
pub async fn analytics_count_every_change_past_the_old_queue_size(stores: Store) {
    const CUSTOMERS: u32 = 40;
    const MESSAGES: u32 = 20_000;
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    ok(stores.accounts.save_account(&account).await, "save account");
    let events = fixtures::AccountEvents::new(&account);
    let customers: Vec<_> = (0..CUSTOMERS).map(|n| fixtures::customer(IdentityKind::LineUserId, n)).collect();
    // Message i comes from customer i % 40 at second 2i: customer k first writes at second 2k.
    let mut batch = Vec::new();
    for i in 0..MESSAGES {
        let customer = &customers[(i % CUSTOMERS) as usize];
        batch.push(events.text(&format!("e{i}"), customer, &format!("m{i}"), "hello", at(2 * i64::from(i))));
        if batch.len() == 500 {
            ok(stores.ingest.ingest(std::mem::take(&mut batch)).await, "ingest");
        }
    }
    let clock = ManualClock::new(at(50_000));
    let hub = hub_over(&stores, &clock);
    let admin = Actor::user(tenant.clone(), fixtures::user("admin"), Role::Admin);
    let ann = fixtures::user("ann");
    let mut conversations = Vec::new();
    for (k, customer) in customers.iter().enumerate() {
        let identity = unibox_core::ContactIdentity {
            account: account.id,
            kind: customer.kind.clone(),
            value: customer.id.clone(),
        };
        let contact = ok(stores.reads.contact_by_identity(&tenant, &identity).await, "contact").expect("a contact");
        let query = unibox_core::inbox::ConversationQuery::new().contact(contact.id).limit(1);
        let conversation = ok(stores.reads.conversations(&tenant, &query).await, "conversation").items[0].id;
        conversations.push((k as i64, conversation));
    }
    // Ann takes each conversation at 50,000 s, replies at 50,000 + 10k s, resolves at 60,000 s.
    for (_, conversation) in &conversations {
        ok(hub.assign(&admin, *conversation, ann.clone()).await, "assign");
    }
    for (k, conversation) in &conversations {
        let reply = fixtures::agent_reply(*conversation, &ann, "ได้เลยค่ะ", at(50_000 + 10 * k));
        ok(stores.outbound.record_outbound(&tenant, reply).await, "reply");
    }
    clock.set(at(60_000));
    for (_, conversation) in &conversations {
        ok(hub.resolve(&admin, *conversation).await, "resolve");
    }

    let report = ok(hub.analytics(&admin, &two_days()).await, "report");
    check_eq!(report.totals.messages_in, u64::from(MESSAGES), "every customer message, once");
    check_eq!(report.totals.messages_out, u64::from(CUSTOMERS));
    // Customer k waited from second 2k to 50,000 + 10k; the conversation was open from 2k to 60,000.
    let waited: Vec<u64> = (0..i64::from(CUSTOMERS)).map(|k| (50_000 + 10 * k - 2 * k) as u64).collect();
    check_durations(&report.totals.first_response, &waited, "first response");
    check_durations(&report.totals.response, &waited, "response");
    let open: Vec<u64> = (0..i64::from(CUSTOMERS)).map(|k| (60_000 - 2 * k) as u64).collect();
    check_durations(&report.totals.resolution, &open, "resolution");
    let anns = report.by_agent.iter().find(|(agent, _)| agent.as_ref() == Some(&ann)).map(|(_, m)| m.clone());
    let anns = anns.expect("ann's metrics");
    check_eq!((anns.messages_out, anns.resolution.count), (u64::from(CUSTOMERS), u64::from(CUSTOMERS)));

    let lag = ok(hub.analytics_lag(&admin).await, "lag");
    check!(lag.caught_up(), "caught up: {lag:?}");
    check_eq!(report.position, lag.head, "the report says it reflects the whole log");
    let again = ok(hub.analytics(&admin, &two_days()).await, "report again");
    check_eq!(again, report, "nothing is counted twice");
}

/// Four hubs over the same stores (four processes on one database) all catch analytics up at
/// once, each with a report racing the others: every change is counted once, and they all
/// report the same numbers at the same position.
pub async fn hubs_sharing_stores_count_each_change_once(stores: Store) {
    const MESSAGES: u32 = 5_000;
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    ok(stores.accounts.save_account(&account).await, "save account");
    let events = fixtures::AccountEvents::new(&account);
    for from in (0..MESSAGES).step_by(500) {
        let batch = (from..from + 500)
            .map(|i| {
                let customer = fixtures::customer(IdentityKind::LineUserId, i % 25);
                events.text(&format!("e{i}"), &customer, &format!("m{i}"), "hello", at(i64::from(i)))
            })
            .collect();
        ok(stores.ingest.ingest(batch).await, "ingest");
    }
    let clock = ManualClock::new(at(10_000));
    let admin = Actor::user(tenant.clone(), fixtures::user("admin"), Role::Admin);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (hub, admin) = (hub_over(&stores, &clock), admin.clone());
        tasks.push(tokio::spawn(async move { hub.analytics(&admin, &two_days()).await }));
    }
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(ok(task.await.expect("the task ran"), "report"));
    }
    for report in &reports {
        check_eq!(report.totals.messages_in, u64::from(MESSAGES), "every message once");
        check_eq!(report, &reports[0], "every hub sees the same");
    }
}
