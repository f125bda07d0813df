//! The inbox events working the inbox emits: one per change, for real-time UIs, the audit trail
//! and analytics.

use serde::{Deserialize, Serialize};

use crate::workflow::AssignmentStrategy;
use crate::{ContactId, ConversationId, ConversationStatus, NoteId, Timestamp, UserId};

/// A change a team member (or an automation) made to the inbox.
///
/// ```
/// use unibox_core::workflow::WorkflowEvent;
/// use unibox_core::ConversationId;
/// let event = WorkflowEvent::Unassigned { conversation: ConversationId::new(), from: "agent-7".parse().unwrap() };
/// assert_eq!(event.action(), "conversation.unassign");
/// assert!(event.target().starts_with("conversation:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WorkflowEvent {
    /// A conversation was assigned, transferred (`from` is set) or auto-assigned (`strategy`).
    Assigned {
        /// The conversation.
        conversation: ConversationId,
        /// The previous assignee, for a transfer.
        from: Option<UserId>,
        /// The new assignee.
        to: UserId,
        /// How it was chosen, when automatic.
        strategy: Option<AssignmentStrategy>,
    },
    /// A conversation lost its assignee.
    Unassigned {
        /// The conversation.
        conversation: ConversationId,
        /// Who worked it.
        from: UserId,
    },
    /// A conversation's status changed.
    StatusChanged {
        /// The conversation.
        conversation: ConversationId,
        /// The old status.
        from: ConversationStatus,
        /// The new status.
        to: ConversationStatus,
        /// The wake-up time of a snooze.
        snoozed_until: Option<Timestamp>,
    },
    /// A conversation's tags changed.
    TagsChanged {
        /// The conversation.
        conversation: ConversationId,
        /// The tags now.
        tags: Vec<String>,
    },
    /// An agent read a conversation.
    ConversationRead {
        /// The conversation.
        conversation: ConversationId,
        /// The agent.
        user: UserId,
        /// Read up to this time.
        up_to: Timestamp,
    },
    /// An internal note was added.
    NoteAdded {
        /// The conversation.
        conversation: ConversationId,
        /// The note.
        note: NoteId,
    },
    /// A contact's profile was edited.
    ContactUpdated {
        /// The contact.
        contact: ContactId,
    },
    /// Two contacts were found to be one person: `merged` now is `kept`.
    ContactsMerged {
        /// The contact that remains.
        kept: ContactId,
        /// The contact that is gone.
        merged: ContactId,
    },
    /// A canned reply was created or changed.
    CannedReplySaved {
        /// Its shortcut.
        shortcut: String,
    },
    /// A canned reply was deleted.
    CannedReplyDeleted {
        /// Its shortcut.
        shortcut: String,
    },
    /// An agent was added to the roster or changed.
    AgentSaved {
        /// The agent.
        user: UserId,
    },
    /// An agent was taken off the roster.
    AgentRemoved {
        /// The agent.
        user: UserId,
    },
    /// An agent became available or unavailable.
    AvailabilityChanged {
        /// The agent.
        user: UserId,
        /// Whether they take new conversations now.
        available: bool,
    },
}

impl WorkflowEvent {
    /// The audit action, as a dotted verb.
    pub fn action(&self) -> &'static str {
        match self {
            WorkflowEvent::Assigned { strategy: Some(_), .. } => "conversation.auto_assign",
            WorkflowEvent::Assigned { from: Some(_), .. } => "conversation.transfer",
            WorkflowEvent::Assigned { .. } => "conversation.assign",
            WorkflowEvent::Unassigned { .. } => "conversation.unassign",
            WorkflowEvent::StatusChanged { .. } => "conversation.status",
            WorkflowEvent::TagsChanged { .. } => "conversation.tags",
            WorkflowEvent::ConversationRead { .. } => "conversation.read",
            WorkflowEvent::NoteAdded { .. } => "note.add",
            WorkflowEvent::ContactUpdated { .. } => "contact.update",
            WorkflowEvent::ContactsMerged { .. } => "contact.merge",
            WorkflowEvent::CannedReplySaved { .. } => "canned_reply.save",
            WorkflowEvent::CannedReplyDeleted { .. } => "canned_reply.delete",
            WorkflowEvent::AgentSaved { .. } => "roster.save",
            WorkflowEvent::AgentRemoved { .. } => "roster.remove",
            WorkflowEvent::AvailabilityChanged { .. } => "roster.availability",
        }
    }

    /// What the change applies to, as the audit trail names it (`conversation:<id>`).
    pub fn target(&self) -> String {
        match self {
            WorkflowEvent::Assigned { conversation, .. }
            | WorkflowEvent::Unassigned { conversation, .. }
            | WorkflowEvent::StatusChanged { conversation, .. }
            | WorkflowEvent::TagsChanged { conversation, .. }
            | WorkflowEvent::ConversationRead { conversation, .. }
            | WorkflowEvent::NoteAdded { conversation, .. } => crate::audit::targets::conversation(*conversation),
            WorkflowEvent::ContactUpdated { contact } => format!("contact:{contact}"),
            WorkflowEvent::ContactsMerged { kept, .. } => format!("contact:{kept}"),
            WorkflowEvent::CannedReplySaved { shortcut } | WorkflowEvent::CannedReplyDeleted { shortcut } => {
                format!("canned_reply:{shortcut}")
            }
            WorkflowEvent::AgentSaved { user }
            | WorkflowEvent::AgentRemoved { user }
            | WorkflowEvent::AvailabilityChanged { user, .. } => format!("agent:{user}"),
        }
    }
}
