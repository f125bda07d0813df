//! [`TeamPolicy`]: the role table plus per-member restrictions from [`TeamRules`].

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use crate::policy::role::automation_permits;
use crate::policy::rules::{MemberRules, TeamRules, Visibility};
use crate::policy::scope::{AssigneeScope, ConversationScope};
use crate::policy::{Action, Actor, Policy, Principal, Resource, check_tenant, denied};
use crate::{Error, TenantId, UserId};

/// The built-in team policy: [`Role::permits`](crate::Role::permits) decides the permission,
/// then the member's [`TeamRules`] decide the resource: the channel accounts and platforms they
/// work, the conversations they see (for example assigned to them plus unassigned), and their
/// teams. Rules are kept per tenant and can be replaced at any time; a decision reads them
/// under a shared lock, without allocating.
///
/// ```
/// use unibox_core::policy::{AccountScope, MemberRules, TeamPolicy, TeamRules, Visibility};
/// use unibox_core::{Action, Actor, ChannelAccountId, ChannelKind, Policy, Resource, Role};
///
/// let tenant: unibox_core::TenantId = "acme".parse().unwrap();
/// let shopee = ChannelAccountId::new();
/// let policy = TeamPolicy::new();
/// policy.set_rules(
///     &tenant,
///     TeamRules::default()
///         .account(shopee, ChannelKind::SHOPEE)
///         .member("nok".parse().unwrap(), MemberRules::new(Role::Agent).scope(AccountScope::platforms([ChannelKind::LINE]))),
/// );
/// let nok = Actor::user(tenant.clone(), "nok".parse().unwrap(), Role::Agent);
/// let err = policy.authorize(&nok, Action::ManageChannels, Resource::Tenant).unwrap_err();
/// assert!(err.message().contains("manage_channels"));
/// assert!(policy.authorize(&nok, Action::SendMessage, Resource::Tenant).is_ok());
/// ```
#[derive(Debug, Default)]
pub struct TeamPolicy {
    tenants: RwLock<HashMap<TenantId, TeamRules>>,
}

impl TeamPolicy {
    /// A policy with no rules: every tenant gets the role table and the role defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces a tenant's rules.
    pub fn set_rules(&self, tenant: &TenantId, rules: TeamRules) {
        self.tenants.write().unwrap_or_else(|p| p.into_inner()).insert(tenant.clone(), rules);
    }

    /// A copy of a tenant's rules (the defaults if none were set).
    pub fn rules(&self, tenant: &TenantId) -> TeamRules {
        self.tenants.read().unwrap_or_else(|p| p.into_inner()).get(tenant).cloned().unwrap_or_default()
    }

    /// Adds or replaces one member's rules.
    pub fn set_member(&self, tenant: &TenantId, user: UserId, rules: MemberRules) {
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        tenants.entry(tenant.clone()).or_default().members.insert(user, rules);
    }

    /// Removes a member's rules; returns whether there were any. With
    /// [`TeamRules::members_only`] the user is refused everything from now on.
    pub fn remove_member(&self, tenant: &TenantId, user: &UserId) -> bool {
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        tenants.get_mut(tenant).is_some_and(|rules| rules.members.remove(user).is_some())
    }

    fn decide(
        &self,
        rules: Option<&TeamRules>,
        actor: &Actor,
        action: Action,
        resource: &Resource<'_>,
    ) -> Result<(), Error> {
        let (user, role) = match actor.principal() {
            Principal::User { id, role } => (id, *role),
            Principal::Automation { .. } => {
                return if automation_permits(action) { Ok(()) } else { Err(denied(actor, action, "")) };
            }
        };
        if !role.permits(action) {
            return Err(denied(actor, action, ""));
        }
        let Some(rules) = rules else { return Ok(()) };
        let member = rules.members.get(user);
        match member {
            None if rules.members_only => return Err(denied(actor, action, "as they are not a member of the tenant")),
            Some(MemberRules { role: Some(current), .. }) if *current != role => {
                return Err(denied(actor, action, "as their role changed; sign in again"));
            }
            _ => {}
        }
        match resource {
            Resource::Tenant => Ok(()),
            Resource::ChannelAccount(account) => {
                let in_reach = member.is_none_or(|member| rules.reaches_on(member, account.id, Some(&account.kind)));
                if in_reach { Ok(()) } else { Err(denied(actor, action, "on this channel account")) }
            }
            Resource::Conversation(conversation) => {
                if !action.is_conversation_work() {
                    return Ok(());
                }
                if let Some(member) = member
                    && !rules.reaches(member, conversation.account)
                {
                    return Err(denied(actor, action, "on conversations of this channel account"));
                }
                let visibility = member.and_then(|m| m.visibility).unwrap_or_else(|| rules.defaults.visibility(role));
                if rules.sees(user, member, visibility, conversation) {
                    Ok(())
                } else {
                    Err(denied(actor, action, "on a conversation assigned to someone else"))
                }
            }
        }
    }
}

impl Policy for TeamPolicy {
    fn authorize(&self, actor: &Actor, action: Action, resource: Resource<'_>) -> Result<(), Error> {
        check_tenant(actor, action, &resource)?;
        let tenants = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        self.decide(tenants.get(actor.tenant()), actor, action, &resource)
    }

    fn conversation_scope(&self, actor: &Actor) -> ConversationScope {
        let Principal::User { id: user, role } = actor.principal() else { return ConversationScope::all() };
        if !role.permits(Action::ReadConversations) {
            return ConversationScope::nothing();
        }
        let tenants = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        let Some(rules) = tenants.get(actor.tenant()) else {
            return scope_for(TeamRules::default().defaults.visibility(*role), user, None, None);
        };
        let member = rules.members.get(user);
        match member {
            None if rules.members_only => return ConversationScope::nothing(),
            Some(MemberRules { role: Some(current), .. }) if current != role => return ConversationScope::nothing(),
            _ => {}
        }
        let visibility = member.and_then(|m| m.visibility).unwrap_or_else(|| rules.defaults.visibility(*role));
        let accounts = member.filter(|m| !m.scope.is_unrestricted() || !m.teams.is_empty()).map(|member| {
            // Every account the rules name anywhere, kept when the member reaches it.
            let named = member.teams.iter().filter_map(|name| rules.teams.get(name)).map(|team| &team.scope);
            let listed =
                std::iter::once(&member.scope).chain(named).filter_map(|scope| scope.accounts.as_ref()).flatten();
            rules
                .accounts
                .keys()
                .chain(listed)
                .copied()
                .filter(|account| rules.reaches(member, *account))
                .collect::<BTreeSet<_>>()
        });
        scope_for(visibility, user, member.map(|m| (m, rules)), accounts)
    }
}

fn scope_for(
    visibility: Visibility,
    user: &UserId,
    member: Option<(&MemberRules, &TeamRules)>,
    accounts: Option<BTreeSet<crate::ChannelAccountId>>,
) -> ConversationScope {
    let just = |unassigned| AssigneeScope::Users { users: BTreeSet::from([user.clone()]), unassigned };
    let assignees = match visibility {
        Visibility::All => AssigneeScope::Any,
        Visibility::AssignedOnly => just(false),
        Visibility::AssignedOrUnassigned => just(true),
        Visibility::AssignedOrTeam => match member {
            Some((member, rules)) => {
                let mut users = rules.team_members(member);
                users.insert(user.clone());
                AssigneeScope::Users { users, unassigned: true }
            }
            None => just(true),
        },
    };
    ConversationScope { accounts, assignees }
}
