//! The agent roster: who can take conversations, how many, on which accounts; and the two
//! automatic assignment strategies.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, Error, ErrorKind, Result, TenantId, UserId};

/// An agent as automatic assignment sees them.
///
/// ```
/// use unibox_core::workflow::Agent;
/// let agent = Agent::new("agent-7".parse().unwrap(), 5);
/// assert!(agent.available);
/// assert!(agent.works_on(unibox_core::ChannelAccountId::new()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The user.
    pub user: UserId,
    /// Whether they take new conversations now (online, not on a break).
    pub available: bool,
    /// The most open or pending conversations they work at once; 0 takes none automatically.
    pub capacity: u32,
    /// The channel accounts they work; empty means all.
    pub accounts: Vec<ChannelAccountId>,
}

impl Agent {
    /// An available agent for every account.
    pub fn new(user: UserId, capacity: u32) -> Self {
        Agent { user, available: true, capacity, accounts: Vec::new() }
    }

    /// Restricts the agent to these accounts.
    pub fn on_accounts(mut self, accounts: impl IntoIterator<Item = ChannelAccountId>) -> Self {
        self.accounts = accounts.into_iter().collect();
        self
    }

    /// Whether the agent works conversations of `account`.
    pub fn works_on(&self, account: ChannelAccountId) -> bool {
        self.accounts.is_empty() || self.accounts.contains(&account)
    }
}

/// How a conversation is given to an agent automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStrategy {
    /// In turn: the next eligible agent after the one who got the last conversation.
    RoundRobin,
    /// The eligible agent with the fewest open or pending conversations (ties: user id order).
    LeastOpen,
}

/// The agents of a tenant, for automatic assignment. Memory and SQLite implement it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::memory::MemoryAgentRoster;
/// use unibox_core::workflow::{Agent, AgentRoster};
/// let roster = MemoryAgentRoster::new();
/// let tenant = "acme".parse().unwrap();
/// roster.save_agent(&tenant, &Agent::new("agent-7".parse().unwrap(), 5)).await.unwrap();
/// assert_eq!(roster.agents(&tenant).await.unwrap().len(), 1);
/// # });
/// ```
#[async_trait]
pub trait AgentRoster: Send + Sync + fmt::Debug + 'static {
    /// Adds or replaces an agent.
    async fn save_agent(&self, tenant: &TenantId, agent: &Agent) -> Result<()>;

    /// The tenant's agents, by user id.
    async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>>;

    /// One agent; `NotFound` if not on the roster.
    async fn agent(&self, tenant: &TenantId, user: &UserId) -> Result<Agent>;

    /// Takes an agent off the roster; `NotFound` if not on it.
    async fn remove_agent(&self, tenant: &TenantId, user: &UserId) -> Result<()>;

    /// Sets whether an agent takes new conversations; returns the agent.
    async fn set_available(&self, tenant: &TenantId, user: &UserId, available: bool) -> Result<Agent>;

    /// Round robin, atomically: the first of `eligible` (sorted by user id) after the agent who
    /// had the last turn, wrapping around; remembers the choice. `None` when `eligible` is empty.
    async fn take_turn(&self, tenant: &TenantId, eligible: &[UserId]) -> Result<Option<UserId>>;
}

/// The next round-robin turn after `last` among `eligible` (which need not be sorted): the first
/// user after `last` in user id order, wrapping around. Every roster uses it.
///
/// ```
/// use unibox_core::workflow::next_turn;
/// let users: Vec<unibox_core::UserId> = ["a", "b", "c"].iter().map(|u| u.parse().unwrap()).collect();
/// assert_eq!(next_turn(&users, Some(&users[2])), Some(users[0].clone()));
/// ```
pub fn next_turn(eligible: &[UserId], last: Option<&UserId>) -> Option<UserId> {
    let mut sorted: Vec<&UserId> = eligible.iter().collect();
    sorted.sort();
    sorted.dedup();
    let after = last.and_then(|last| sorted.iter().find(|user| **user > last));
    after.or(sorted.first()).map(|user| (*user).clone())
}

