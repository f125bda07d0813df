//! [`RolePolicy`]: the role table alone, without per-member restrictions.

use crate::Error;
use crate::policy::role::automation_permits;
use crate::policy::{Action, Actor, Policy, Resource, Role, check_tenant, denied};

/// The built-in role policy: Admin may do everything; Agent reads, sends, notes, assigns,
/// updates conversations, edits contacts and views analytics; Viewer reads conversations and
/// analytics only. Automations may read, send, note, assign and update conversations.
/// [`Role::permits`] is the table.
///
/// ```
/// use unibox_core::{Action, Actor, Policy, Resource, Role, RolePolicy};
/// let agent = Actor::user("acme".parse().unwrap(), "agent-7".parse().unwrap(), Role::Agent);
/// assert!(RolePolicy.authorize(&agent, Action::SendMessage, Resource::Tenant).is_ok());
/// assert!(RolePolicy.authorize(&agent, Action::ExportData, Resource::Tenant).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RolePolicy;

impl RolePolicy {
    /// Whether `role` (`None`: an automation) has the permission for `action`.
    pub fn allows(role: Option<Role>, action: Action) -> bool {
        match role {
            Some(role) => role.permits(action),
            None => automation_permits(action),
        }
    }
}

impl Policy for RolePolicy {
    fn authorize(&self, actor: &Actor, action: Action, resource: Resource<'_>) -> Result<(), Error> {
        if !Self::allows(actor.role(), action) {
            return Err(denied(actor, action, ""));
        }
        check_tenant(actor, action, &resource)
    }
}
