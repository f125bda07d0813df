//! The restrictions of a [`TeamPolicy`](crate::TeamPolicy), as plain data: easy to read,
//! store as JSON next to the application's users, and test.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::policy::Role;
use crate::{ChannelAccountId, ChannelKind, Conversation, UserId};

/// Which conversations a member sees among those on the channel accounts they work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every conversation.
    #[default]
    All,
    /// Conversations assigned to them, and unassigned ones (the usual agent rule).
    AssignedOrUnassigned,
    /// Conversations assigned to them or to a member of one of their teams, and unassigned ones.
    AssignedOrTeam,
    /// Only conversations assigned to them.
    AssignedOnly,
}

impl Visibility {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::All => "all",
            Visibility::AssignedOrUnassigned => "assigned_or_unassigned",
            Visibility::AssignedOrTeam => "assigned_or_team",
            Visibility::AssignedOnly => "assigned_only",
        }
    }
}

/// Which channel accounts something may reach: all of them, or a list. Accounts may be named
/// one by one or by platform (every LINE account, every Shopee shop).
///
/// ```
/// use unibox_core::policy::AccountScope;
/// use unibox_core::{ChannelAccountId, ChannelKind};
/// let scope = AccountScope::platforms([ChannelKind::LINE, ChannelKind::SHOPEE]);
/// assert!(scope.allows(ChannelAccountId::new(), Some(&ChannelKind::LINE)));
/// assert!(!scope.allows(ChannelAccountId::new(), Some(&ChannelKind::WHATSAPP)));
/// // An account whose platform is unknown is outside a platform restriction.
/// assert!(!scope.allows(ChannelAccountId::new(), None));
/// assert!(AccountScope::default().allows(ChannelAccountId::new(), None));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountScope {
    /// Only these accounts (`None`: no restriction by account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<BTreeSet<ChannelAccountId>>,
    /// Only accounts of these platforms (`None`: no restriction by platform).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<BTreeSet<ChannelKind>>,
}

impl AccountScope {
    /// Only these accounts.
    pub fn accounts(accounts: impl IntoIterator<Item = ChannelAccountId>) -> Self {
        AccountScope { accounts: Some(accounts.into_iter().collect()), platforms: None }
    }

    /// Only accounts of these platforms.
    pub fn platforms(platforms: impl IntoIterator<Item = ChannelKind>) -> Self {
        AccountScope { accounts: None, platforms: Some(platforms.into_iter().collect()) }
    }

    /// Whether there is no restriction at all.
    pub fn is_unrestricted(&self) -> bool {
        self.accounts.is_none() && self.platforms.is_none()
    }

    /// Whether the account (of platform `kind`, when known) is in scope. Under a platform
    /// restriction an account of unknown platform is out of scope: the policy fails closed.
    pub fn allows(&self, account: ChannelAccountId, kind: Option<&ChannelKind>) -> bool {
        if let Some(accounts) = &self.accounts
            && !accounts.contains(&account)
        {
            return false;
        }
        match (&self.platforms, kind) {
            (None, _) => true,
            (Some(platforms), Some(kind)) => platforms.contains(kind),
            (Some(_), None) => false,
        }
    }
}

/// One member's rules. The role comes from the [`Actor`](crate::Actor); when `role` is set
/// here too, an actor claiming another role is refused (its session predates a role change).
///
/// ```
/// use unibox_core::policy::{AccountScope, MemberRules, Visibility};
/// use unibox_core::{ChannelKind, Role};
/// let rules = MemberRules::new(Role::Agent)
///     .scope(AccountScope::platforms([ChannelKind::LINE, ChannelKind::SHOPEE]))
///     .visibility(Visibility::AssignedOrUnassigned)
///     .team("thai-support");
/// assert_eq!(rules.teams.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberRules {
    /// The member's current role; an actor with another role is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The channel accounts the member works.
    pub scope: AccountScope,
    /// Which of those conversations they see; `None`: the default of their role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// The teams they belong to (names of [`TeamRules::teams`]).
    pub teams: BTreeSet<String>,
}

impl MemberRules {
    /// A member with this role and no restrictions.
    pub fn new(role: Role) -> Self {
        MemberRules { role: Some(role), ..MemberRules::default() }
    }

    /// Restricts the channel accounts they work.
    pub fn scope(mut self, scope: AccountScope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets which conversations they see.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Adds them to a team.
    pub fn team(mut self, team: impl Into<String>) -> Self {
        self.teams.insert(team.into());
        self
    }
}

/// A team: a group of members sharing a queue of channel accounts. A member of one or more
/// teams works only the accounts of their teams (and of their own scope).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Team {
    /// The channel accounts the team works.
    pub scope: AccountScope,
}

