//! Asking analytics a question: a time range, optionally one account or agent; the answer
//! totals, per day, per agent and per account.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analytics::histogram::DenseHistogram;
use crate::analytics::tally::{day_of, day_start};
use crate::analytics::{DurationTally, Tally, TallyKey};
use crate::changes::Position;
use crate::{ChannelAccountId, Error, ErrorKind, Result, Timestamp, UserId};

/// The longest range one query covers, in days.
pub const MAX_QUERY_DAYS: i64 = 400;

/// A question for analytics: the UTC days from `from` (rounded down to its day) to `until`
/// (exclusive, rounded up to a whole day), optionally narrowed to one account or one agent.
///
/// ```
/// use unibox_core::analytics::AnalyticsQuery;
/// use unibox_core::Timestamp;
/// let november = AnalyticsQuery::new(Timestamp::from_unix_seconds(1_730_419_200), Timestamp::from_unix_seconds(1_733_011_200));
/// assert!(november.validate().is_ok());
/// assert!(AnalyticsQuery::new(Timestamp::from_unix_seconds(10), Timestamp::from_unix_seconds(10)).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsQuery {
    /// The start (its whole UTC day is included).
    pub from: Timestamp,
    /// The end, exclusive (the UTC day it falls in is included unless it is exactly midnight).
    pub until: Timestamp,
    /// Only this account.
    pub account: Option<ChannelAccountId>,
    /// Only this agent.
    pub agent: Option<UserId>,
}

impl AnalyticsQuery {
    /// Everything between `from` and `until`.
    pub fn new(from: Timestamp, until: Timestamp) -> Self {
        AnalyticsQuery { from, until, account: None, agent: None }
    }

    /// Only one account.
    pub fn account(mut self, account: ChannelAccountId) -> Self {
        self.account = Some(account);
        self
    }

    /// Only one agent.
    pub fn agent(mut self, agent: UserId) -> Self {
        self.agent = Some(agent);
        self
    }

    /// The first and last UTC day covered (days since the Unix epoch), inclusive.
    pub fn days(&self) -> (i64, i64) {
        let last = day_of(Timestamp::from_unix_millis(self.until.as_unix_millis().saturating_sub(1)));
        (day_of(self.from), last)
    }

    /// Checks that the range is not empty and at most [`MAX_QUERY_DAYS`] long.
    pub fn validate(&self) -> Result<()> {
        if self.until <= self.from {
            return Err(Error::new(ErrorKind::InvalidInput, "an analytics range must end after it starts"));
        }
        let (first, last) = self.days();
        if last - first + 1 > MAX_QUERY_DAYS {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("an analytics range covers at most {MAX_QUERY_DAYS} days"),
            ));
        }
        Ok(())
    }

    /// Whether a tally belongs to the answer.
    pub fn matches(&self, key: &TallyKey) -> bool {
        let (first, last) = self.days();
        (first..=last).contains(&key.day)
            && self.account.is_none_or(|account| key.account == account)
            && self.agent.as_ref().is_none_or(|agent| key.agent.as_ref() == Some(agent))
    }
}

/// Count, average and percentiles of one kind of duration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationStats {
    /// How many were measured.
    pub count: u64,
    /// The mean (exact), `None` when none were measured.
    pub average: Option<Duration>,
    /// The median (within 1/64).
    pub p50: Option<Duration>,
    /// The 90th percentile (within 1/64).
    pub p90: Option<Duration>,
    /// The 99th percentile (within 1/64).
    pub p99: Option<Duration>,
}

impl From<&DurationTally> for DurationStats {
    fn from(tally: &DurationTally) -> Self {
        DurationStats {
            count: tally.count,
            average: (tally.count > 0).then(|| Duration::from_millis(tally.sum_millis / tally.count)),
            p50: tally.histogram.percentile(0.50),
            p90: tally.histogram.percentile(0.90),
            p99: tally.histogram.percentile(0.99),
        }
    }
}

/// The measures of one slice of the inbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Customer messages.
    pub messages_in: u64,
    /// Business messages (agents, automations, the platform's own app).
    pub messages_out: u64,
    /// From a conversation's opening to the first agent reply.
    pub first_response: DurationStats,
    /// From a customer's first unanswered message to the agent reply.
    pub response: DurationStats,
    /// From opening to resolution.
    pub resolution: DurationStats,
}

