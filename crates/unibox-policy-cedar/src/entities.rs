//! How unibox actors, actions and resources become Cedar entities.
//!
//! - principals: `Unibox::User::"<user id>"` with `role` and `tenant`, or
//!   `Unibox::Automation::"<name>"` with `tenant`;
//! - actions: `Unibox::Action::"<permission>"` (`send_message`, ...);
//! - resources: `Unibox::Tenant::"<tenant>"`, `Unibox::Conversation::"<id>"` (with `tenant`,
//!   `account`, `assignee` when assigned, `status`) or `Unibox::ChannelAccount::"<id>"` (with
//!   `tenant`, `platform`); every resource has a `tenant` attribute.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use unibox_core::{Action, Actor, Error, ErrorKind, Principal, Resource, Result};

fn uid(type_name: &str, id: &str) -> Result<EntityUid> {
    let type_name = EntityTypeName::from_str(type_name)
        .map_err(|e| Error::new(ErrorKind::Unexpected, format!("invalid Cedar entity type {type_name}: {e}")))?;
    Ok(EntityUid::from_type_name_and_id(type_name, EntityId::new(id)))
}

fn string(value: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(value.to_string())
}

fn entity(uid: EntityUid, attrs: HashMap<String, RestrictedExpression>) -> Result<Entity> {
    Entity::new(uid, attrs, HashSet::new())
        .map_err(|e| Error::new(ErrorKind::Unexpected, format!("could not build a Cedar entity: {e}")))
}

/// The principal's uid and entity.
pub(crate) fn principal(actor: &Actor) -> Result<(EntityUid, Entity)> {
    let mut attrs = HashMap::from([("tenant".to_string(), string(actor.tenant().as_str()))]);
    let uid = match actor.principal() {
        Principal::User { id, role } => {
            attrs.insert("role".to_string(), string(role.as_str()));
            uid("Unibox::User", id.as_str())?
        }
        Principal::Automation { name } => uid("Unibox::Automation", name)?,
    };
    Ok((uid.clone(), entity(uid, attrs)?))
}

/// The action's uid.
pub(crate) fn action(action: Action) -> Result<EntityUid> {
    uid("Unibox::Action", action.as_str())
}

/// The resource's uid and entity.
pub(crate) fn resource(actor: &Actor, resource: &Resource<'_>) -> Result<(EntityUid, Entity)> {
    let (uid, attrs) = match resource {
        Resource::Conversation(conversation) => {
            let mut attrs = HashMap::from([
                ("tenant".to_string(), string(conversation.tenant.as_str())),
                ("account".to_string(), string(&conversation.account.to_string())),
                ("status".to_string(), string(conversation.status.as_str())),
            ]);
            if let Some(assignee) = &conversation.assignee {
                attrs.insert("assignee".to_string(), string(assignee.as_str()));
            }
            (uid("Unibox::Conversation", &conversation.id.to_string())?, attrs)
        }
        Resource::ChannelAccount(account) => {
            let attrs = HashMap::from([
                ("tenant".to_string(), string(account.tenant.as_str())),
                ("platform".to_string(), string(account.kind.as_str())),
            ]);
            (uid("Unibox::ChannelAccount", &account.id.to_string())?, attrs)
        }
        // `Resource` is non-exhaustive: a kind added later is treated as the tenant itself,
        // which only the role table (not a resource rule) can allow.
        _ => {
            let tenant = actor.tenant().as_str();
            (uid("Unibox::Tenant", tenant)?, HashMap::from([("tenant".to_string(), string(tenant))]))
        }
    };
    Ok((uid.clone(), entity(uid, attrs)?))
}
