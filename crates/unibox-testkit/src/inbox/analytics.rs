//! The [`Analytics`] conformance checks against a hand-computed fixture, with their own runner.
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

use unibox_core::analytics::{Analytics, AnalyticsQuery, DurationStats, Observation, ObservationKind};
use unibox_core::{ChannelAccountId, ConversationId, ErrorKind, TenantId, Timestamp, UserId};

use super::BoxFuture;
use super::support::{assert_kind, catch_panic, ok};
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

/// Records the fixture in three calls, so tracks must survive between calls.
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
    for batch in batches {
        ok(analytics.record(&fixture.tenant, &batch).await, "record");
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
