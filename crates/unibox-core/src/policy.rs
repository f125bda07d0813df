//! The [`Policy`] port: who may do what. Every hub operation takes an [`Actor`] and is
//! authorized in one place.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ChannelAccount, Conversation, Error, ErrorKind, TenantId, UserId};

/// A role in a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }
}

/// Who is acting: a user of the embedding application with a role, or an automation.
///
/// ```
/// use unibox_core::{Actor, Role};
/// let agent = Actor::user("acme".parse().unwrap(), "agent-7".parse().unwrap(), Role::Agent);
/// assert_eq!(agent.tenant().as_str(), "acme");
/// assert_eq!(agent.to_string(), "agent-7 (agent)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    tenant: TenantId,
    principal: Principal,
}

/// The kind of actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Principal {
    /// A person.
    User {
        /// Their id in the embedding application.
        id: UserId,
        /// Their role in the tenant.
        role: Role,
    },
    /// An automation of the tenant (auto-reply, AI assistant, import job), by name.
    Automation {
        /// Its name.
        name: String,
    },
}

impl Actor {
    /// A person with a role in a tenant.
    pub fn user(tenant: TenantId, id: UserId, role: Role) -> Self {
        Actor { tenant, principal: Principal::User { id, role } }
    }

    /// An automation acting in a tenant.
    pub fn automation(tenant: TenantId, name: impl Into<String>) -> Self {
        Actor { tenant, principal: Principal::Automation { name: name.into() } }
    }

    /// The tenant the actor acts in: every operation is scoped to it.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Who.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The role, for a user.
    pub fn role(&self) -> Option<Role> {
        match &self.principal {
            Principal::User { role, .. } => Some(*role),
            Principal::Automation { .. } => None,
        }
    }

    /// The user id, for a user.
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Automation { .. } => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.principal {
            Principal::User { id, role } => write!(f, "{id} ({})", role.as_str()),
            Principal::Automation { name } => write!(f, "automation {name}"),
        }
    }
}

/// An operation that needs permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

impl Action {
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
        }
    }
}

/// What an action is applied to.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Resource<'a> {
    /// The tenant as a whole (settings, export).
    Tenant,
    /// A conversation.
    Conversation(&'a Conversation),
    /// A channel account.
    ChannelAccount(&'a ChannelAccount),
}

/// Decides whether an actor may perform an action. Synchronous and cheap: it runs on every
/// operation. Tenant scoping is not the policy's job (the hub scopes every query to the
/// actor's tenant); roles and restrictions are.
///
/// ```
/// use unibox_core::{Action, Actor, ErrorKind, Policy, Resource, Role, RolePolicy};
/// let viewer = Actor::user("acme".parse().unwrap(), "v-1".parse().unwrap(), Role::Viewer);
/// let err = RolePolicy.authorize(&viewer, Action::SendMessage, Resource::Tenant).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
/// assert!(err.message().contains("send_message"));
/// ```
pub trait Policy: Send + Sync + fmt::Debug + 'static {
    /// `Ok` when allowed; otherwise [`ErrorKind::PermissionDenied`] naming the missing permission.
    fn authorize(&self, actor: &Actor, action: Action, resource: Resource<'_>) -> Result<(), Error>;
}

/// The built-in role policy: Admin may do everything; Agent reads, sends, notes, assigns and
/// updates conversations; Viewer only reads. Automations may read, send and note.
#[derive(Clone, Copy, Debug, Default)]
pub struct RolePolicy;

impl RolePolicy {
    /// Whether `role` has the permission for `action`.
    pub fn allows(role: Option<Role>, action: Action) -> bool {
        use Action::*;
        match role {
            Some(Role::Admin) => true,
            Some(Role::Agent) => {
                matches!(action, ReadConversations | SendMessage | AddNote | AssignConversation | UpdateConversation)
            }
            Some(Role::Viewer) => matches!(action, ReadConversations),
            None => matches!(action, ReadConversations | SendMessage | AddNote),
        }
    }
}

impl Policy for RolePolicy {
    fn authorize(&self, actor: &Actor, action: Action, _resource: Resource<'_>) -> Result<(), Error> {
        if Self::allows(actor.role(), action) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::PermissionDenied, format!("{actor} lacks the {} permission", action.as_str())))
        }
    }
}