/// Which agents may take a new conversation of `account`: available, working that account,
/// and below their capacity. `open` counts each agent's open or pending conversations.
///
/// ```
/// use std::collections::HashMap;
/// use unibox_core::ChannelAccountId;
/// use unibox_core::workflow::{Agent, eligible_agents};
/// let account = ChannelAccountId::new();
/// let busy: unibox_core::UserId = "busy".parse().unwrap();
/// let free: unibox_core::UserId = "free".parse().unwrap();
/// let agents = vec![Agent::new(busy.clone(), 1), Agent::new(free.clone(), 1)];
/// let open = HashMap::from([(busy, 1)]);
/// assert_eq!(eligible_agents(&agents, &open, account), vec![free]);
/// ```
pub fn eligible_agents(agents: &[Agent], open: &HashMap<UserId, u32>, account: ChannelAccountId) -> Vec<UserId> {
    agents
        .iter()
        .filter(|agent| agent.available && agent.works_on(account))
        .filter(|agent| open.get(&agent.user).copied().unwrap_or(0) < agent.capacity)
        .map(|agent| agent.user.clone())
        .collect()
}

/// The eligible agent with the fewest open conversations; ties go to the smallest user id.
///
/// ```
/// use std::collections::HashMap;
/// use unibox_core::workflow::least_open;
/// let a: unibox_core::UserId = "a".parse().unwrap();
/// let b: unibox_core::UserId = "b".parse().unwrap();
/// assert_eq!(least_open(&[a.clone(), b.clone()], &HashMap::from([(a, 2), (b.clone(), 1)])), Some(b));
/// ```
pub fn least_open(eligible: &[UserId], open: &HashMap<UserId, u32>) -> Option<UserId> {
    eligible.iter().min_by_key(|user| (open.get(*user).copied().unwrap_or(0), (*user).clone())).cloned()
}

/// The first of `candidates` (in order of preference) who works fewer open or pending
/// conversations than their capacity, by `open_count`. A store calls it inside the step that
/// assigns, with counts read in that same step, so the check reserves the slot.
///
/// ```
/// use std::collections::HashMap;
/// use unibox_core::workflow::{Agent, first_with_room};
/// let full = Agent::new("full".parse().unwrap(), 1);
/// let free = Agent::new("free".parse().unwrap(), 1);
/// let open = HashMap::from([(full.user.clone(), 1u32)]);
/// let count = |user: &unibox_core::UserId| Ok(open.get(user).copied().unwrap_or(0));
/// assert_eq!(first_with_room(&[full, free.clone()], count).unwrap(), Some(free.user));
/// ```
pub fn first_with_room(
    candidates: &[Agent],
    mut open_count: impl FnMut(&UserId) -> Result<u32>,
) -> Result<Option<UserId>> {
    for agent in candidates {
        if agent.capacity > 0 && open_count(&agent.user)? < agent.capacity {
            return Ok(Some(agent.user.clone()));
        }
    }
    Ok(None)
}

/// The error for an agent who is not on the roster.
pub(crate) fn not_on_roster(user: &UserId) -> Error {
    Error::new(ErrorKind::NotFound, format!("{user} is not on the agent roster"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserId {
        name.parse().unwrap()
    }

    #[test]
    fn turns_go_round_in_user_order() {
        let eligible = [user("c"), user("a"), user("b")];
        assert_eq!(next_turn(&eligible, None), Some(user("a")));
        assert_eq!(next_turn(&eligible, Some(&user("a"))), Some(user("b")));
        assert_eq!(next_turn(&eligible, Some(&user("c"))), Some(user("a")), "wraps around");
        // The last one is no longer eligible: the next one after it in order still gets the turn.
        assert_eq!(next_turn(&[user("a"), user("c")], Some(&user("b"))), Some(user("c")));
        assert_eq!(next_turn(&[], Some(&user("b"))), None);
    }

    #[test]
    fn unavailable_full_and_other_account_agents_are_not_eligible() {
        let line = ChannelAccountId::new();
        let shopee = ChannelAccountId::new();
        let mut away = Agent::new(user("away"), 5);
        away.available = false;
        let agents = vec![
            away,
            Agent::new(user("full"), 2),
            Agent::new(user("shopee-only"), 5).on_accounts([shopee]),
            Agent::new(user("zero"), 0),
            Agent::new(user("ok"), 3),
        ];
        let open = HashMap::from([(user("full"), 2), (user("ok"), 2)]);
        assert_eq!(eligible_agents(&agents, &open, line), vec![user("ok")]);
        assert_eq!(eligible_agents(&agents, &open, shopee), vec![user("shopee-only"), user("ok")]);
    }
}
