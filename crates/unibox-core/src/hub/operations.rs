//! Tenant-scoped operations for the embedding application: connecting channel accounts,
//! reading the inbox, and notes. Each is authorized by the policy in one place.

use crate::audit::AuditOutcome;
use crate::hub::Hub;
use crate::inbox::{ConversationQuery, MessageQuery, Page, SearchQuery};
use crate::{
    Action, Actor, ChannelAccount, Conversation, ConversationId, Error, ErrorKind, InternalNote, Message, NoteId,
    Resource, Result, TokenSet,
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

    /// Connects a new channel account for the actor's tenant, with its tokens if the platform
    /// needs them. Requires [`Action::ManageChannels`]. The account's channel must be
    /// registered and of the same kind; its tenant must be the actor's. Connecting the same
    /// platform account again fails with [`ErrorKind::Conflict`]: start-up code, which runs on
    /// every start, uses [`ensure_account`](Hub::ensure_account).
    pub async fn connect_account(
        &self,
        actor: &Actor,
        account: ChannelAccount,
        tokens: Option<TokenSet>,
    ) -> Result<ChannelAccount> {
        const OP: &str = "hub.connect_account";
        self.check_connect(actor, &account, OP).await?;
        self.save_connected(actor, account, tokens, OP).await
    }

    /// Connects a channel account, or updates it if its platform account
    /// (`channel`, `platform_account_id`) is already connected to the actor's tenant: safe to
    /// call on every start. An existing account keeps its id and connection time and takes
    /// the rest (display name, state) from `account`; `tokens`, when given, replace the stored
    /// ones (unchanged tokens are not rewritten). Authorized ([`Action::ManageChannels`]) and
    /// audited (`channel.connect`) like [`connect_account`](Hub::connect_account).
    ///
    /// Fails with [`ErrorKind::Conflict`] when the platform account is connected to another
    /// tenant.
    ///
    /// ```
    /// use unibox_core::{Actor, ChannelAccount, ChannelKind, Hub, Role, Timestamp, TokenSet};
    ///
    /// // Runs on every start; the second start finds the account the first one connected.
    /// async fn connect_on_start(hub: &Hub, line_token: String) -> unibox_core::Result<ChannelAccount> {
    ///     let admin = Actor::user("acme".parse()?, "ops".parse()?, Role::Admin);
    ///     let account = ChannelAccount::new(
    ///         "acme".parse()?, "acme-line".parse()?, ChannelKind::LINE, "U4af4980629", Timestamp::now(),
    ///     );
    ///     hub.ensure_account(&admin, account, Some(TokenSet::new(line_token))).await
    /// }
    /// ```
    pub async fn ensure_account(
        &self,
        actor: &Actor,
        account: ChannelAccount,
        tokens: Option<TokenSet>,
    ) -> Result<ChannelAccount> {
        const OP: &str = "hub.ensure_account";
        self.check_connect(actor, &account, OP).await?;
        let existing = self
            .inner
            .store
            .accounts
            .route(&account.channel, &account.platform_account_id)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let Some(existing) = existing else {
            let connected = self.save_connected(actor, account.clone(), tokens.clone(), OP).await;
            let Err(error) = &connected else { return connected };
            if error.kind() != ErrorKind::Conflict {
                return connected;
            }
            // Several processes starting at once on a shared store: another one connected the
            // same platform account since the lookup above. Carry on as if it had been found.
            let raced = self
                .inner
                .store
                .accounts
                .route(&account.channel, &account.platform_account_id)
                .await
                .map_err(|e| e.with_operation(OP))?;
            let Some(existing) = raced else { return connected };
            return self.ensure_existing(actor, existing, account, tokens).await;
        };
        self.ensure_existing(actor, existing, account, tokens).await
    }

    /// [`ensure_account`](Hub::ensure_account) for a platform account found connected as
    /// `existing`: refused for another tenant, updated when something changed.
    async fn ensure_existing(
        &self,
        actor: &Actor,
        existing: ChannelAccount,
        account: ChannelAccount,
        tokens: Option<TokenSet>,
    ) -> Result<ChannelAccount> {
        const OP: &str = "hub.ensure_account";
        if &existing.tenant != actor.tenant() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "platform account {} on channel {} is connected to another tenant",
                    account.platform_account_id, account.channel
                ),
            )
            .with_operation(OP));
        }
        let updated = ChannelAccount { id: existing.id, connected_at: existing.connected_at, ..account };
        let tokens = match tokens {
            Some(tokens) => {
                let stored =
                    self.inner.store.tokens.get(actor.tenant(), existing.id).await.map_err(|e| e.with_operation(OP))?;
                (stored.as_ref().is_none_or(|stored| !same_tokens(stored, &tokens))).then_some(tokens)
            }
            None => None,
        };
        if updated == existing && tokens.is_none() {
            // Nothing to change; still audited, so every start's check is on the record.
            let target = crate::audit::targets::channel_account(existing.id);
            self.audit_after_the_fact(actor, crate::audit::actions::CHANNEL_CONNECT, target, AuditOutcome::Success)
                .await;
            self.inner.routes.remember(&existing);
            return Ok(existing);
        }
        self.save_connected(actor, updated, tokens, OP).await
    }

    /// The checks shared by connect and ensure: policy (audited when denied), tenant, channel.
    async fn check_connect(&self, actor: &Actor, account: &ChannelAccount, operation: &'static str) -> Result<()> {
        let target = crate::audit::targets::channel_account(account.id);
        self.authorize_audited(
            actor,
            Action::ManageChannels,
            Resource::ChannelAccount(account),
            crate::audit::actions::CHANNEL_CONNECT,
            &target,
        )
        .await?;
        if &account.tenant != actor.tenant() {
            return Err(Error::new(ErrorKind::InvalidInput, "the account belongs to another tenant than the actor")
                .with_operation(operation));
        }
        let channel = self.inner.channels.get(&account.channel).ok_or_else(|| {
            Error::new(ErrorKind::Configuration, format!("no channel is registered as {}", account.channel))
                .with_operation(operation)
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
            .with_operation(operation));
        }
        Ok(())
    }

    /// Saves the account and its tokens, audits how it went, and routes its webhooks.
    async fn save_connected(
        &self,
        actor: &Actor,
        account: ChannelAccount,
        tokens: Option<TokenSet>,
        operation: &'static str,
    ) -> Result<ChannelAccount> {
        let target = crate::audit::targets::channel_account(account.id);
        let result = async {
            self.inner.store.accounts.save_account(&account).await?;
            if let Some(tokens) = tokens {
                self.inner.store.tokens.put(&account.tenant, account.id, tokens).await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        let outcome = match &result {
            Ok(()) => AuditOutcome::Success,
            Err(e) => AuditOutcome::Failed { error: e.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, crate::audit::actions::CHANNEL_CONNECT, target, outcome).await;
        result.map_err(|e| e.with_operation(operation))?;
        self.inner.routes.remember(&account);
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
        let mut page = self.inner.store.reads.conversations(actor.tenant(), query).await?;
        let scope = self.inner.policy.conversation_scope(actor);
        if !scope.is_unrestricted() {
            page.items.retain(|conversation| scope.contains(conversation));
        }
        Ok(page)
    }

    /// One conversation of the actor's tenant. Requires [`Action::ReadConversations`].
    pub async fn conversation(&self, actor: &Actor, id: ConversationId) -> Result<Conversation> {
        let conversation = self.inner.store.reads.conversation(actor.tenant(), id).await?;
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
        self.inner.store.reads.messages(actor.tenant(), conversation.id, query).await
    }

    /// Full-text search over the actor's tenant's messages. Requires [`Action::ReadConversations`].
    /// Messages of conversations outside the actor's
    /// [`conversation_scope`](crate::Policy::conversation_scope) are left out.
    pub async fn search(&self, actor: &Actor, query: &SearchQuery) -> Result<Page<Message>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let mut page = self.inner.store.reads.search(actor.tenant(), query).await?;
        let scope = self.inner.policy.conversation_scope(actor);
        if !scope.is_unrestricted() {
            let mut visible = std::collections::HashMap::new();
            let mut kept = Vec::with_capacity(page.items.len());
            for message in page.items {
                let allowed = match visible.get(&message.conversation) {
                    Some(allowed) => *allowed,
                    None => {
                        let conversation =
                            self.inner.store.reads.conversation(actor.tenant(), message.conversation).await?;
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
        let target = crate::audit::targets::conversation(conversation);
        let conversation = self.inner.store.reads.conversation(actor.tenant(), conversation).await?;
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
        self.inner.store.workflow.add_note(&note).await.map_err(|e| e.with_operation("hub.add_note"))?;
        let event = crate::workflow::WorkflowEvent::NoteAdded { conversation: note.conversation, note: note.id };
        self.workflow_changed(actor, event).await;
        Ok(note)
    }
}

/// Whether two token sets hold the same credentials (compared in constant time).
fn same_tokens(a: &TokenSet, b: &TokenSet) -> bool {
    use secrecy::ExposeSecret;
    use subtle::ConstantTimeEq;
    let secret_eq = |x: &secrecy::SecretString, y: &secrecy::SecretString| {
        bool::from(x.expose_secret().as_bytes().ct_eq(y.expose_secret().as_bytes()))
    };
    let refresh_eq = match (&a.refresh_token, &b.refresh_token) {
        (Some(x), Some(y)) => secret_eq(x, y),
        (None, None) => true,
        _ => false,
    };
    secret_eq(&a.access_token, &b.access_token)
        && refresh_eq
        && a.expires_at == b.expires_at
        && a.refresh_expires_at == b.refresh_expires_at
        && a.scopes == b.scopes
}
