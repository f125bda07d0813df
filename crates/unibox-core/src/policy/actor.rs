//! Who is acting: a user with a role, or an automation of the tenant.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::Role;
use crate::{TenantId, UserId};

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
