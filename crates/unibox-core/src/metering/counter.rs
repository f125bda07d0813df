//! Increments, counters, days and queries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::metering::UsageMetric;
use crate::{ChannelKind, Error, ErrorKind, Result, TenantId, Timestamp};

/// A UTC calendar day, as days since 1970-01-01: counters are kept per day.
///
/// ```
/// use unibox_core::metering::UsageDay;
/// use unibox_core::Timestamp;
/// let day = UsageDay::of(Timestamp::from_unix_seconds(1_732_170_000));
/// assert_eq!(day.to_string(), "2024-11-21");
/// assert_eq!(day.next().to_string(), "2024-11-22");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UsageDay(pub i64);

impl UsageDay {
    /// The day of `at` (UTC).
    pub fn of(at: Timestamp) -> Self {
        UsageDay(at.as_unix_seconds().div_euclid(86_400))
    }
    /// The day after.
    pub fn next(self) -> Self {
        UsageDay(self.0 + 1)
    }
    /// Midnight UTC at the start of the day.
    pub fn start(self) -> Timestamp {
        Timestamp::from_unix_seconds(self.0.saturating_mul(86_400))
    }
}

impl fmt::Display for UsageDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.start().to_string();
        f.write_str(&text[..10])
    }
}

/// Something to count: `quantity` of `metric` for a tenant, on a channel (none for AI), at a
/// time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageIncrement {
    /// The tenant billed.
    pub tenant: TenantId,
    /// The platform, or `None` for usage outside channels (AI).
    pub channel: Option<ChannelKind>,
    /// What.
    pub metric: UsageMetric,
    /// When (counted on its UTC day).
    pub at: Timestamp,
    /// How many.
    pub quantity: u64,
}

impl UsageIncrement {
    /// One unit of `metric`.
    pub fn one(tenant: TenantId, channel: Option<ChannelKind>, metric: UsageMetric, at: Timestamp) -> Self {
        UsageIncrement { tenant, channel, metric, at, quantity: 1 }
    }
}

/// A counter: the total of one metric on one channel on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCounter {
    /// The platform, or `None` for usage outside channels.
    pub channel: Option<ChannelKind>,
    /// What.
    pub metric: UsageMetric,
    /// Which day.
    pub day: UsageDay,
    /// The total.
    pub quantity: u64,
}

/// Which counters to read: days `from` (inclusive) to `until` (exclusive), optionally one
/// channel (`Some(None)`: usage outside channels) or one metric.
///
/// ```
/// use unibox_core::metering::{UsageDay, UsageQuery};
/// assert!(UsageQuery::days(UsageDay(10), UsageDay(40)).validate().is_ok());
/// assert!(UsageQuery::days(UsageDay(40), UsageDay(10)).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageQuery {
    /// The first day.
    pub from: UsageDay,
    /// The day after the last.
    pub until: UsageDay,
    /// Only this channel.
    pub channel: Option<Option<ChannelKind>>,
    /// Only this metric.
    pub metric: Option<UsageMetric>,
}

impl UsageQuery {
    /// Every counter of the days `from..until`.
    pub fn days(from: UsageDay, until: UsageDay) -> Self {
        UsageQuery { from, until, channel: None, metric: None }
    }
    /// Only this channel (`None`: usage outside channels).
    pub fn channel(mut self, channel: Option<ChannelKind>) -> Self {
        self.channel = Some(channel);
        self
    }
    /// Only this metric.
    pub fn metric(mut self, metric: UsageMetric) -> Self {
        self.metric = Some(metric);
        self
    }
    /// Checks the range: at most about ten years.
    pub fn validate(&self) -> Result<()> {
        // Checked: both ends come from the caller, and `i64::MAX - i64::MIN` overflows.
        let days = self.until.0.checked_sub(self.from.0);
        if !days.is_some_and(|days| (1..=3_700).contains(&days)) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a usage query covers 1 to 3,700 days, `from` before `until`",
            ));
        }
        Ok(())
    }
    /// Whether a counter matches the filters and the range.
    pub fn matches(&self, counter: &UsageCounter) -> bool {
        counter.day >= self.from
            && counter.day < self.until
            && self.channel.as_ref().is_none_or(|channel| &counter.channel == channel)
            && self.metric.is_none_or(|metric| counter.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_at_the_ends_of_i64_is_refused_without_overflowing() {
        for (from, until) in [(i64::MIN, i64::MAX), (i64::MIN, 0), (-1, i64::MAX), (5, 5), (6, 5), (0, 3_701)] {
            let query = UsageQuery::days(UsageDay(from), UsageDay(until));
            assert_eq!(query.validate().unwrap_err().kind(), ErrorKind::InvalidInput, "{from}..{until}");
        }
        assert!(UsageQuery::days(UsageDay(-10), UsageDay(3_690)).validate().is_ok());
    }
}
