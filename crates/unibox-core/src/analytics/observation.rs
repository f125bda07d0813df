//! What analytics learns from: messages and workflow changes, as they are recorded.

use serde::{Deserialize, Serialize};

use crate::inbox::RoutedEvent;
use crate::{
    Author, ChannelAccountId, ContactIdentity, ConversationId, Direction, EventKind, Message, TenantId, Timestamp,
    UserId,
};

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
}

/// What analytics keeps of an event that may store a message, taken before the events are
/// handed to the inbox: enough to find the message's conversation once it is stored (by the
/// customer's identity on the account) and to observe it.
///
/// ```
/// use unibox_core::analytics::IngestedMessage;
/// assert!(IngestedMessage::of_events(&[]).is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestedMessage {
    index: usize,
    tenant: TenantId,
    customer: ContactIdentity,
    at: Timestamp,
    direction: Direction,
}

impl IngestedMessage {
    /// The message-carrying events of a batch (messages, echoes and postbacks), by position.
    pub fn of_events(events: &[RoutedEvent]) -> Vec<IngestedMessage> {
        events
            .iter()
            .enumerate()
            .filter_map(|(index, routed)| {
                let (customer, direction) = match &routed.event.kind {
                    EventKind::Message(message) => (&message.customer, message.direction),
                    EventKind::Postback { customer, .. } => (customer, Direction::Inbound),
                    _ => return None,
                };
                Some(IngestedMessage {
                    index,
                    tenant: routed.tenant.clone(),
                    customer: ContactIdentity {
                        account: routed.account,
                        kind: customer.kind.clone(),
                        value: customer.id.clone(),
                    },
                    at: routed.event.occurred_at,
                    direction,
                })
            })
            .collect()
    }

    /// The event's position in its batch (outcomes come in the same order).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The customer's identity on the account: it finds the conversation.
    pub fn customer(&self) -> &ContactIdentity {
        &self.customer
    }

    /// The observation, once the conversation is known. Echoes of the business's own messages
    /// count as outbound without an agent.
    pub fn observation(&self, conversation: ConversationId) -> Observation {
        let kind = match self.direction {
            Direction::Inbound => ObservationKind::MessageIn,
            Direction::Outbound => ObservationKind::MessageOut { agent: None },
        };
        Observation { conversation, account: self.customer.account, at: self.at, kind }
    }
}
