//! The built-in roles and the permissions each one holds.

use serde::{Deserialize, Serialize};

use crate::policy::Action;

/// A role in a tenant.
///
/// ```
/// use unibox_core::{Action, Role};
/// assert!(Role::Agent.permits(Action::SendMessage));
/// assert!(!Role::Viewer.permits(Action::SendMessage));
/// assert!(!Role::Viewer.permits(Action::ExportData));
/// assert_eq!("viewer".parse::<Role>().unwrap(), Role::Viewer);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including channels, settings, roles and data export.
    Admin,
    /// Works conversations: reads, replies, notes, assigns.
    Agent,
    /// Reads only; never sends or exports.
    Viewer,
}

impl Role {
    /// Every role, from most to least privileged.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Agent, Role::Viewer];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// Whether the role holds the permission for `action`. This table is the built-in policy;
    /// `docs/team-inbox.md` prints it.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Agent => matches!(
                action,
                ReadConversations
                    | SendMessage
                    | AddNote
                    | AssignConversation
                    | UpdateConversation
                    | EditContacts
                    | ViewAnalytics
            ),
            Role::Viewer => matches!(action, ReadConversations | ViewAnalytics),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| {
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("unknown role {s:?}; expected admin, agent or viewer"),
            )
        })
    }
}

/// The permissions of an automation (auto-reply, AI assistant, auto-assignment, import job):
/// it works conversations but never manages the tenant, exports or deletes.
pub(crate) fn automation_permits(action: Action) -> bool {
    use Action::*;
    matches!(action, ReadConversations | SendMessage | AddNote | AssignConversation | UpdateConversation)
}
