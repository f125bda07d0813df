//! Tenant-scoped operations for the embedding application: connecting channel accounts,
//! reading the inbox, and notes. Each is authorized by the policy in one place.

use crate::audit::AuditOutcome;
use crate::hub::Hub;
use crate::inbox::{ConversationQuery, MessageQuery, Page, SearchQuery};
use crate::{
    Action, Actor, ChannelAccount, ChannelAccountId, ChannelAccountState, Conversation, ConversationId, Error,
    ErrorKind, InternalNote, Message, NoteId, Resource, Result, TokenSet,
};

impl Hub {
    pub(super) fn authorize(&self, actor: &Actor, action: Action, resource: Resource<'_>) -> Result<()> {
        self.inner.policy.authorize(actor, action, resource)
    }

    pub(super) async fn authorize_audited(
        &self,
        actor: &Actor,
        action: Action,
        resource: Resource<'_>,
        verb: &str,
        target: &str,
    ) -> Result<()> {
        if let Err(denied) = self.authorize(actor, action, resource) {
            self.audit(actor, verb, target.to_string(), AuditOutcome::Denied { reason: denied.message().to_string() })
                .await?;
            return Err(denied);
        }
        Ok(())
    }

    /// Connects a channel account for the actor's tenant, with its tokens if the platform needs
    /// them. Requires [`Action::ManageChannels`]. The account's channel must be registered and
    /// of the same kind; its tenant must be the actor's.
    pub async fn connect_account(
        &self,
        actor: &Actor,
        account: ChannelAccount,
        tokens: Option<TokenSet>,
    ) -> Result<ChannelAccount> {
        let target = format!("account:{}", account.id);
        self.authorize_audited(
            actor,
            Action::ManageChannels,
            Resource::ChannelAccount(&account),
            "channel.connect",
            &target,
        )
        .await?;
        if &account.tenant != actor.tenant() {
            return Err(Error::new(ErrorKind::InvalidInput, "the account belongs to another tenant than the actor")
                .with_operation("hub.connect_account"));
        }
        let channel = self.inner.channels.get(&account.channel).ok_or_else(|| {
            Error::new(ErrorKind::Configuration, format!("no channel is registered as {}", account.channel))
                .with_operation("hub.connect_account")
        })?;
        if channel.kind() != account.kind {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "channel {} is a {} channel, but the account is {}",
                    account.channel,
                    channel.kind(),
                    account.kind
                ),
            )
            .with_operation("hub.connect_account"));
        }
        let result = async {
            self.inner.inbox.save_account(&account).await?;
            if let Some(tokens) = tokens {
                self.inner.tokens.put(&account.tenant, account.id, tokens).await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        let outcome = match &result {
            Ok(()) => AuditOutcome::Success,
            Err(e) => AuditOutcome::Failed { error: e.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, "channel.connect", target, outcome).await;
        result.map_err(|e| e.with_operation("hub.connect_account"))?;
        self.inner.routes.remember(&account);
        Ok(account)
    }

    /// Disconnects an account of the actor's tenant and revokes its tokens; its webhooks are
    /// refused from now on. Requires [`Action::ManageChannels`].
    pub async fn disconnect_account(&self, actor: &Actor, account_id: ChannelAccountId) -> Result<ChannelAccount> {
        let target = format!("account:{account_id}");
        let mut account = self.inner.inbox.account(actor.tenant(), account_id).await?;
        self.authorize_audited(
            actor,
            Action::ManageChannels,
            Resource::ChannelAccount(&account),
            "channel.disconnect",
            &target,
        )
        .await?;
        account.state = ChannelAccountState::Disconnected;
        let now = self.inner.clock.now();
        let result = async {
            self.inner.inbox.save_account(&account).await?;
            self.inner.tokens.revoke(&account.tenant, account.id, now).await?;
            Ok::<_, Error>(())
        }
        .await;
        self.inner.routes.forget(&account);
        let outcome = match &result {
            Ok(()) => AuditOutcome::Success,
            Err(e) => AuditOutcome::Failed { error: e.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, "channel.disconnect", target, outcome).await;
        result.map_err(|e| e.with_operation("hub.disconnect_account"))?;
        Ok(account)
    }

    /// Lists the actor's tenant's conversations. Requires [`Action::ReadConversations`].
    ///
    /// Only conversations in the actor's [`conversation_scope`](crate::Policy::conversation_scope)
    /// are listed (an agent restricted to some accounts, or to assigned and unassigned
    /// conversations, sees only those); a page may then hold fewer items than asked for, and
    /// `next` still continues after everything it covered.
    pub async fn conversations(&self, actor: &Actor, query: &ConversationQuery) -> Result<Page<Conversation>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let mut page = self.inner.inbox.conversations(actor.tenant(), query).await?;
        let scope = self.inner.policy.conversation_scope(actor);
        if !scope.is_unrestricted() {
            page.items.retain(|conversation| scope.contains(conversation));
        }
        Ok(page)
    }

    /// One conversation of the actor's tenant. Requires [`Action::ReadConversations`].
    pub async fn conversation(&self, actor: &Actor, id: ConversationId) -> Result<Conversation> {
        let conversation = self.inner.inbox.conversation(actor.tenant(), id).await?;
        self.authorize(actor, Action::ReadConversations, Resource::Conversation(&conversation))?;
        Ok(conversation)
    }

    /// A conversation's messages, newest first. Requires [`Action::ReadConversations`].
    pub async fn messages(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        let conversation = self.conversation(actor, conversation).await?;
        self.inner.inbox.messages(actor.tenant(), conversation.id, query).await
    }

    /// Full-text search over the actor's tenant's messages. Requires [`Action::ReadConversations`].
    /// Messages of conversations outside the actor's
    /// [`conversation_scope`](crate::Policy::conversation_scope) are left out.
    pub async fn search(&self, actor: &Actor, query: &SearchQuery) -> Result<Page<Message>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let mut page = self.inner.inbox.search(actor.tenant(), query).await?;
        let scope = self.inner.policy.conversation_scope(actor);
        if !scope.is_unrestricted() {
            let mut visible = std::collections::HashMap::new();
            let mut kept = Vec::with_capacity(page.items.len());
            for message in page.items {
                let allowed = match visible.get(&message.conversation) {
                    Some(allowed) => *allowed,
                    None => {
                        let conversation = self.inner.inbox.conversation(actor.tenant(), message.conversation).await?;
                        let allowed = scope.contains(&conversation);
                        visible.insert(message.conversation, allowed);
                        allowed
                    }
                };
                if allowed {
                    kept.push(message);
                }
            }
            page.items = kept;
        }
        Ok(page)
    }

    /// Adds an internal note (never sent to the customer). Requires [`Action::AddNote`] and a
    /// user actor (notes have a human author).
    pub async fn add_note(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        body: impl Into<String>,
    ) -> Result<InternalNote> {
        let target = format!("conversation:{conversation}");
        let conversation = self.inner.inbox.conversation(actor.tenant(), conversation).await?;
        self.authorize_audited(actor, Action::AddNote, Resource::Conversation(&conversation), "note.add", &target)
            .await?;
        let author = actor.user_id().cloned().ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput, "notes are written by users; automations cannot add notes")
                .with_operation("hub.add_note")
        })?;
        let body = body.into();
        if body.trim().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "a note cannot be empty").with_operation("hub.add_note"));
        }
        let note = InternalNote {
            id: NoteId::new(),
            tenant: actor.tenant().clone(),
            conversation: conversation.id,
            author,
            body,
            created_at: self.inner.clock.now(),
        };
        self.inner.inbox.add_note(&note).await.map_err(|e| e.with_operation("hub.add_note"))?;
        let event = crate::workflow::WorkflowEvent::NoteAdded { conversation: note.conversation, note: note.id };
        self.workflow_changed(actor, event).await;
        Ok(note)
    }
}
