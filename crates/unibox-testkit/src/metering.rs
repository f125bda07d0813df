//! The [`UsageMeter`] conformance suite.
//!
//! Every check uses fresh tenants, so all of them can share one meter. [`run_all`] runs them
//! and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryUsageMeter;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::metering::run_all(&MemoryUsageMeter::new()).await;
//! # });
//! ```

use unibox_core::metering::{
    TemplateCategory, UsageCounter, UsageDay, UsageIncrement, UsageMeter, UsageMetric, UsageQuery, usage_of_ai_call,
    usage_of_send,
};
use unibox_core::{ChannelKind, Content, ErrorKind, TenantId, Timestamp};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{assert_kind, catch_panic, ok};

fn tenant() -> TenantId {
    let id = unibox_core::ConversationId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("t-{}", &id[20..]))
}

/// 2024-11-21 00:00:00 UTC, a day boundary.
const DAY_START: i64 = 1_732_147_200;

fn at(seconds_into_day: i64) -> Timestamp {
    Timestamp::from_unix_seconds(DAY_START + seconds_into_day)
}

fn counter(channel: Option<ChannelKind>, metric: UsageMetric, day: UsageDay, quantity: u64) -> UsageCounter {
    UsageCounter { channel, metric, day, quantity }
}

/// Increments of one (channel, metric, day) are summed; days split at midnight UTC; counters
/// come back ordered by day, channel, metric.
pub async fn increments_are_summed_per_channel_metric_and_day(meter: &dyn UsageMeter) {
    let tenant = tenant();
    let day = UsageDay::of(at(0));
    let line_send = usage_of_send(&tenant, &ChannelKind::LINE, &Content::text("สวัสดีค่ะ"), false, at(10));
    ok(meter.add(&line_send).await, "add a LINE send");
    ok(meter.add(&line_send).await, "add it again");
    let template =
        Content::Template { name: "order_shipped".into(), language: "th".into(), parameters: vec!["A1".into()] };
    ok(meter.add(&usage_of_send(&tenant, &ChannelKind::WHATSAPP, &template, false, at(86_399))).await, "add");
    ok(meter.add(&usage_of_send(&tenant, &ChannelKind::WHATSAPP, &template, false, at(86_400))).await, "next day");
    ok(meter.add(&usage_of_ai_call(&tenant, 812, 64, at(5))).await, "add an AI call");

    let usage = ok(meter.usage(&tenant, &UsageQuery::days(day, day.next().next())).await, "usage");
    let whatsapp = Some(ChannelKind::WHATSAPP);
    let expected = vec![
        counter(None, UsageMetric::AiCalls, day, 1),
        counter(None, UsageMetric::AiInputTokens, day, 812),
        counter(None, UsageMetric::AiOutputTokens, day, 64),
        counter(Some(ChannelKind::LINE), UsageMetric::LinePush, day, 2),
        counter(Some(ChannelKind::LINE), UsageMetric::MessagesOut, day, 2),
        counter(whatsapp.clone(), UsageMetric::MessagesOut, day, 1),
        counter(whatsapp.clone(), UsageMetric::WhatsAppTemplate(TemplateCategory::Uncategorized), day, 1),
        counter(whatsapp.clone(), UsageMetric::MessagesOut, day.next(), 1),
        counter(whatsapp, UsageMetric::WhatsAppTemplate(TemplateCategory::Uncategorized), day.next(), 1),
    ];
    assert_eq!(usage, expected);
}

/// Queries select a day range (from inclusive, until exclusive), a channel (or usage outside
/// channels) and a metric; an empty or reversed range is `InvalidInput`.
pub async fn queries_filter_by_days_channel_and_metric(meter: &dyn UsageMeter) {
    let tenant = tenant();
    let first = UsageDay::of(at(0));
    for day in 0..10 {
        let increment = UsageIncrement {
            tenant: tenant.clone(),
            channel: Some(ChannelKind::SHOPEE),
            metric: UsageMetric::MessagesIn,
            at: at(day * 86_400 + 3_600),
            quantity: day as u64 + 1,
        };
        ok(meter.add(&[increment]).await, "add");
    }
    ok(meter.add(&usage_of_ai_call(&tenant, 100, 10, at(3 * 86_400))).await, "add AI");
    let range = UsageQuery::days(UsageDay(first.0 + 2), UsageDay(first.0 + 5));
    let usage = ok(meter.usage(&tenant, &range.clone().channel(Some(ChannelKind::SHOPEE))).await, "range");
    assert_eq!(usage.iter().map(|c| c.quantity).collect::<Vec<_>>(), vec![3, 4, 5]);
    let ai = ok(meter.usage(&tenant, &range.clone().channel(None)).await, "outside channels");
    assert_eq!(ai.len(), 3);
    let tokens = ok(meter.usage(&tenant, &range.clone().metric(UsageMetric::AiInputTokens)).await, "one metric");
    assert_eq!(tokens, vec![counter(None, UsageMetric::AiInputTokens, UsageDay(first.0 + 3), 100)]);
    assert_kind(meter.usage(&tenant, &UsageQuery::days(first, first)).await, ErrorKind::InvalidInput, "empty range");
}

/// One tenant's usage is never another's, and one `add` may carry several tenants.
pub async fn tenants_are_metered_separately(meter: &dyn UsageMeter) {
    let (acme, globex) = (tenant(), tenant());
    let mut increments = usage_of_send(&acme, &ChannelKind::TELEGRAM, &Content::text("hi"), false, at(60));
    increments.extend(usage_of_send(&globex, &ChannelKind::TELEGRAM, &Content::text("hi"), false, at(60)));
    increments.extend(usage_of_send(&globex, &ChannelKind::TELEGRAM, &Content::text("hi"), false, at(61)));
    ok(meter.add(&increments).await, "add for two tenants");
    let day = UsageDay::of(at(0));
    let query = UsageQuery::days(day, day.next());
    assert_eq!(ok(meter.usage(&acme, &query).await, "acme")[0].quantity, 1);
    assert_eq!(ok(meter.usage(&globex, &query).await, "globex")[0].quantity, 2);
    assert!(ok(meter.usage(&tenant(), &query).await, "a tenant without usage").is_empty());
}

type Check = for<'a> fn(&'a dyn UsageMeter) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("increments_are_summed_per_channel_metric_and_day", |m| {
        Box::pin(increments_are_summed_per_channel_metric_and_day(m))
    }),
    ("queries_filter_by_days_channel_and_metric", |m| Box::pin(queries_filter_by_days_channel_and_metric(m))),
    ("tenants_are_metered_separately", |m| Box::pin(tenants_are_metered_separately(m))),
];

/// Runs every check against `meter` and panics with the name and message of each that failed.
pub async fn run_all(meter: &dyn UsageMeter) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(meter)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "usage meter conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
