//! The agent roster: who takes conversations automatically, how many, and when.

use crate::hub::Hub;
use crate::workflow::{Agent, WorkflowEvent};
use crate::{Action, Actor, Resource, Result, UserId};

impl Hub {
    /// The tenant's agents. Requires [`Action::ReadConversations`].
    pub async fn agents(&self, actor: &Actor) -> Result<Vec<Agent>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.store.roster.agents(actor.tenant()).await
    }

    /// Adds an agent to the roster or changes their capacity, accounts or availability.
    /// Requires [`Action::ManageMembers`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// use unibox_core::workflow::Agent;
    /// hub.save_agent(&admin, Agent::new("agent-7".parse()?, 8)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn save_agent(&self, actor: &Actor, agent: Agent) -> Result<Agent> {
        let target = format!("agent:{}", agent.user);
        self.authorize_audited(actor, Action::ManageMembers, Resource::Tenant, "roster.save", &target).await?;
        self.inner
            .store
            .roster
            .save_agent(actor.tenant(), &agent)
            .await
            .map_err(|e| e.with_operation("hub.save_agent"))?;
        self.workflow_changed(actor, WorkflowEvent::AgentSaved { user: agent.user.clone() }).await;
        Ok(agent)
    }

    /// Takes an agent off the roster (their conversations stay assigned). Requires
    /// [`Action::ManageMembers`].
    pub async fn remove_agent(&self, actor: &Actor, user: &UserId) -> Result<()> {
        let target = format!("agent:{user}");
        self.authorize_audited(actor, Action::ManageMembers, Resource::Tenant, "roster.remove", &target).await?;
        self.inner
            .store
            .roster
            .remove_agent(actor.tenant(), user)
            .await
            .map_err(|e| e.with_operation("hub.remove_agent"))?;
        self.workflow_changed(actor, WorkflowEvent::AgentRemoved { user: user.clone() }).await;
        Ok(())
    }

    /// Sets whether an agent takes new conversations. Agents set their own availability with
    /// [`Action::ReadConversations`]; anyone else's needs [`Action::ManageMembers`].
    pub async fn set_availability(&self, actor: &Actor, user: &UserId, available: bool) -> Result<Agent> {
        let action = if actor.user_id() == Some(user) { Action::ReadConversations } else { Action::ManageMembers };
        let target = format!("agent:{user}");
        self.authorize_audited(actor, action, Resource::Tenant, "roster.availability", &target).await?;
        let agent = self
            .inner
            .store
            .roster
            .set_available(actor.tenant(), user, available)
            .await
            .map_err(|e| e.with_operation("hub.set_availability"))?;
        self.workflow_changed(actor, WorkflowEvent::AvailabilityChanged { user: user.clone(), available }).await;
        Ok(agent)
    }
}
