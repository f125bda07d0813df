//! Metering: usage counters per tenant, channel, metric and day (messages in and out, LINE push
//! messages, WhatsApp template messages by category, SMS segments as adapters report them, AI
//! calls and tokens), for billing by
//! message credits.
//!
//! - [`UsageMeter`]: where counters are kept (memory, SQLite, yours); adds are batched and
//!   summed per day, so reading a month is a few dozen rows whatever the traffic.
//! - [`usage_of_send`], [`usage_of_ingest`], [`usage_of_ai_call`]: what each event counts as;
//!   [`usage_reported`]: what an adapter reported with a send (`SendReceipt::usage`).
//! - [`CreditTable`]: usage to credits; [`CreditLedger`]: a tenant's credits, spent by sends
//!   under a [`CreditPolicy`].

mod counter;
mod credits;
mod metric;
mod usage_of;

use std::fmt;

use async_trait::async_trait;

pub use counter::{UsageCounter, UsageDay, UsageIncrement, UsageQuery};
pub use credits::{
    CreditChange, CreditEntry, CreditEntryKind, CreditLedger, CreditPolicy, CreditTable, MAX_CREDIT_AMOUNT,
    MAX_CREDIT_ENTRIES, MAX_CREDIT_REFERENCE, check_entries_limit, credits_exhausted,
};
pub use metric::{TemplateCategory, UsageMetric};
pub use usage_of::{usage_of_accept, usage_of_ai_call, usage_of_event, usage_of_ingest, usage_of_send, usage_reported};

use crate::{Result, TenantId};

/// Where usage counters are kept. Adding is atomic per call (all increments or none) and
/// durable when it returns; counters of one (tenant, channel, metric, day) are summed.
/// `unibox_testkit::metering` checks an implementation.
#[async_trait]
pub trait UsageMeter: Send + Sync + fmt::Debug + 'static {
    /// Adds increments (of any tenants) to their day's counters.
    async fn add(&self, increments: &[UsageIncrement]) -> Result<()>;

    /// A tenant's counters matching `query`, ordered by day, channel and metric name.
    async fn usage(&self, tenant: &TenantId, query: &UsageQuery) -> Result<Vec<UsageCounter>>;
}

/// Orders counters the way every [`UsageMeter`] returns them.
pub fn sort_counters(counters: &mut [UsageCounter]) {
    counters.sort_by(|a, b| {
        (a.day, a.channel.as_ref().map(|c| c.as_str()), a.metric.name()).cmp(&(
            b.day,
            b.channel.as_ref().map(|c| c.as_str()),
            b.metric.name(),
        ))
    });
}
