//! The path of a send: authorize, check the channel's rules, record, send, update status.

use crate::audit::AuditOutcome;
use crate::channel::SendRequest;
use crate::hub::Hub;
use crate::inbox::OutboundDraft;
use crate::{
    Action, Actor, Author, ChannelAccountState, Content, ConversationId, DeliveryStatus, Error, ErrorKind, Message,
    MessageId, Principal, Resource, Result,
};

impl Hub {
    /// Sends `content` to the customer of a conversation, as `actor`.
    ///
    /// In order: the conversation is looked up in the actor's tenant (another tenant's id is
    /// `NotFound`); the policy must allow [`Action::SendMessage`]; the account must be
    /// connected; the channel must support the content kind and length, and its messaging
    /// window must be open (checked against the hub's clock before any API call). Then the
    /// message is recorded as queued, sent, and marked sent with the platform's id. A failed
    /// send is recorded as failed with the reason and returned as the error; a send whose
    /// outcome is unknown (timeout after the request left) stays `Sending` and returns
    /// [`ErrorKind::DeliveryUnknown`]: check with the platform before resending.
    pub async fn send(&self, actor: &Actor, conversation: ConversationId, content: Content) -> Result<Message> {
        self.send_reply(actor, conversation, content, None).await
    }

    /// Like [`send`](Hub::send), quoting the message with platform id `reply_to`.
    pub async fn send_reply(
        &self,
        actor: &Actor,
        conversation_id: ConversationId,
        content: Content,
        reply_to: Option<String>,
    ) -> Result<Message> {
        let target = format!("conversation:{conversation_id}");
        let tenant = actor.tenant();
        let inbox = &self.inner.inbox;
        let conversation =
            inbox.conversation(tenant, conversation_id).await.map_err(|e| e.with_operation("hub.send"))?;
        if let Err(denied) =
            self.inner.policy.authorize(actor, Action::SendMessage, Resource::Conversation(&conversation))
        {
            self.audit(actor, "message.send", target, AuditOutcome::Denied { reason: denied.message().to_string() })
                .await?;
            return Err(denied.with_operation("hub.send"));
        }
        let account = inbox.account(tenant, conversation.account).await.map_err(|e| e.with_operation("hub.send"))?;
        if let ChannelAccountState::ReauthorizationRequired { reason } = &account.state {
            return Err(Error::new(
                ErrorKind::TokenInvalid,
                format!(
                    "the {} account {} must be reconnected before sending ({reason})",
                    account.kind, account.display_name
                ),
            )
            .with_operation("hub.send"));
        }
        if !account.state.can_send() {
            return Err(Error::new(
                ErrorKind::PlatformRejected,
                format!("the {} account {} is disconnected", account.kind, account.display_name),
            )
            .with_operation("hub.send"));
        }
        let channel = self.inner.channels.get(&account.channel).ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                format!(
                    "account {} names channel {}, which is not registered with the hub",
                    account.id, account.channel
                ),
            )
            .with_operation("hub.send")
        })?;
        let capabilities = channel.capabilities();
        if !capabilities.can_send(content.kind()) {
            let can: Vec<&str> = capabilities.send.iter().map(|k| k.as_str()).collect();
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} channel cannot send {} content; it can send: {}",
                    account.kind,
                    content.kind().as_str(),
                    can.join(", ")
                ),
            )
            .with_operation("hub.send"));
        }
        if let Some(limit) = capabilities.max_text_length {
            let length = content.text_length();
            if length > limit {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("the text is {length} characters; the {} channel accepts at most {limit}", account.kind),
                )
                .with_operation("hub.send"));
            }
        }
        let human_agent = matches!(actor.principal(), Principal::User { .. });
        let now = self.inner.clock.now();
        if let Some(window) = &capabilities.messaging_window {
            window
                .check(conversation.last_inbound_at, now, &content, human_agent)
                .map_err(|e| e.with_operation("hub.send"))?;
        }
        let contact = inbox.contact(tenant, conversation.contact).await.map_err(|e| e.with_operation("hub.send"))?;
        let recipient = contact.identities.iter().find(|identity| identity.account == account.id).ok_or_else(|| {
            Error::new(
                ErrorKind::RecipientUnavailable,
                "the contact has no identity on this conversation's channel account",
            )
            .with_operation("hub.send")
        })?;
        // Refreshed first when they expire soon (the token vault); a refresh the platform
        // refused for good marks the account, so later sends fail at once.
        let tokens = match self.inner.tokens.get_fresh(&account, channel.as_ref()).await {
            Ok(tokens) => tokens,
            Err(error) => {
                if error.kind() == ErrorKind::TokenInvalid {
                    self.mark_reauthorization_required(&account, error.message()).await;
                }
                return Err(error.with_operation("hub.send"));
            }
        };

        let author = match actor.principal() {
            Principal::User { id, .. } => Author::Agent(id.clone()),
            Principal::Automation { name } => Author::Bot(name.clone()),
        };
        let draft =
            OutboundDraft { id: MessageId::new(), conversation: conversation.id, author, content, reply_to, at: now };
        // Recorded before it is attempted: a crash from here on leaves a queued message, never a lost one.
        let message = inbox.record_outbound(tenant, draft).await.map_err(|e| e.with_operation("hub.send.record"))?;
        inbox
            .update_delivery(tenant, message.id, DeliveryStatus::Sending, None)
            .await
            .map_err(|e| e.with_operation("hub.send.record"))?;

        let request = SendRequest::new(&account, recipient, &message.content, message.id)
            .with_access_token(tokens.as_ref().map(|t| &t.access_token))
            .with_reply_to(message.reply_to.as_deref())
            .with_human_agent(human_agent);
        let result = channel.send(&request).await;
        match result {
            Ok(receipt) => {
                let sent = inbox
                    .update_delivery(tenant, message.id, DeliveryStatus::Sent, Some(&receipt.platform_message_id))
                    .await
                    .map_err(|e| e.with_operation("hub.send.record"))?;
                self.audit_after_the_fact(actor, "message.send", target, AuditOutcome::Success).await;
                Ok(sent)
            }
            Err(error) => {
                let error = error.with_operation("hub.send").with_context("message", message.id);
                if error.kind() != ErrorKind::DeliveryUnknown {
                    let failed = DeliveryStatus::Failed { reason: error.message().to_string() };
                    if let Err(store_error) = inbox.update_delivery(tenant, message.id, failed, None).await {
                        tracing::error!(target: "unibox::send", %store_error, message = %message.id, "could not record a failed send");
                    }
                }
                if error.kind() == ErrorKind::TokenInvalid {
                    self.mark_reauthorization_required(&account, error.message()).await;
                }
                self.audit_after_the_fact(
                    actor,
                    "message.send",
                    target,
                    AuditOutcome::Failed { error: error.kind().as_str().to_string() },
                )
                .await;
                Err(error)
            }
        }
    }

    async fn mark_reauthorization_required(&self, account: &crate::ChannelAccount, reason: &str) {
        let mut updated = account.clone();
        updated.state = ChannelAccountState::ReauthorizationRequired { reason: reason.to_string() };
        if let Err(error) = self.inner.inbox.save_account(&updated).await {
            tracing::error!(target: "unibox::send", %error, account = %account.id, "could not mark the account for reauthorization");
        }
    }
}
