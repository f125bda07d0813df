//! Canned replies: stored per tenant, rendered for one conversation.

use crate::hub::Hub;
use crate::workflow::{CannedReply, TemplateValues, WorkflowEvent};
use crate::{Action, Actor, ConversationId, Error, ErrorKind, Resource, Result};

impl Hub {
    /// Creates or replaces a canned reply of the actor's tenant, stamped with the hub's clock.
    /// Requires [`Action::ManageCannedReplies`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// let reply = hub.save_canned_reply(&admin, "shipping", "Hi {{contact.first_name}}, it ships today.").await?;
    /// assert_eq!(reply.shortcut, "shipping");
    /// # Ok(()) }
    /// ```
    pub async fn save_canned_reply(
        &self,
        actor: &Actor,
        shortcut: impl Into<String>,
        body: impl Into<String>,
    ) -> Result<CannedReply> {
        let shortcut = shortcut.into();
        let target = format!("canned_reply:{shortcut}");
        self.authorize_audited(actor, Action::ManageCannedReplies, Resource::Tenant, "canned_reply.save", &target)
            .await?;
        let reply = CannedReply::new(actor.tenant().clone(), shortcut, body, self.inner.clock.now())
            .map_err(|e| e.with_operation("hub.save_canned_reply"))?;
        self.inner
            .store
            .workflow
            .save_canned_reply(&reply)
            .await
            .map_err(|e| e.with_operation("hub.save_canned_reply"))?;
        self.workflow_changed(actor, WorkflowEvent::CannedReplySaved { shortcut: reply.shortcut.clone() }).await;
        Ok(reply)
    }

    /// Deletes a canned reply. Requires [`Action::ManageCannedReplies`].
    pub async fn delete_canned_reply(&self, actor: &Actor, shortcut: &str) -> Result<()> {
        let target = format!("canned_reply:{shortcut}");
        self.authorize_audited(actor, Action::ManageCannedReplies, Resource::Tenant, "canned_reply.delete", &target)
            .await?;
        self.inner
            .store
            .workflow
            .delete_canned_reply(actor.tenant(), shortcut)
            .await
            .map_err(|e| e.with_operation("hub.delete_canned_reply"))?;
        let event = WorkflowEvent::CannedReplyDeleted { shortcut: shortcut.to_string() };
        self.workflow_changed(actor, event).await;
        Ok(())
    }

    /// The tenant's canned replies, by shortcut. Requires [`Action::ReadConversations`].
    pub async fn canned_replies(&self, actor: &Actor) -> Result<Vec<CannedReply>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.store.workflow.canned_replies(actor.tenant()).await
    }

    /// A canned reply filled in for one conversation, ready to send: `contact.name` and
    /// `contact.first_name` from the contact, `agent.id` from the acting user, `account.name`
    /// from the channel account, and `custom.*` from `extra`. A variable without a value is
    /// `InvalidInput` naming it. Requires [`Action::SendMessage`] on the conversation (the
    /// text is meant to be sent).
    pub async fn render_canned_reply(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        shortcut: &str,
        extra: &TemplateValues,
    ) -> Result<String> {
        const OP: &str = "hub.render_canned_reply";
        let tenant = actor.tenant();
        let conversation = self.inner.store.reads.conversation(tenant, conversation).await?;
        self.authorize(actor, Action::SendMessage, Resource::Conversation(&conversation))?;
        let reply = self.inner.store.workflow.canned_reply(tenant, shortcut).await.map_err(|e| e.with_operation(OP))?;
        let contact =
            self.inner.store.reads.contact(tenant, conversation.contact).await.map_err(|e| e.with_operation(OP))?;
        let account =
            self.inner.store.accounts.account(tenant, conversation.account).await.map_err(|e| e.with_operation(OP))?;
        let mut values = extra.clone();
        if let Some(name) = contact.display_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            values.set("contact.name", name);
            values.set("contact.first_name", name.split_whitespace().next().unwrap_or(name));
        }
        if let Some(user) = actor.user_id() {
            values.set("agent.id", user.as_str());
        }
        if !account.display_name.trim().is_empty() {
            values.set("account.name", account.display_name.clone());
        }
        if let Some(bad) = ["contact.name", "contact.first_name", "agent.id", "account.name"]
            .into_iter()
            .find(|name| extra.get(name).is_some())
        {
            return Err(Error::new(ErrorKind::InvalidInput, format!("{bad} is filled in by the hub, not passed in"))
                .with_operation(OP));
        }
        reply.render(&values).map_err(|e| e.with_operation(OP))
    }
}
