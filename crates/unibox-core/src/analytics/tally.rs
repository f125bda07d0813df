//! Tallies: the per-day, per-account, per-agent aggregates analytics keeps, and how one
//! conversation's history turns into them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analytics::{LatencyHistogram, Observation, ObservationKind};
use crate::{ChannelAccountId, Timestamp, UserId};

const DAY_MILLIS: i64 = 86_400_000;

/// The UTC day (days since the Unix epoch) a time falls on.
pub(crate) fn day_of(at: Timestamp) -> i64 {
    at.as_unix_millis().div_euclid(DAY_MILLIS)
}

/// The start of a UTC day.
pub(crate) fn day_start(day: i64) -> Timestamp {
    Timestamp::from_unix_millis(day.saturating_mul(DAY_MILLIS))
}

/// Which aggregate a tally belongs to: one UTC day, one channel account, one agent (or none:
/// unassigned conversations, automations).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TallyKey {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// The channel account.
    pub account: ChannelAccountId,
    /// The agent.
    pub agent: Option<UserId>,
}

/// Count, sum and distribution of one kind of duration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DurationTally {
    /// How many.
    pub count: u64,
    /// Their sum, in milliseconds.
    pub sum_millis: u64,
    /// Their distribution.
    pub histogram: LatencyHistogram,
}

impl DurationTally {
    /// Adds one duration.
    pub fn record(&mut self, duration: Duration) {
        self.count += 1;
        self.sum_millis = self.sum_millis.saturating_add(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        self.histogram.record(duration);
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &DurationTally) {
        self.count += other.count;
        self.sum_millis = self.sum_millis.saturating_add(other.sum_millis);
        self.histogram.merge(&other.histogram);
    }
}

/// Everything counted for one [`TallyKey`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Customer messages.
    pub messages_in: u64,
    /// Business messages.
    pub messages_out: u64,
    /// First agent reply after a conversation opened, from the customer's first message.
    pub first_response: DurationTally,
    /// Every agent reply to a waiting customer, from the customer's first unanswered message.
    pub response: DurationTally,
    /// Opening (first customer message, or reopening) to resolution.
    pub resolution: DurationTally,
}

impl Tally {
    /// Adds another tally.
    pub fn merge(&mut self, other: &Tally) {
        self.messages_in += other.messages_in;
        self.messages_out += other.messages_out;
        self.first_response.merge(&other.first_response);
        self.response.merge(&other.response);
        self.resolution.merge(&other.resolution);
    }
}

/// What analytics remembers of one conversation between observations: enough to measure the
/// next response or resolution without reading its messages again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationTrack {
    /// The agent working it.
    pub assignee: Option<UserId>,
    /// When the current opening began (the customer's first message, or a reopening); `None`
    /// while resolved.
    pub opened_at: Option<Timestamp>,
    /// The customer's first message no agent has answered yet.
    pub awaiting_since: Option<Timestamp>,
    /// No agent has answered since the conversation opened.
    pub first_response_pending: bool,
}

impl ConversationTrack {
    /// Applies one observation: updates the track and adds what it measured to `tallies`.
    /// Every backend runs this, so they measure the same.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use unibox_core::analytics::{ConversationTrack, Observation, ObservationKind};
    /// use unibox_core::{ChannelAccountId, ConversationId, Timestamp};
    /// let (conversation, account) = (ConversationId::new(), ChannelAccountId::new());
    /// let at = |s| Timestamp::from_unix_seconds(s);
    /// let mut track = ConversationTrack::default();
    /// let mut tallies = BTreeMap::new();
    /// track.observe(&Observation { conversation, account, at: at(0), kind: ObservationKind::MessageIn }, &mut tallies);
    /// let reply = ObservationKind::MessageOut { agent: Some("agent-7".parse().unwrap()) };
    /// track.observe(&Observation { conversation, account, at: at(90), kind: reply }, &mut tallies);
    /// let agent_day = tallies.values().find(|t| t.first_response.count == 1).unwrap();
    /// assert_eq!(agent_day.first_response.sum_millis, 90_000);
    /// ```
    pub fn observe(&mut self, observation: &Observation, tallies: &mut BTreeMap<TallyKey, Tally>) {
        let at = observation.at;
        let key = |agent: Option<UserId>| TallyKey { day: day_of(at), account: observation.account, agent };
        match &observation.kind {
            ObservationKind::MessageIn => {
                tallies.entry(key(self.assignee.clone())).or_default().messages_in += 1;
                if self.opened_at.is_none() {
                    self.opened_at = Some(at);
                    self.first_response_pending = true;
                }
                if self.awaiting_since.is_none() {
                    self.awaiting_since = Some(at);
                }
            }
            ObservationKind::MessageOut { agent } => {
                let tally = tallies.entry(key(agent.clone())).or_default();
                tally.messages_out += 1;
                // Automations and the platform's own app do not answer the customer for the team.
                if agent.is_some()
                    && let Some(since) = self.awaiting_since.take()
                {
                    let waited = at.duration_since(since);
                    tally.response.record(waited);
                    if std::mem::take(&mut self.first_response_pending) {
                        tally.first_response.record(waited);
                    }
                }
            }
            ObservationKind::Assigned { agent } => self.assignee = agent.clone(),
            ObservationKind::Resolved => {
                if let Some(opened) = self.opened_at.take() {
                    tallies.entry(key(self.assignee.clone())).or_default().resolution.record(at.duration_since(opened));
                }
                self.awaiting_since = None;
                self.first_response_pending = false;
            }
            ObservationKind::Reopened => {
                if self.opened_at.is_none() {
                    self.opened_at = Some(at);
                }
            }
        }
    }
}
