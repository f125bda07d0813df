use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::workflow::roster::{next_turn, not_on_roster};
use crate::workflow::{Agent, AgentRoster};
use crate::{Result, TenantId, UserId};

/// The agent roster in process memory, for tests and trials.
///
/// ```
/// let roster = unibox_core::memory::MemoryAgentRoster::new();
/// # let _ = roster;
/// ```
#[derive(Debug, Default)]
pub struct MemoryAgentRoster {
    tenants: Mutex<HashMap<TenantId, TenantRoster>>,
}

#[derive(Debug, Default)]
struct TenantRoster {
    agents: BTreeMap<UserId, Agent>,
    last_turn: Option<UserId>,
}

impl MemoryAgentRoster {
    /// An empty roster.
    pub fn new() -> Self {
        Self::default()
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<TenantId, TenantRoster>> {
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl AgentRoster for MemoryAgentRoster {
    async fn save_agent(&self, tenant: &TenantId, agent: &Agent) -> Result<()> {
        let mut agent = agent.clone();
        agent.accounts.sort();
        agent.accounts.dedup();
        self.tenants().entry(tenant.clone()).or_default().agents.insert(agent.user.clone(), agent);
        Ok(())
    }

    async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>> {
        Ok(self.tenants().get(tenant).map(|t| t.agents.values().cloned().collect()).unwrap_or_default())
    }

    async fn agent(&self, tenant: &TenantId, user: &UserId) -> Result<Agent> {
        self.tenants().get(tenant).and_then(|t| t.agents.get(user)).cloned().ok_or_else(|| not_on_roster(user))
    }

    async fn remove_agent(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        self.tenants()
            .get_mut(tenant)
            .and_then(|t| t.agents.remove(user))
            .map(|_| ())
            .ok_or_else(|| not_on_roster(user))
    }

    async fn set_available(&self, tenant: &TenantId, user: &UserId, available: bool) -> Result<Agent> {
        let mut tenants = self.tenants();
        let agent = tenants.get_mut(tenant).and_then(|t| t.agents.get_mut(user)).ok_or_else(|| not_on_roster(user))?;
        agent.available = available;
        Ok(agent.clone())
    }

    async fn take_turn(&self, tenant: &TenantId, eligible: &[UserId]) -> Result<Option<UserId>> {
        let mut tenants = self.tenants();
        let roster = tenants.entry(tenant.clone()).or_default();
        let chosen = next_turn(eligible, roster.last_turn.as_ref());
        if chosen.is_some() {
            roster.last_turn = chosen.clone();
        }
        Ok(chosen)
    }
}

impl MemoryAgentRoster {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.tenants().remove(tenant);
    }
}
