//! The actions a policy decides on: each is one permission.

use serde::{Deserialize, Serialize};

/// An operation that needs permission. Its [`as_str`](Action::as_str) name is the
/// permission's name in denials and in the audit trail.
///
/// ```
/// use unibox_core::Action;
/// assert_eq!(Action::SendMessage.as_str(), "send_message");
/// assert_eq!("export_data".parse::<Action>().unwrap(), Action::ExportData);
/// assert_eq!(Action::ALL.len(), 15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Read conversations, messages, contacts and notes.
    ReadConversations,
    /// Send a message to a customer.
    SendMessage,
    /// Add an internal note.
    AddNote,
    /// Assign, unassign or transfer a conversation.
    AssignConversation,
    /// Change a conversation's status or tags.
    UpdateConversation,
    /// Connect, reconnect or disconnect a channel account.
    ManageChannels,
    /// Export the tenant's data.
    ExportData,
    /// Edit contact profiles and merge two contacts.
    EditContacts,
    /// Create, change and delete canned replies.
    ManageCannedReplies,
    /// Read response-time and volume analytics.
    ViewAnalytics,
    /// Read the audit trail and verify it.
    ViewAuditLog,
    /// Change the tenant's settings (auto-reply, business hours, session timeouts).
    ManageSettings,
    /// Invite and remove members, change their roles, restrictions and teams.
    ManageMembers,
    /// Request deletion of a contact's or the tenant's data.
    DeleteData,
    /// Read usage counters and credits (metering).
    ViewUsage,
}

impl Action {
    /// Every action, in declaration order: the rows of the permission table.
    pub const ALL: [Action; 15] = [
        Action::ReadConversations,
        Action::SendMessage,
        Action::AddNote,
        Action::AssignConversation,
        Action::UpdateConversation,
        Action::ManageChannels,
        Action::ExportData,
        Action::EditContacts,
        Action::ManageCannedReplies,
        Action::ViewAnalytics,
        Action::ViewAuditLog,
        Action::ManageSettings,
        Action::ManageMembers,
        Action::DeleteData,
        Action::ViewUsage,
    ];

    /// The snake_case name, which is also the permission's name in denials.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadConversations => "read_conversations",
            Action::SendMessage => "send_message",
            Action::AddNote => "add_note",
            Action::AssignConversation => "assign_conversation",
            Action::UpdateConversation => "update_conversation",
            Action::ManageChannels => "manage_channels",
            Action::ExportData => "export_data",
            Action::EditContacts => "edit_contacts",
            Action::ManageCannedReplies => "manage_canned_replies",
            Action::ViewAnalytics => "view_analytics",
            Action::ViewAuditLog => "view_audit_log",
            Action::ManageSettings => "manage_settings",
            Action::ManageMembers => "manage_members",
            Action::DeleteData => "delete_data",
            Action::ViewUsage => "view_usage",
        }
    }

    /// Whether the action concerns conversations (and so is subject to a member's channel and
    /// assignment restrictions).
    pub fn is_conversation_work(self) -> bool {
        matches!(
            self,
            Action::ReadConversations
                | Action::SendMessage
                | Action::AddNote
                | Action::AssignConversation
                | Action::UpdateConversation
        )
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Action {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| crate::Error::new(crate::ErrorKind::InvalidInput, format!("unknown action {s:?}")))
    }
}
