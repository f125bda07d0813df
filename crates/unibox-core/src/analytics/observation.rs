//! What analytics learns from: messages and workflow changes, as they are recorded.

use serde::{Deserialize, Serialize};

use crate::inbox::{IngestOutcome, RoutedEvent};
use crate::{Author, ChannelAccountId, ConversationId, Direction, EventKind, Message, TenantId, Timestamp, UserId};

/// One thing that happened to a conversation, as analytics needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The conversation.
    pub conversation: ConversationId,
    /// Its channel account.
    pub account: ChannelAccountId,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: ObservationKind,
}

/// What happened to a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObservationKind {
    /// The customer wrote.
    MessageIn,
    /// The business wrote: an agent (`agent` set) or an automation, or from the platform's app.
    MessageOut {
        /// The human agent who wrote it; only agents' replies count as responses.
        agent: Option<UserId>,
    },
    /// The assignee changed.
    Assigned {
        /// The new assignee, or `None` when unassigned.
        agent: Option<UserId>,
    },
    /// The conversation was resolved.
    Resolved,
    /// The conversation was reopened by the team (a customer message reopens it implicitly).
    Reopened,
}

impl Observation {
    /// What an outbound message recorded by the hub tells analytics.
    ///
    /// ```
    /// use unibox_core::analytics::{Observation, ObservationKind};
    /// # fn show(message: &unibox_core::Message) {
    /// let observation = Observation::of_outbound(message);
    /// assert!(matches!(observation.kind, ObservationKind::MessageOut { .. }));
    /// # }
    /// ```
    pub fn of_outbound(message: &Message) -> Observation {
        let agent = match &message.author {
            Author::Agent(user) => Some(user.clone()),
            _ => None,
        };
        Observation {
            conversation: message.conversation,
            account: message.account,
            at: message.sent_at,
            kind: ObservationKind::MessageOut { agent },
        }
    }

    /// The messages a webhook delivery stored for the first time, with their tenants: one
    /// observation per new message or postback (echoes of the business's own messages count as
    /// outbound, without an agent). `outcomes` are [`Inbox::ingest`](crate::Inbox::ingest)'s,
    /// in event order.
    pub fn of_ingest(events: &[IngestedMessage], outcomes: &[IngestOutcome]) -> Vec<(TenantId, Observation)> {
        events
            .iter()
            .filter_map(|event| {
                let outcome = outcomes.get(event.index)?;
                let IngestOutcome::Stored { conversation: Some(conversation), message: Some(_) } = outcome else {
                    return None;
                };
                let kind = match event.direction {
                    Direction::Inbound => ObservationKind::MessageIn,
                    Direction::Outbound => ObservationKind::MessageOut { agent: None },
                };
                let observation =
                    Observation { conversation: *conversation, account: event.account, at: event.at, kind };
                Some((event.tenant.clone(), observation))
            })
            .collect()
    }
}

/// The little analytics keeps of an event that may store a message, taken before the events
/// are handed to the inbox (see [`IngestedMessage::of_events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestedMessage {
    index: usize,
    tenant: TenantId,
    account: ChannelAccountId,
    at: Timestamp,
    direction: Direction,
}

impl IngestedMessage {
    /// The message-carrying events of a batch, by position.
    pub fn of_events(events: &[RoutedEvent]) -> Vec<IngestedMessage> {
        events
            .iter()
            .enumerate()
            .filter_map(|(index, routed)| {
                let direction = match &routed.event.kind {
                    EventKind::Message(message) => message.direction,
                    EventKind::Postback { .. } => Direction::Inbound,
                    _ => return None,
                };
                Some(IngestedMessage {
                    index,
                    tenant: routed.tenant.clone(),
                    account: routed.account,
                    at: routed.event.occurred_at,
                    direction,
                })
            })
            .collect()
    }
}
