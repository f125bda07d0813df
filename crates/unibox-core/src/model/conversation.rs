use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, ContactId, ConversationId, TenantId, Timestamp, UserId};

/// Where a conversation stands in the team's workflow.
///
/// ```
/// use unibox_core::ConversationStatus;
/// assert_eq!(ConversationStatus::Snoozed.as_str(), "snoozed");
/// assert_eq!("resolved".parse::<ConversationStatus>().unwrap(), ConversationStatus::Resolved);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Needs attention.
    Open,
    /// Waiting on someone (the customer, another team).
    Pending,
    /// Hidden until [`Conversation::snoozed_until`].
    Snoozed,
    /// Done; a new customer message reopens it.
    Resolved,
}

impl ConversationStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Pending => "pending",
            ConversationStatus::Snoozed => "snoozed",
            ConversationStatus::Resolved => "resolved",
        }
    }
}

impl fmt::Display for ConversationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ConversationStatus {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(ConversationStatus::Open),
            "pending" => Ok(ConversationStatus::Pending),
            "snoozed" => Ok(ConversationStatus::Snoozed),
            "resolved" => Ok(ConversationStatus::Resolved),
            other => Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("unknown conversation status {other:?}; expected open, pending, snoozed or resolved"),
            )),
        }
    }
}

/// A conversation: the thread between the business and one contact on one channel account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// unibox's id.
    pub id: ConversationId,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The channel account the conversation happens on.
    pub account: ChannelAccountId,
    /// The customer.
    pub contact: ContactId,
    /// Workflow status.
    pub status: ConversationStatus,
    /// When a snoozed conversation wakes up.
    pub snoozed_until: Option<Timestamp>,
    /// The agent working it.
    pub assignee: Option<UserId>,
    /// Labels, sorted and unique.
    pub tags: Vec<String>,
    /// Inbound messages nobody has read yet.
    pub unread_count: u32,
    /// When the customer last wrote: messaging windows are measured from here.
    pub last_inbound_at: Option<Timestamp>,
    /// The latest message in either direction: the inbox is ordered by it.
    pub last_activity_at: Timestamp,
    /// When the conversation began.
    pub created_at: Timestamp,
}
