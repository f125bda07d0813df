//! What analytics learns from: messages and workflow changes, as they are recorded.

use serde::{Deserialize, Serialize};

use crate::{Author, ChannelAccountId, ConversationId, Message, Timestamp, UserId};

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