/// The visibility of each role for members without their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleDefaults {
    /// Admins: every conversation by default.
    pub admin: Visibility,
    /// Agents: assigned to them plus unassigned by default.
    pub agent: Visibility,
    /// Viewers: every conversation by default (they read only).
    pub viewer: Visibility,
}

impl Default for RoleDefaults {
    fn default() -> Self {
        RoleDefaults { admin: Visibility::All, agent: Visibility::AssignedOrUnassigned, viewer: Visibility::All }
    }
}

impl RoleDefaults {
    /// The default visibility of `role`.
    pub fn visibility(&self, role: Role) -> Visibility {
        match role {
            Role::Admin => self.admin,
            Role::Agent => self.agent,
            Role::Viewer => self.viewer,
        }
    }
}

/// A tenant's team rules: members, teams, defaults, and the platform of each channel account
/// (needed to apply platform restrictions to a conversation, which names only its account).
///
/// ```
/// use unibox_core::policy::{AccountScope, MemberRules, TeamRules};
/// use unibox_core::{ChannelAccountId, ChannelKind, Role};
/// let line_oa = ChannelAccountId::new();
/// let rules = TeamRules::default()
///     .account(line_oa, ChannelKind::LINE)
///     .member("agent-7".parse().unwrap(), MemberRules::new(Role::Agent).scope(AccountScope::platforms([ChannelKind::LINE])));
/// let json = serde_json::to_string(&rules).unwrap();
/// assert_eq!(serde_json::from_str::<TeamRules>(&json).unwrap(), rules);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamRules {
    /// Visibility defaults per role.
    pub defaults: RoleDefaults,
    /// When true, users without an entry in `members` are refused everything.
    pub members_only: bool,
    /// The members with rules of their own.
    pub members: BTreeMap<UserId, MemberRules>,
    /// The teams, by name.
    pub teams: BTreeMap<String, Team>,
    /// The platform of each channel account.
    pub accounts: BTreeMap<ChannelAccountId, ChannelKind>,
}

impl TeamRules {
    /// Adds or replaces a member's rules.
    pub fn member(mut self, user: UserId, rules: MemberRules) -> Self {
        self.members.insert(user, rules);
        self
    }

    /// Adds or replaces a team.
    pub fn team(mut self, name: impl Into<String>, team: Team) -> Self {
        self.teams.insert(name.into(), team);
        self
    }

    /// Records the platform of a channel account.
    pub fn account(mut self, account: ChannelAccountId, kind: ChannelKind) -> Self {
        self.accounts.insert(account, kind);
        self
    }

    /// Whether `member` may work conversations on `account`: inside their own scope and, if
    /// they belong to teams, inside one of their teams' scopes.
    pub(crate) fn reaches(&self, member: &MemberRules, account: ChannelAccountId) -> bool {
        self.reaches_on(member, account, self.accounts.get(&account))
    }

    /// Like [`reaches`](Self::reaches), with the account's platform known (`None`: unknown).
    pub(crate) fn reaches_on(
        &self,
        member: &MemberRules,
        account: ChannelAccountId,
        kind: Option<&ChannelKind>,
    ) -> bool {
        if !member.scope.allows(account, kind) {
            return false;
        }
        if member.teams.is_empty() {
            return true;
        }
        member.teams.iter().filter_map(|name| self.teams.get(name)).any(|team| team.scope.allows(account, kind))
    }

    /// Whether `user` with `visibility` sees `conversation` (its account already in reach).
    pub(crate) fn sees(
        &self,
        user: &UserId,
        member: Option<&MemberRules>,
        visibility: Visibility,
        conversation: &Conversation,
    ) -> bool {
        let assignee = conversation.assignee.as_ref();
        match visibility {
            Visibility::All => true,
            Visibility::AssignedOnly => assignee == Some(user),
            Visibility::AssignedOrUnassigned => assignee.is_none() || assignee == Some(user),
            Visibility::AssignedOrTeam => match assignee {
                None => true,
                Some(assignee) if assignee == user => true,
                Some(assignee) => member.is_some_and(|member| self.teammates(member, assignee)),
            },
        }
    }

    /// Whether `other` shares a team with `member`.
    pub(crate) fn teammates(&self, member: &MemberRules, other: &UserId) -> bool {
        self.members.get(other).is_some_and(|rules| !rules.teams.is_disjoint(&member.teams))
    }

    /// The members of `member`'s teams (themselves included).
    pub(crate) fn team_members(&self, member: &MemberRules) -> BTreeSet<UserId> {
        self.members
            .iter()
            .filter(|(_, rules)| !rules.teams.is_disjoint(&member.teams))
            .map(|(user, _)| user.clone())
            .collect()
    }
}
