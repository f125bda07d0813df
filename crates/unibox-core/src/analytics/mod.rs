//! Analytics: first response time, response time, resolution time and message counts, per
//! agent, per channel account and per day, with percentiles.
//!
//! Computed incrementally: as messages and workflow changes are recorded, the hub hands each
//! one to the [`Analytics`] port as an [`Observation`]. The store keeps a small
//! [`ConversationTrack`] per conversation (who works it, since when the customer waits) and one
//! [`Tally`] per (UTC day, account, agent): counts, sums and a [`LatencyHistogram`]. A query
//! adds up the tallies of its days, so its cost depends on the number of days, accounts and
//! agents, never on the number of messages.
//!
//! Definitions:
//! - **First response time**: from the customer's first message after a conversation opened
//!   to the first reply by a human agent. Automations and messages sent from the platform's own
//!   app are counted as outbound messages but are not responses.
//! - **Response time**: from the customer's first unanswered message to the agent's reply,
//!   for every reply that answers a waiting customer (first responses included).
//! - **Resolution time**: from opening (first customer message, or a reopening by the team)
//!   to resolution, attributed to the assignee at resolution.
//! - Durations are attributed to the day they ended on (UTC) and to the agent who replied or
//!   resolved; customer messages to the assignee at the time.

mod histogram;
mod observation;
mod report;
mod tally;

use std::fmt;

use async_trait::async_trait;

pub use histogram::LatencyHistogram;
pub use observation::{IngestedMessage, Observation, ObservationKind};
pub use report::{AnalyticsQuery, AnalyticsReport, DurationStats, MAX_QUERY_DAYS, Metrics};
pub use tally::{ConversationTrack, DurationTally, Tally, TallyKey};

use crate::{Result, TenantId};

/// Where analytics is kept and queried. Memory and SQLite implement it; every backend folds
/// observations with [`ConversationTrack::observe`] and answers with
/// [`AnalyticsReport::from_tallies`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::analytics::{Analytics, AnalyticsQuery, Observation, ObservationKind};
/// use unibox_core::memory::MemoryAnalytics;
/// use unibox_core::{ChannelAccountId, ConversationId, Timestamp};
/// let analytics = MemoryAnalytics::new();
/// let tenant = "acme".parse().unwrap();
/// let (conversation, account) = (ConversationId::new(), ChannelAccountId::new());
/// let at = Timestamp::from_unix_seconds(1_732_170_000);
/// analytics.record(&tenant, &[Observation { conversation, account, at, kind: ObservationKind::MessageIn }]).await.unwrap();
/// let day = AnalyticsQuery::new(at, at.saturating_add(std::time::Duration::from_secs(1)));
/// assert_eq!(analytics.report(&tenant, &day).await.unwrap().totals.messages_in, 1);
/// # });
/// ```
#[async_trait]
pub trait Analytics: Send + Sync + fmt::Debug + 'static {
    /// Folds observations of one tenant into the tallies, in order, atomically.
    async fn record(&self, tenant: &TenantId, observations: &[Observation]) -> Result<()>;

    /// Answers a query from the tallies of its days.
    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport>;
}
