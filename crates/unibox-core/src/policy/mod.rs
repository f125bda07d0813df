//! The [`Policy`] port: who may do what. Every hub operation takes an [`Actor`] and is
//! authorized in one place.
//!
//! Two policies ship:
//!
//! - [`RolePolicy`]: the role table alone (Admin, Agent, Viewer, and automations).
//! - [`TeamPolicy`]: the same table plus per-member restrictions, written as plain data
//!   ([`TeamRules`]): which channel accounts and platforms a member works, which conversations
//!   they see (all, or assigned to them plus unassigned, ...), and team membership.
//!
//! A denial is always an [`ErrorKind::PermissionDenied`] error whose message and `permission`
//! context name the missing permission (see [`missing_permission`]).

mod action;
mod actor;
mod role;
mod role_policy;
mod rules;
mod scope;
mod team;

use std::fmt;

pub use action::Action;
pub use actor::{Actor, Principal};
pub use role::Role;
pub use role_policy::RolePolicy;
pub use rules::{AccountScope, MemberRules, RoleDefaults, Team, TeamRules, Visibility};
pub use scope::{AssigneeScope, ConversationScope};
pub use team::TeamPolicy;

use crate::{ChannelAccount, Conversation, Error, ErrorKind};

/// What an action is applied to.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Resource<'a> {
    /// The tenant as a whole (settings, export, listings).
    Tenant,
    /// A conversation.
    Conversation(&'a Conversation),
    /// A channel account.
    ChannelAccount(&'a ChannelAccount),
}

impl Resource<'_> {
    /// The resource's kind, as named in denials and policy languages.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Tenant => "tenant",
            Resource::Conversation(_) => "conversation",
            Resource::ChannelAccount(_) => "channel_account",
        }
    }
}

/// Decides whether an actor may perform an action. Synchronous and cheap: it runs on every
/// operation. The hub scopes every query to the actor's tenant; a policy additionally refuses
/// a resource of another tenant, and applies roles and restrictions.
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

    /// Which conversations the actor may see, for listings and searches: stores filter with it,
    /// so a restricted agent's inbox never shows what [`authorize`](Policy::authorize) would
    /// refuse. The default (for policies without restrictions) is every conversation.
    fn conversation_scope(&self, actor: &Actor) -> ConversationScope {
        let _ = actor;
        ConversationScope::all()
    }
}

/// The permission a denial names, if `error` is a denial.
///
/// ```
/// use unibox_core::policy::missing_permission;
/// use unibox_core::{Action, Actor, Policy, Resource, Role, RolePolicy};
/// let viewer = Actor::user("acme".parse().unwrap(), "v-1".parse().unwrap(), Role::Viewer);
/// let err = RolePolicy.authorize(&viewer, Action::ExportData, Resource::Tenant).unwrap_err();
/// assert_eq!(missing_permission(&err), Some(Action::ExportData));
/// ```
pub fn missing_permission(error: &Error) -> Option<Action> {
    if error.kind() != ErrorKind::PermissionDenied {
        return None;
    }
    error.context().iter().find(|(key, _)| *key == "permission").and_then(|(_, value)| value.parse().ok())
}

/// A denial of `action` to `actor`; `why` (may be empty) says which restriction refused it.
pub(crate) fn denied(actor: &Actor, action: Action, why: &str) -> Error {
    let message = if why.is_empty() {
        format!("{actor} lacks the {} permission", action.as_str())
    } else {
        format!("{actor} lacks the {} permission {why}", action.as_str())
    };
    Error::new(ErrorKind::PermissionDenied, message)
        .with_operation("policy.authorize")
        .with_context("permission", action)
}

/// Refuses a resource of another tenant than the actor's. The hub never passes one; this is
/// the second line of defence for callers that build resources themselves.
pub(crate) fn check_tenant(actor: &Actor, action: Action, resource: &Resource<'_>) -> Result<(), Error> {
    let owner = match resource {
        Resource::Tenant => return Ok(()),
        Resource::Conversation(conversation) => &conversation.tenant,
        Resource::ChannelAccount(account) => &account.tenant,
    };
    if owner == actor.tenant() { Ok(()) } else { Err(denied(actor, action, "on another tenant's data")) }
}
