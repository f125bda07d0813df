//! [`CreditTable`]: turning usage into message credits, for billing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metering::{UsageCounter, UsageIncrement, UsageMetric};

/// How many credits each unit of a metric costs, as plain data; metrics not listed are free.
///
/// ```
/// use unibox_core::metering::{CreditTable, UsageCounter, UsageDay, UsageMetric};
/// let table: CreditTable = serde_json::from_str(r#"{"credits": {"messages_out": 1, "line_push": 2}}"#).unwrap();
/// let usage = [
///     UsageCounter { channel: None, metric: UsageMetric::MessagesOut, day: UsageDay(1), quantity: 10 },
///     UsageCounter { channel: None, metric: UsageMetric::LinePush, day: UsageDay(1), quantity: 4 },
///     UsageCounter { channel: None, metric: UsageMetric::MessagesIn, day: UsageDay(1), quantity: 99 },
/// ];
/// assert_eq!(table.credits(&usage), 18);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTable {
    /// Credits per unit, by metric.
    pub credits: BTreeMap<UsageMetric, u64>,
}

impl CreditTable {
    /// Sets the price of a metric.
    pub fn price(mut self, metric: UsageMetric, credits: u64) -> Self {
        self.credits.insert(metric, credits);
        self
    }

    /// The credits `usage` costs (saturating).
    pub fn credits(&self, usage: &[UsageCounter]) -> u64 {
        usage.iter().fold(0u64, |total, counter| total.saturating_add(self.cost(counter.metric, counter.quantity)))
    }

    /// The credits a list of increments costs (saturating): what one send or one AI call is
    /// debited, before it is summed into counters.
    ///
    /// ```
    /// use unibox_core::metering::{usage_of_send, CreditTable, UsageMetric};
    /// use unibox_core::{ChannelKind, Content, Timestamp};
    /// let table = CreditTable::default().price(UsageMetric::MessagesOut, 1).price(UsageMetric::LinePush, 2);
    /// let push = usage_of_send(&"acme".parse().unwrap(), &ChannelKind::LINE, &Content::text("hi"), false, Timestamp::UNIX_EPOCH);
    /// assert_eq!(table.credits_of(&push), 3);
    /// ```
    pub fn credits_of(&self, usage: &[UsageIncrement]) -> u64 {
        usage
            .iter()
            .fold(0u64, |total, increment| total.saturating_add(self.cost(increment.metric, increment.quantity)))
    }

    fn cost(&self, metric: UsageMetric, quantity: u64) -> u64 {
        self.credits.get(&metric).copied().unwrap_or(0).saturating_mul(quantity)
    }
}
