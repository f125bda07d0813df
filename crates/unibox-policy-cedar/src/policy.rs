//! [`CedarPolicy`]: a unibox [`Policy`] that asks Cedar.

use std::fmt;
use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, PolicySet, Request};
use unibox_core::{Action, Actor, Error, ErrorKind, Policy, Resource, Result};

use crate::entities;

/// A [`Policy`] that evaluates a Cedar policy set for every decision: default deny, `forbid`
/// overrides `permit`. Entities are built from the actor and the resource of each request (see
/// the crate docs for their shape), so policies can use the role, the tenant, a conversation's
/// account, assignee and status, or an account's platform.
///
/// A denial is [`ErrorKind::PermissionDenied`] naming the missing permission, like the built-in
/// policies.
///
/// ```
/// use unibox_core::{Action, Actor, Policy, Resource, Role};
/// use unibox_policy_cedar::{CedarPolicy, ROLE_TABLE_POLICIES};
///
/// // The role table, plus: nobody manages Shopee accounts.
/// let text = format!(r#"{ROLE_TABLE_POLICIES}
///     forbid (principal, action == Unibox::Action::"manage_channels", resource is Unibox::ChannelAccount)
///     when {{ resource.platform == "shopee" }};"#);
/// let policy = CedarPolicy::from_text(&text).unwrap();
/// let agent = Actor::user("acme".parse().unwrap(), "nok".parse().unwrap(), Role::Agent);
/// assert!(policy.authorize(&agent, Action::SendMessage, Resource::Tenant).is_ok());
/// let err = policy.authorize(&agent, Action::ExportData, Resource::Tenant).unwrap_err();
/// assert!(err.message().contains("export_data"));
/// ```
pub struct CedarPolicy {
    policies: PolicySet,
    authorizer: Authorizer,
}

impl CedarPolicy {
    /// Parses a Cedar policy set. A syntax error is [`ErrorKind::Configuration`] with Cedar's
    /// message.
    pub fn from_text(text: &str) -> Result<Self> {
        let policies = PolicySet::from_str(text).map_err(|e| {
            Error::new(ErrorKind::Configuration, format!("the Cedar policies do not parse: {e}"))
                .with_operation("cedar.parse")
        })?;
        Ok(CedarPolicy { policies, authorizer: Authorizer::new() })
    }

    /// The role table of [`RolePolicy`](unibox_core::RolePolicy), in Cedar.
    pub fn role_table() -> Result<Self> {
        Self::from_text(crate::ROLE_TABLE_POLICIES)
    }

    fn decide(&self, actor: &Actor, action: Action, resource: &Resource<'_>) -> Result<bool> {
        let (principal_uid, principal) = entities::principal(actor)?;
        let (resource_uid, resource) = entities::resource(actor, resource)?;
        let request = Request::new(principal_uid, entities::action(action)?, resource_uid, Context::empty(), None)
            .map_err(|e| Error::new(ErrorKind::Unexpected, format!("invalid Cedar request: {e}")))?;
        let entities = Entities::from_entities([principal, resource], None)
            .map_err(|e| Error::new(ErrorKind::Unexpected, format!("invalid Cedar entities: {e}")))?;
        let response = self.authorizer.is_authorized(&request, &self.policies, &entities);
        Ok(response.decision() == Decision::Allow)
    }
}

impl Policy for CedarPolicy {
    fn authorize(&self, actor: &Actor, action: Action, resource: Resource<'_>) -> Result<(), Error> {
        if self.decide(actor, action, &resource)? {
            return Ok(());
        }
        Err(Error::new(ErrorKind::PermissionDenied, format!("{actor} lacks the {} permission", action.as_str()))
            .with_operation("policy.authorize")
            .with_context("permission", action))
    }
}

impl fmt::Debug for CedarPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CedarPolicy").field("policies", &self.policies.policies().count()).finish()
    }
}
