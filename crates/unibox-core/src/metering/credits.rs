//! [`CreditTable`]: turning usage into message credits, for billing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metering::{UsageCounter, UsageMetric};

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
        usage.iter().fold(0u64, |total, counter| {
            let price = self.credits.get(&counter.metric).copied().unwrap_or(0);
            total.saturating_add(price.saturating_mul(counter.quantity))
        })
    }
}
