//! Working conversations: assignment (manual and automatic), status, snoozes, tags and read
//! markers. Each operation is authorized in one place, changes the store once, and announces
//! the change with [`Hub::workflow_changed`].

use crate::hub::Hub;
use crate::inbox::{AssigneeFilter, ConversationQuery, ConversationUpdate, MAX_PAGE_SIZE};
use crate::workflow::{Agent, AssignmentStrategy, ReadState, WorkflowEvent, eligible_agents, least_open};
use crate::{
    Action, Actor, Conversation, ConversationId, ConversationStatus, Error, ErrorKind, Resource, Result, Timestamp,
    UserId,
};

impl Hub {
    /// Loads a conversation of the actor's tenant and authorizes `action` on it (a denial is
    /// audited under `verb`).
    async fn authorized_conversation(
        &self,
        actor: &Actor,
        id: ConversationId,
        action: Action,
        verb: &str,
    ) -> Result<Conversation> {
        let conversation = self.inner.inbox.conversation(actor.tenant(), id).await?;
        let target = crate::audit::targets::conversation(id);
        self.authorize_audited(actor, action, Resource::Conversation(&conversation), verb, &target).await?;
        Ok(conversation)
    }

    /// Assigns an unassigned conversation to `user`. Requires [`Action::AssignConversation`].
    /// A conversation someone already works is a `Conflict`: use [`transfer`](Hub::transfer).
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, actor: unibox_core::Actor, id: unibox_core::ConversationId) -> unibox_core::Result<()> {
    /// let conversation = hub.assign(&actor, id, "agent-7".parse()?).await?;
    /// assert_eq!(conversation.assignee.map(|u| u.to_string()).as_deref(), Some("agent-7"));
    /// # Ok(()) }
    /// ```
    pub async fn assign(&self, actor: &Actor, id: ConversationId, user: UserId) -> Result<Conversation> {
        const OP: &str = "hub.assign";
        let conversation =
            self.authorized_conversation(actor, id, Action::AssignConversation, "conversation.assign").await?;
        match &conversation.assignee {
            Some(current) if current == &user => return Ok(conversation),
            Some(current) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("the conversation is assigned to {current}; transfer it instead"),
                )
                .with_operation(OP));
            }
            None => {}
        }
        self.set_assignee(actor, conversation, Some(user), None, OP).await
    }

    /// Moves a conversation from its assignee to `user`. Requires
    /// [`Action::AssignConversation`]; an unassigned conversation is `InvalidInput` (use
    /// [`assign`](Hub::assign)).
    pub async fn transfer(&self, actor: &Actor, id: ConversationId, user: UserId) -> Result<Conversation> {
        const OP: &str = "hub.transfer";
        let conversation =
            self.authorized_conversation(actor, id, Action::AssignConversation, "conversation.transfer").await?;
        match &conversation.assignee {
            None => Err(Error::new(ErrorKind::InvalidInput, "the conversation is not assigned; assign it instead")
                .with_operation(OP)),
            Some(current) if current == &user => Ok(conversation),
            Some(_) => self.set_assignee(actor, conversation, Some(user), None, OP).await,
        }
    }

    /// Removes a conversation's assignee. Requires [`Action::AssignConversation`]; an
    /// unassigned conversation is returned unchanged.
    pub async fn unassign(&self, actor: &Actor, id: ConversationId) -> Result<Conversation> {
        let conversation =
            self.authorized_conversation(actor, id, Action::AssignConversation, "conversation.unassign").await?;
        if conversation.assignee.is_none() {
            return Ok(conversation);
        }
        self.set_assignee(actor, conversation, None, None, "hub.unassign").await
    }

    /// Gives an unassigned conversation to an agent of the roster: one who is available, works
    /// the conversation's channel account, and is below their capacity of open or pending
    /// conversations, chosen by `strategy`. `Ok(None)` when nobody can take it now (it stays
    /// unassigned); `Conflict` if it is already assigned. Requires
    /// [`Action::AssignConversation`].
    ///
    /// Capacity is reserved, not just checked: the store counts and assigns in one step
    /// ([`Inbox::assign_within_capacity`](crate::Inbox::assign_within_capacity)), so concurrent
    /// auto-assignments never take an agent past their capacity. The strategy orders the
    /// candidates; if the preferred one filled up meanwhile, the next with room gets it.
    pub async fn auto_assign(
        &self,
        actor: &Actor,
        id: ConversationId,
        strategy: AssignmentStrategy,
    ) -> Result<Option<Conversation>> {
        const OP: &str = "hub.auto_assign";
        let conversation =
            self.authorized_conversation(actor, id, Action::AssignConversation, "conversation.auto_assign").await?;
        if let Some(current) = &conversation.assignee {
            return Err(Error::new(ErrorKind::Conflict, format!("the conversation is already assigned to {current}"))
                .with_operation(OP));
        }
        let tenant = actor.tenant();
        let agents = self.inner.roster.agents(tenant).await.map_err(|e| e.with_operation(OP))?;
        let open = self.inner.inbox.open_assignments(tenant).await.map_err(|e| e.with_operation(OP))?;
        let eligible = eligible_agents(&agents, &open, conversation.account);
        let first = match strategy {
            AssignmentStrategy::LeastOpen => least_open(&eligible, &open),
            AssignmentStrategy::RoundRobin => {
                self.inner.roster.take_turn(tenant, &eligible).await.map_err(|e| e.with_operation(OP))?
            }
        };
        let Some(first) = first else {
            tracing::debug!(target: "unibox::workflow", %tenant, conversation = %id, "no agent can take the conversation");
            return Ok(None);
        };
        let candidates = candidates_in_order(&agents, &eligible, &open, &first, strategy);
        let now = self.inner.clock.now();
        let assigned = self
            .inner
            .inbox
            .assign_within_capacity(tenant, id, &candidates, now)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let Some(updated) = assigned else {
            tracing::debug!(target: "unibox::workflow", %tenant, conversation = %id, "every candidate filled up meanwhile");
            return Ok(None);
        };
        let Some(to) = updated.assignee.clone() else { return Ok(Some(updated)) };
        self.assignment_takes_control(tenant, id).await;
        let event = WorkflowEvent::Assigned { conversation: id, from: None, to, strategy: Some(strategy) };
        self.workflow_changed(actor, event).await;
        Ok(Some(updated))
    }

    /// Auto-assigns every open, unassigned conversation of the actor's tenant, oldest activity
    /// first, until nobody on the roster can take more; returns the ones assigned. Meant to run
    /// when agents come online and periodically. Requires [`Action::AssignConversation`].
    pub async fn auto_assign_waiting(&self, actor: &Actor, strategy: AssignmentStrategy) -> Result<Vec<Conversation>> {
        let mut waiting = Vec::new();
        let mut query = ConversationQuery::new()
            .status(ConversationStatus::Open)
            .assignee(AssigneeFilter::Unassigned)
            .limit(MAX_PAGE_SIZE);
        loop {
            let page = self.inner.inbox.conversations(actor.tenant(), &query).await?;
            waiting.extend(page.items.into_iter().map(|c| c.id));
            match page.next {
                Some(next) => query = query.after(Some(next)),
                None => break,
            }
        }
        let mut assigned = Vec::new();
        // The listing is newest first: the customers who waited longest go first.
        for id in waiting.into_iter().rev() {
            match self.auto_assign(actor, id, strategy).await {
                Ok(Some(conversation)) => assigned.push(conversation),
                Ok(None) => break,
                // Assigned by someone else meanwhile: skip it.
                Err(error) if error.kind() == ErrorKind::Conflict => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(assigned)
    }

    async fn set_assignee(
        &self,
        actor: &Actor,
        conversation: Conversation,
        user: Option<UserId>,
        strategy: Option<AssignmentStrategy>,
        operation: &'static str,
    ) -> Result<Conversation> {
        let update = match &user {
            Some(user) => ConversationUpdate::new().assign(user.clone()),
            None => ConversationUpdate::new().unassign(),
        }
        .at(self.inner.clock.now());
        let updated = self
            .inner
            .inbox
            .update_conversation(actor.tenant(), conversation.id, &update)
            .await
            .map_err(|e| e.with_operation(operation))?;
        if user.is_some() {
            self.assignment_takes_control(actor.tenant(), conversation.id).await;
        }
        let event = match (&user, conversation.assignee.clone()) {
            (Some(to), from) => {
                WorkflowEvent::Assigned { conversation: conversation.id, from, to: to.clone(), strategy }
            }
            (None, Some(from)) => WorkflowEvent::Unassigned { conversation: conversation.id, from },
            (None, None) => return Ok(updated),
        };
        self.workflow_changed(actor, event).await;
        Ok(updated)
    }

    /// Moves a conversation to `status` (open, pending or resolved; use
    /// [`snooze`](Hub::snooze) to snooze). Requires [`Action::UpdateConversation`]. Setting the
    /// status it has is a no-op. A new customer message reopens a resolved or snoozed
    /// conversation by itself.
    pub async fn set_status(
        &self,
        actor: &Actor,
        id: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        if status == ConversationStatus::Snoozed {
            return Err(Error::new(ErrorKind::InvalidInput, "snoozing needs a wake-up time; use Hub::snooze")
                .with_operation("hub.set_status"));
        }
        let conversation =
            self.authorized_conversation(actor, id, Action::UpdateConversation, "conversation.status").await?;
        if conversation.status == status {
            return Ok(conversation);
        }
        self.change_status(actor, conversation, ConversationUpdate::new().status(status), "hub.set_status").await
    }

    /// Resolves a conversation; shorthand for [`set_status`](Hub::set_status) with
    /// [`ConversationStatus::Resolved`].
    pub async fn resolve(&self, actor: &Actor, id: ConversationId) -> Result<Conversation> {
        self.set_status(actor, id, ConversationStatus::Resolved).await
    }

    /// Snoozes a conversation until `until`, which must be in the future;
    /// [`wake_snoozed`](Hub::wake_snoozed) reopens it then, and a customer message earlier.
    /// Requires [`Action::UpdateConversation`].
    pub async fn snooze(&self, actor: &Actor, id: ConversationId, until: Timestamp) -> Result<Conversation> {
        if until <= self.inner.clock.now() {
            return Err(
                Error::new(ErrorKind::InvalidInput, "a snooze must end in the future").with_operation("hub.snooze")
            );
        }
        let conversation =
            self.authorized_conversation(actor, id, Action::UpdateConversation, "conversation.status").await?;
        self.change_status(actor, conversation, ConversationUpdate::new().snooze(until), "hub.snooze").await
    }

    /// Reopens every snoozed conversation of the actor's tenant whose time has come, and returns
    /// them. Call it periodically (every minute is plenty). Requires
    /// [`Action::UpdateConversation`] on each.
    pub async fn wake_snoozed(&self, actor: &Actor) -> Result<Vec<Conversation>> {
        let now = self.inner.clock.now();
        let mut due = Vec::new();
        let mut query = ConversationQuery::new().status(ConversationStatus::Snoozed).limit(MAX_PAGE_SIZE);
        loop {
            let page = self.inner.inbox.conversations(actor.tenant(), &query).await?;
            due.extend(page.items.into_iter().filter(|c| c.snoozed_until.is_some_and(|until| until <= now)));
            match page.next {
                Some(next) => query = query.after(Some(next)),
                None => break,
            }
        }
        let mut woken = Vec::with_capacity(due.len());
        for conversation in due {
            let target = crate::audit::targets::conversation(conversation.id);
            let resource = Resource::Conversation(&conversation);
            self.authorize_audited(actor, Action::UpdateConversation, resource, "conversation.status", &target).await?;
            let update = ConversationUpdate::new().status(ConversationStatus::Open);
            woken.push(self.change_status(actor, conversation, update, "hub.wake_snoozed").await?);
        }
        Ok(woken)
    }

    async fn change_status(
        &self,
        actor: &Actor,
        conversation: Conversation,
        update: ConversationUpdate,
        operation: &'static str,
    ) -> Result<Conversation> {
        let update = update.at(self.inner.clock.now());
        let updated = self
            .inner
            .inbox
            .update_conversation(actor.tenant(), conversation.id, &update)
            .await
            .map_err(|e| e.with_operation(operation))?;
        let (from, to) = (conversation.status, updated.status);
        let event =
            WorkflowEvent::StatusChanged { conversation: updated.id, from, to, snoozed_until: updated.snoozed_until };
        self.workflow_changed(actor, event).await;
        Ok(updated)
    }

    /// Adds tags to a conversation (already present ones are kept once). Requires
    /// [`Action::UpdateConversation`].
    pub async fn add_tags<I, S>(&self, actor: &Actor, id: ConversationId, tags: I) -> Result<Conversation>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let conversation =
            self.authorized_conversation(actor, id, Action::UpdateConversation, "conversation.tags").await?;
        let mut all = conversation.tags.clone();
        all.extend(tags.into_iter().map(Into::into));
        self.set_tags(actor, conversation, all, "hub.add_tags").await
    }

    /// Removes tags from a conversation (absent ones are ignored). Requires
    /// [`Action::UpdateConversation`].
    pub async fn remove_tags<I, S>(&self, actor: &Actor, id: ConversationId, tags: I) -> Result<Conversation>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let conversation =
            self.authorized_conversation(actor, id, Action::UpdateConversation, "conversation.tags").await?;
        let removed: Vec<String> = tags.into_iter().map(|t| t.into().trim().to_string()).collect();
        let kept = conversation.tags.iter().filter(|t| !removed.contains(t)).cloned().collect();
        self.set_tags(actor, conversation, kept, "hub.remove_tags").await
    }

    async fn set_tags(
        &self,
        actor: &Actor,
        conversation: Conversation,
        tags: Vec<String>,
        operation: &'static str,
    ) -> Result<Conversation> {
        let update = ConversationUpdate::new().tags(tags);
        let mut preview = conversation.clone();
        update.apply(&mut preview).map_err(|e| e.with_operation(operation))?;
        if preview.tags == conversation.tags {
            return Ok(conversation);
        }
        let updated = self
            .inner
            .inbox
            .update_conversation(actor.tenant(), conversation.id, &update)
            .await
            .map_err(|e| e.with_operation(operation))?;
        let event = WorkflowEvent::TagsChanged { conversation: updated.id, tags: updated.tags.clone() };
        self.workflow_changed(actor, event).await;
        Ok(updated)
    }

    /// Marks a conversation read by the acting user, up to now (or its newest message, if a
    /// platform's clock runs ahead), and clears its team-wide unread count. Requires
    /// [`Action::ReadConversations`] and a user actor.
    pub async fn mark_read(&self, actor: &Actor, id: ConversationId) -> Result<ReadState> {
        const OP: &str = "hub.mark_read";
        let user = Self::acting_user(actor, OP)?;
        let conversation = self.inner.inbox.conversation(actor.tenant(), id).await?;
        self.authorize(actor, Action::ReadConversations, Resource::Conversation(&conversation))?;
        let up_to = self.inner.clock.now().max(conversation.last_activity_at);
        let state =
            self.inner.inbox.mark_read_by(actor.tenant(), id, &user, up_to).await.map_err(|e| e.with_operation(OP))?;
        let event = WorkflowEvent::ConversationRead { conversation: id, user, up_to };
        self.workflow_changed(actor, event).await;
        Ok(state)
    }

    /// The acting user's read state of each conversation (unread counts for an inbox page).
    /// Requires [`Action::ReadConversations`] and a user actor.
    pub async fn read_states(&self, actor: &Actor, conversations: &[ConversationId]) -> Result<Vec<ReadState>> {
        let user = Self::acting_user(actor, "hub.read_states")?;
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.inbox.read_states(actor.tenant(), &user, conversations).await
    }

    pub(crate) fn acting_user(actor: &Actor, operation: &'static str) -> Result<UserId> {
        actor.user_id().cloned().ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput, "only a user can do this, not an automation").with_operation(operation)
        })
    }
}

/// The eligible agents in the order the strategy prefers them, `first` (its choice) ahead: for
/// least-open the rest by open count and user id, for round robin the rest in turn order after
/// `first`. The store gives the conversation to the first of them with room left.
fn candidates_in_order(
    agents: &[Agent],
    eligible: &[UserId],
    open: &std::collections::HashMap<UserId, u32>,
    first: &UserId,
    strategy: AssignmentStrategy,
) -> Vec<Agent> {
    let mut order: Vec<&UserId> = eligible.iter().collect();
    match strategy {
        AssignmentStrategy::LeastOpen => {
            order.sort_by_key(|user| (open.get(*user).copied().unwrap_or(0), (*user).clone()))
        }
        AssignmentStrategy::RoundRobin => {
            order.sort();
            let at = order.iter().position(|user| *user == first).unwrap_or(0);
            order.rotate_left(at);
        }
    }
    if let Some(at) = order.iter().position(|user| *user == first) {
        let chosen = order.remove(at);
        order.insert(0, chosen);
    }
    order.into_iter().filter_map(|user| agents.iter().find(|agent| &agent.user == user).cloned()).collect()
}