impl From<&Tally> for Metrics {
    fn from(tally: &Tally) -> Self {
        Metrics {
            messages_in: tally.messages_in,
            messages_out: tally.messages_out,
            first_response: (&tally.first_response).into(),
            response: (&tally.response).into(),
            resolution: (&tally.resolution).into(),
        }
    }
}

/// The answer to an [`AnalyticsQuery`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsReport {
    /// Everything in the range.
    pub totals: Metrics,
    /// Per UTC day (the day's midnight), only days with activity, oldest first.
    pub by_day: Vec<(Timestamp, Metrics)>,
    /// Per agent (`None`: unassigned conversations and automations), by user id.
    pub by_agent: Vec<(Option<UserId>, Metrics)>,
    /// Per channel account.
    pub by_account: Vec<(ChannelAccountId, Metrics)>,
    /// The last change of the tenant's change log the report reflects.
    pub position: Position,
}

impl AnalyticsReport {
    /// Builds the report from the tallies of the range (any order; keys may repeat). Every
    /// backend builds it here, so they answer alike, then sets [`position`](Self::position).
    /// Histograms are added up bucket by bucket into one counter array per slice, so the cost is
    /// one addition per stored bucket.
    pub fn from_tallies<'a>(tallies: impl IntoIterator<Item = (&'a TallyKey, &'a Tally)>) -> AnalyticsReport {
        let mut totals = Sum::default();
        let mut by_day: BTreeMap<i64, Sum> = BTreeMap::new();
        let mut by_agent: BTreeMap<Option<UserId>, Sum> = BTreeMap::new();
        let mut by_account: BTreeMap<ChannelAccountId, Sum> = BTreeMap::new();
        for (key, tally) in tallies {
            totals.add(tally);
            by_day.entry(key.day).or_default().add(tally);
            match by_agent.get_mut(&key.agent) {
                Some(sum) => sum.add(tally),
                None => by_agent.entry(key.agent.clone()).or_default().add(tally),
            }
            by_account.entry(key.account).or_default().add(tally);
        }
        AnalyticsReport {
            totals: totals.metrics(),
            by_day: by_day.iter().map(|(day, sum)| (day_start(*day), sum.metrics())).collect(),
            by_agent: by_agent.iter().map(|(agent, sum)| (agent.clone(), sum.metrics())).collect(),
            by_account: by_account.iter().map(|(account, sum)| (*account, sum.metrics())).collect(),
            position: Position::START,
        }
    }
}

/// One slice of a report being added up.
#[derive(Default)]
struct Sum {
    messages_in: u64,
    messages_out: u64,
    first_response: DurationSum,
    response: DurationSum,
    resolution: DurationSum,
}

impl Sum {
    fn add(&mut self, tally: &Tally) {
        self.messages_in += tally.messages_in;
        self.messages_out += tally.messages_out;
        self.first_response.add(&tally.first_response);
        self.response.add(&tally.response);
        self.resolution.add(&tally.resolution);
    }

    fn metrics(&self) -> Metrics {
        Metrics {
            messages_in: self.messages_in,
            messages_out: self.messages_out,
            first_response: self.first_response.stats(),
            response: self.response.stats(),
            resolution: self.resolution.stats(),
        }
    }
}

#[derive(Default)]
struct DurationSum {
    count: u64,
    sum_millis: u64,
    histogram: DenseHistogram,
}

impl DurationSum {
    fn add(&mut self, tally: &DurationTally) {
        self.count += tally.count;
        self.sum_millis = self.sum_millis.saturating_add(tally.sum_millis);
        self.histogram.add(&tally.histogram);
    }

    fn stats(&self) -> DurationStats {
        DurationStats {
            count: self.count,
            average: (self.count > 0).then(|| Duration::from_millis(self.sum_millis / self.count)),
            p50: self.histogram.percentile(0.50),
            p90: self.histogram.percentile(0.90),
            p99: self.histogram.percentile(0.99),
        }
    }
}
