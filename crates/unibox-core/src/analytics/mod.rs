//! Analytics: first response time, response time, resolution time and message counts, per
//! agent, per channel account and per day, with percentiles.
//!
//! Computed incrementally from the inbox's change log: the hub reads each tenant's changes
//! from the position its analytics reflect, turns them into [`Observation`]s
//! ([`observations_of`]) and records them with the new position in one step, so every change is
//! counted exactly once, across crashes and however far analytics fall behind. The store keeps a small
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
mod projection;
mod report;
mod tally;

use std::fmt;

use async_trait::async_trait;

pub use histogram::LatencyHistogram;
pub use observation::{Observation, ObservationKind};
pub use projection::{ChangeSpan, conversation_change, observations_of};
pub use report::{AnalyticsQuery, AnalyticsReport, DurationStats, MAX_QUERY_DAYS, Metrics};
pub use tally::{ConversationTrack, DurationTally, Tally, TallyKey};

use crate::changes::Position;
use crate::{Result, TenantId};

/// Where analytics is kept and queried. Memory and SQLite implement it; every backend folds
/// observations with [`ConversationTrack::observe`] and answers with
/// [`AnalyticsReport::from_tallies`].
///
/// Each tenant's analytics remember the change-log [`Position`] they reflect. A batch of
/// observations comes with the [`ChangeSpan`] of changes it was read from, and is recorded only
/// if the tenant's analytics are at its start: so a batch recorded by one projector (or before
/// a crash) is never counted again by another (or after the restart).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::analytics::{Analytics, AnalyticsQuery, ChangeSpan, Observation, ObservationKind};
/// use unibox_core::changes::Position;
/// use unibox_core::memory::MemoryAnalytics;
/// use unibox_core::{ChannelAccountId, ConversationId, Timestamp};
/// let analytics = MemoryAnalytics::new();
/// let tenant = "acme".parse().unwrap();
/// let (conversation, account) = (ConversationId::new(), ChannelAccountId::new());
/// let at = Timestamp::from_unix_seconds(1_732_170_000);
/// let span = ChangeSpan::new(Position::START, Position::new(7));
/// let message = [Observation { conversation, account, at, kind: ObservationKind::MessageIn }];
/// analytics.record(&tenant, span, &message).await.unwrap();
/// assert!(analytics.record(&tenant, span, &message).await.is_err(), "counted once");
/// let day = AnalyticsQuery::new(at, at.saturating_add(std::time::Duration::from_secs(1)));
/// let report = analytics.report(&tenant, &day).await.unwrap();
/// assert_eq!((report.totals.messages_in, report.position), (1, Position::new(7)));
/// # });
/// ```
#[async_trait]
pub trait Analytics: Send + Sync + fmt::Debug + 'static {
    /// Folds observations of one tenant into the tallies, in order, and moves the tenant's
    /// position to `span.through`, atomically. `Conflict` (nothing recorded) unless the tenant
    /// is at `span.after`; `InvalidInput` for an empty span. `observations` may be empty (the
    /// changes taught nothing): the position moves all the same.
    async fn record(&self, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()>;

    /// The change-log position the tenant's analytics reflect ([`Position::START`] before any).
    async fn position(&self, tenant: &TenantId) -> Result<Position>;

    /// Answers a query from the tallies of its days, with the position they reflect.
    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport>;
}
