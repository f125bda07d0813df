//! Read markers per agent: what one agent has read in one conversation.

use serde::{Deserialize, Serialize};

use crate::{ConversationId, Timestamp, UserId};

/// How far one agent has read a conversation, and how many customer messages are newer.
///
/// The conversation's own `unread_count` is the team's view (unread by anyone); this is one
/// agent's. Marking a conversation read sets both.
///
/// ```
/// use unibox_core::workflow::ReadState;
/// use unibox_core::ConversationId;
/// let state = ReadState { conversation: ConversationId::new(), user: "agent-7".parse().unwrap(), read_up_to: None, unread: 3 };
/// assert!(state.has_unread());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// The conversation.
    pub conversation: ConversationId,
    /// The agent.
    pub user: UserId,
    /// The agent has read every message sent up to this time; `None`: never opened it.
    pub read_up_to: Option<Timestamp>,
    /// Inbound messages sent after `read_up_to`.
    pub unread: u32,
}

impl ReadState {
    /// Whether the agent has customer messages to read.
    pub fn has_unread(&self) -> bool {
        self.unread > 0
    }
}
