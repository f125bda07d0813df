//! The path of a send: authorize, check the channel's rules, record (with its outbox job), attempt,
//! and record the outcome truthfully; retries go to the [`DeliveryWorker`](crate::delivery::DeliveryWorker).

use crate::audit::{AuditOutcome, actions};
use crate::channel::SendRequest;
use crate::delivery::RetryDecision;
use crate::hub::Hub;
use crate::inbox::OutboundDraft;
use crate::outbox::{AttemptOutcome, EnqueueOptions, JobState, Lease, LeaseId, Outbox, OutboxJob, Resolution};
use crate::{
    Action, Actor, Author, Channel, ChannelAccount, ChannelAccountState, ContactIdentity, Content, ConversationId,
    DeliveryStatus, Error, ErrorKind, Message, MessageId, Principal, Resource, Result, TenantId, TokenSet,
};

/// What an attempt needs, loaded from the stores for a job.
struct Attempt {
    message: Message,
    account: ChannelAccount,
    recipient: ContactIdentity,
    channel: std::sync::Arc<dyn Channel>,
    customer_last_message_at: Option<crate::Timestamp>,
    contact: crate::ContactId,
}

impl Hub {
    /// Sends `content` to the customer of a conversation, as `actor`.
    ///
    /// In order: the conversation is looked up in the actor's tenant (another tenant's id is
    /// `NotFound`); the policy must allow [`Action::SendMessage`]; the account must be
    /// connected; the channel must support the content kind and length, and its messaging
    /// window must be open (checked against the hub's clock before any API call). Then the
    /// message is recorded as queued, durably, before anything is sent.
    ///
    /// When the store has an [`Outbox`] (memory and SQLite do), the message and its send job are
    /// recorded in one transaction and the first attempt is made at once:
    ///
    /// - accepted: the message is returned `Sent`, with the platform's id;
    /// - failed in a way known not to have delivered it (no connection, throttled, a platform
    ///   error before it accepted the request): the message is returned `Queued` and a
    ///   [`DeliveryWorker`](crate::delivery::DeliveryWorker) retries it with backoff, honouring the
    ///   platform's requested delay;
    /// - refused for good (or out of retries): it is recorded `Failed` with the reason and the
    ///   error is returned;
    /// - possibly delivered (a timeout after the request left) on a platform without idempotent
    ///   sends: it stays `Sending`, its job becomes [`JobState::Unknown`], and
    ///   [`ErrorKind::DeliveryUnknown`] is returned: check with the platform before resending.
    ///   Where the platform deduplicates by the message id, it is retried instead.
    ///
    /// Without an outbox the message is recorded and sent once, with the same outcomes except
    /// that nothing is retried.
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
        self.send_gated(actor, conversation_id, content, reply_to, super::handoff::SendGate::Open).await
    }

    /// The send path shared by people and the bot; `gate` is passed right before the message is
    /// recorded (see [`Hub::send_auto_reply`]).
    pub(super) async fn send_gated(
        &self,
        actor: &Actor,
        conversation_id: ConversationId,
        content: Content,
        reply_to: Option<String>,
        gate: super::handoff::SendGate,
    ) -> Result<Message> {
        let target = crate::audit::targets::conversation(conversation_id);
        let tenant = actor.tenant();
        let store = &self.inner.store;
        let conversation =
            store.reads.conversation(tenant, conversation_id).await.map_err(|e| e.with_operation("hub.send"))?;
        if let Err(denied) =
            self.inner.policy.authorize(actor, Action::SendMessage, Resource::Conversation(&conversation))
        {
            self.audit(
                actor,
                actions::MESSAGE_SEND,
                target,
                AuditOutcome::Denied { reason: denied.message().to_string() },
            )
            .await?;
            return Err(denied.with_operation("hub.send"));
        }
        let account =
            store.accounts.account(tenant, conversation.account).await.map_err(|e| e.with_operation("hub.send"))?;
        check_account_can_send(&account).map_err(|e| e.with_operation("hub.send"))?;
        let channel = self.channel_of(&account).map_err(|e| e.with_operation("hub.send"))?;
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
        let contact =
            store.reads.contact(tenant, conversation.contact).await.map_err(|e| e.with_operation("hub.send"))?;
        let recipient = recipient_of(&contact, &account).map_err(|e| e.with_operation("hub.send"))?;
        // A platform's daily quota used up: refused with the time until it resets, before the
        // send is recorded (a queued send would only wait for tomorrow).
        self.delivery()
            .limiter
            .check_daily(account.id, &capabilities.rate_limits, now)
            .map_err(|e| e.with_operation("hub.send"))?;

        let author = match actor.principal() {
            Principal::User { id, .. } => Author::Agent(id.clone()),
            Principal::Automation { name } => Author::Bot(name.clone()),
        };
        // Who holds the conversation is settled here, after every check that could refuse the
        // send and right before it is recorded; the guard is held until the record is written.
        let control_guard =
            self.pass_gate(actor, &conversation, gate).await.map_err(|e| e.with_operation("hub.send"))?;
        let id = MessageId::new();
        // Paid for before anything is recorded: a send the credits cannot pay leaves no trace.
        let reserved = self
            .reserve_credits(tenant, &account.kind, &content, id)
            .await
            .map_err(|e| e.with_operation("hub.send"))?;
        let reserved_content = reserved.then(|| content.clone());
        let draft = OutboundDraft { id, conversation: conversation.id, author, content, reply_to, at: now };
        let result = match store.outbox.as_deref() {
            Some(outbox) => {
                // Recorded (message and job, one transaction) before it is attempted, and leased to
                // this call so no worker attempts it meanwhile.
                let lease = Lease::until(now.saturating_add(self.delivery().options.lease));
                let options = EnqueueOptions::new().human_agent(human_agent).leased(lease);
                let enqueued = outbox.enqueue(tenant, draft, options, now).await;
                drop(control_guard);
                match enqueued {
                    Ok((message, job)) => {
                        self.delivery().changed.notify_waiters();
                        // The first attempt reuses the rows just read: each is read once per
                        // send. It refunds a send that fails for good itself.
                        let customer_last_message_at = conversation.last_inbound_at;
                        let loaded = Attempt {
                            message,
                            account,
                            recipient,
                            channel: channel.clone(),
                            customer_last_message_at,
                            contact: contact.id,
                        };
                        self.deliver_loaded(job, lease.id, Some(loaded)).await
                    }
                    Err(error) => {
                        if let Some(content) = &reserved_content {
                            self.refund_unsent(tenant, &account.kind, content, id).await;
                        }
                        return Err(error.with_operation("hub.send.record"));
                    }
                }
            }
            None => {
                let customer_wrote = conversation.last_inbound_at;
                let result =
                    self.send_once(&account, channel.as_ref(), &recipient, draft, human_agent, customer_wrote).await;
                if let (Err(error), Some(content)) = (&result, &reserved_content)
                    && error.kind() != ErrorKind::DeliveryUnknown
                {
                    self.refund_unsent(tenant, &account.kind, content, id).await;
                }
                result
            }
        };
        if result.is_ok() {
            self.analytics_changed([tenant]);
        }
        // The record says how the send ended; one still queued gets its `message.send` record
        // from the delivery worker when it ends.
        let (action, outcome) = match &result {
            Ok(message) if message.delivery == DeliveryStatus::Queued => {
                (actions::MESSAGE_QUEUE, AuditOutcome::Success)
            }
            Ok(_) => (actions::MESSAGE_SEND, AuditOutcome::Success),
            Err(error) => (actions::MESSAGE_SEND, AuditOutcome::Failed { error: error.kind().as_str().to_string() }),
        };
        self.audit_after_the_fact(actor, action, target, outcome).await;
        result
    }

    /// Records how a send the delivery worker attempted ended, once it ended: sent, failed for
    /// good, or unknown. A retry scheduled again is not an end.
    pub(crate) async fn audit_delivery_end(&self, job: &OutboxJob, outcome: AuditOutcome) {
        let worker = crate::Actor::automation(job.tenant.clone(), actions::DELIVERY_WORKER);
        let target = crate::audit::targets::conversation(job.conversation);
        self.audit_after_the_fact(&worker, actions::MESSAGE_SEND, target, outcome).await;
    }

    /// Records what `actor` found out about a send whose outcome was unknown (a timeout after the
    /// request left, on a platform that cannot deduplicate a resend): the platform has it
    /// ([`Resolution::Delivered`]), it does not and should be sent again ([`Resolution::Resend`],
    /// picked up by a [`DeliveryWorker`](crate::delivery::DeliveryWorker)), or give up
    /// ([`Resolution::Abandon`]). Requires [`Action::SendMessage`] on the conversation; audited.
    /// `Conflict` when the send's outcome is not unknown.
    ///
    /// List the sends to check with [`Outbox::jobs`] and [`JobState::Unknown`].
    pub async fn resolve_unknown_send(
        &self,
        actor: &Actor,
        message: MessageId,
        resolution: Resolution,
    ) -> Result<Message> {
        const OP: &str = "hub.resolve_unknown_send";
        let target = crate::audit::targets::message(message);
        let tenant = actor.tenant();
        let outbox = self.outbox().map_err(|e| e.with_operation(OP))?;
        let recorded = self.inner.store.reads.message(tenant, message).await.map_err(|e| e.with_operation(OP))?;
        let conversation = self
            .inner
            .store
            .reads
            .conversation(tenant, recorded.conversation)
            .await
            .map_err(|e| e.with_operation(OP))?;
        if let Err(denied) =
            self.inner.policy.authorize(actor, Action::SendMessage, Resource::Conversation(&conversation))
        {
            let reason = denied.message().to_string();
            self.audit(actor, actions::MESSAGE_RESOLVE, target, AuditOutcome::Denied { reason }).await?;
            return Err(denied.with_operation(OP));
        }
        let resend = resolution == Resolution::Resend;
        let result = outbox.resolve_unknown(tenant, message, resolution, self.inner.clock.now()).await;
        let outcome = match &result {
            Ok(_) => AuditOutcome::Success,
            Err(error) => AuditOutcome::Failed { error: error.kind().as_str().to_string() },
        };
        self.audit_after_the_fact(actor, actions::MESSAGE_RESOLVE, target, outcome).await;
        let (resolved, _) = result.map_err(|e| e.with_operation(OP))?;
        self.delivery().changed.notify_waiters();
        self.relay_changed(tenant);
        if resend {
            self.delivery().work.notify_one();
        }
        Ok(resolved)
    }

    /// Makes one attempt of a job held by `lease` and records its outcome; returns the message
    /// as recorded (`Sent`, or `Queued` when a retry was scheduled) or the error that failed it.
    pub(crate) async fn deliver(&self, job: OutboxJob, lease: LeaseId) -> Result<Message> {
        self.deliver_loaded(job, lease, None).await
    }

    /// [`deliver`](Hub::deliver), with what the attempt needs when the caller has read it already.
    async fn deliver_loaded(&self, job: OutboxJob, lease: LeaseId, loaded: Option<Attempt>) -> Result<Message> {
        const OP: &str = "hub.deliver";
        let outbox = self.outbox().map_err(|e| e.with_operation(OP))?;
        let result = self.attempt(outbox, &job, lease, loaded).await;
        if let Err(error) = &result
            && error.kind() != ErrorKind::DeliveryUnknown
        {
            self.refund_failed_job(&job).await;
        }
        self.delivery().changed.notify_waiters();
        self.relay_changed(&job.tenant);
        result.map_err(|e| e.with_operation(OP).with_context("message", job.message))
    }

    /// The store's outbox; `Unsupported` when it keeps none.
    fn outbox(&self) -> Result<&dyn Outbox> {
        self.inner.store.outbox.as_deref().ok_or_else(|| Error::new(ErrorKind::Unsupported, "this store has no outbox"))
    }

    async fn attempt(
        &self,
        outbox: &dyn Outbox,
        job: &OutboxJob,
        lease: LeaseId,
        loaded: Option<Attempt>,
    ) -> Result<Message> {
        let tenant = &job.tenant;
        let loaded = match loaded {
            Some(attempt) => Ok(attempt),
            None => self.load_attempt(job).await,
        };
        let attempt = match loaded {
            Ok(attempt) => attempt,
            Err(error) => return self.record_failure(outbox, job, lease, error, job.attempts + 1, false).await,
        };
        let capabilities = attempt.channel.capabilities();
        let idempotent = capabilities.idempotent_send;
        if job.state == JobState::InFlight && !idempotent {
            // A previous attempt started and never finished (its worker died or lost its lease).
            let reason = "a previous attempt was interrupted and may have reached the platform; check with the \
                          platform before resending";
            outbox
                .finish_attempt(tenant, job.message, lease, AttemptOutcome::Unknown { reason: reason.into() })
                .await?;
            return Err(Error::new(ErrorKind::DeliveryUnknown, reason));
        }
        let now = self.inner.clock.now();
        if let Err(quota) = self.delivery().limiter.take_daily(attempt.account.id, &capabilities.rate_limits, now) {
            // The day's quota is used up: give the job back, due when it resets, without counting
            // an attempt.
            let at = now.saturating_add(quota.retry_after().unwrap_or_default());
            let reason = format!("the {} account's daily send cap is reached", attempt.account.kind);
            let (message, _) =
                outbox.finish_attempt(tenant, job.message, lease, AttemptOutcome::Retry { at, reason }).await?;
            self.delivery().work.notify_one();
            return Ok(message);
        }
        let options = self.delivery().options;
        let reserved = self.delivery().limiter.reserve(
            attempt.account.id,
            &attempt.recipient.value,
            &capabilities.rate_limits,
            options.max_rate_wait,
        );
        match reserved {
            Ok(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
            Ok(_) => {}
            Err(wait) => {
                // Too long to hold the job: give it back, due when the limit allows it.
                let at = self.inner.clock.now().saturating_add(wait);
                let reason = format!("paced under the {} rate limit", attempt.account.kind);
                let (message, _) =
                    outbox.finish_attempt(tenant, job.message, lease, AttemptOutcome::Retry { at, reason }).await?;
                self.delivery().work.notify_one();
                return Ok(message);
            }
        }
        let tokens = match self.access_token(tenant, &attempt.account).await {
            Ok(tokens) => tokens,
            Err(error) => return self.record_failure(outbox, job, lease, error, job.attempts + 1, idempotent).await,
        };
        let started = outbox.begin_attempt(tenant, job.message, lease).await?;
        let message = &attempt.message;
        let request = SendRequest::new(&attempt.account, &attempt.recipient, &message.content, message.id)
            .with_access_token(tokens.as_ref().map(|t| &t.access_token))
            .with_reply_to(message.reply_to.as_deref())
            .with_human_agent(job.human_agent)
            .with_since_customer_message(since(attempt.customer_last_message_at, self.inner.clock.now()));
        match attempt.channel.send(&request).await {
            Ok(receipt) => {
                let outcome = AttemptOutcome::Sent { platform_message_id: receipt.platform_message_id.clone() };
                let (sent, _) = outbox.finish_attempt(tenant, job.message, lease, outcome).await?;
                self.meter_send(&attempt.account, &sent, &receipt).await;
                Ok(sent)
            }
            Err(error) => {
                if error.kind() == ErrorKind::TokenInvalid {
                    self.mark_reauthorization_required(&attempt.account, error.message()).await;
                }
                if error.kind() == ErrorKind::RecipientUnavailable {
                    self.mark_unreachable(tenant, attempt.contact, error.message()).await;
                }
                self.record_failure(outbox, job, lease, error, started.attempts, idempotent).await
            }
        }
    }

    /// Loads the message, account, channel and recipient of a job; an error means the job
    /// cannot be attempted now (and, if permanent, ever).
    async fn load_attempt(&self, job: &OutboxJob) -> Result<Attempt> {
        let store = &self.inner.store;
        let tenant = &job.tenant;
        let message = store.reads.message(tenant, job.message).await?;
        let account = store.accounts.account(tenant, job.account).await?;
        check_account_can_send(&account)?;
        let channel = self.channel_of(&account)?.clone();
        let conversation = store.reads.conversation(tenant, job.conversation).await?;
        let contact = store.reads.contact(tenant, conversation.contact).await?;
        let recipient = recipient_of(&contact, &account)?;
        let customer_last_message_at = conversation.last_inbound_at;
        Ok(Attempt { message, account, recipient, channel, customer_last_message_at, contact: contact.id })
    }

    /// Records a failed attempt as the retry policy decides: a retry (the message is returned
    /// `Queued`), a failure, or an unknown outcome (both returned as errors).
    async fn record_failure(
        &self,
        outbox: &dyn Outbox,
        job: &OutboxJob,
        lease: LeaseId,
        error: Error,
        attempts: u32,
        idempotent: bool,
    ) -> Result<Message> {
        let tenant = &job.tenant;
        match self.delivery().options.retry.decide(&error, attempts, idempotent) {
            RetryDecision::RetryAfter(delay) => {
                let at = self.inner.clock.now().saturating_add(delay);
                let outcome = AttemptOutcome::Retry { at, reason: error.message().to_string() };
                let (message, _) = outbox.finish_attempt(tenant, job.message, lease, outcome).await?;
                self.delivery().work.notify_one();
                tracing::info!(target: "unibox::delivery", message = %job.message, attempts, delay_ms = delay.as_millis() as u64, kind = %error.kind(), "send will be retried");
                Ok(message)
            }
            RetryDecision::Fail(reason) => {
                let code = error.platform_code().map(str::to_owned);
                let outcome = AttemptOutcome::Failed { reason, code, kind: Some(error.kind()) };
                outbox.finish_attempt(tenant, job.message, lease, outcome).await?;
                tracing::warn!(target: "unibox::delivery", message = %job.message, attempts, kind = %error.kind(), "send failed");
                Err(if error.is_temporary() { error.persistent() } else { error })
            }
            RetryDecision::Unknown(reason) => {
                outbox
                    .finish_attempt(tenant, job.message, lease, AttemptOutcome::Unknown { reason: reason.clone() })
                    .await?;
                tracing::warn!(target: "unibox::delivery", message = %job.message, attempts, "send outcome unknown; check before resending");
                Err(Error::new(ErrorKind::DeliveryUnknown, reason))
            }
        }
    }

    /// The account's tokens for a send, refreshed first when they expire soon by a store that
    /// can refresh (the token vault). A refresh the platform refused for good marks the account
    /// for reauthorization, so this send and later ones fail at once with `TokenInvalid`.
    pub(crate) async fn access_token(&self, tenant: &TenantId, account: &ChannelAccount) -> Result<Option<TokenSet>> {
        // `account` was loaded in `tenant`; the store scopes by the account's own tenant.
        debug_assert_eq!(tenant, &account.tenant);
        let channel = self.channel_of(account)?;
        let tokens = self.inner.store.tokens.get_fresh(account, channel.as_ref()).await;
        if let Err(error) = &tokens
            && error.kind() == ErrorKind::TokenInvalid
        {
            self.mark_reauthorization_required(account, error.message()).await;
        }
        tokens
    }

    /// The old path, for inboxes without an outbox: record, send once, record the outcome.
    async fn send_once(
        &self,
        account: &ChannelAccount,
        channel: &dyn Channel,
        recipient: &ContactIdentity,
        draft: OutboundDraft,
        human_agent: bool,
        customer_last_message_at: Option<crate::Timestamp>,
    ) -> Result<Message> {
        let store = &self.inner.store;
        let tenant = &account.tenant;
        let tokens = self.access_token(tenant, account).await.map_err(|e| e.with_operation("hub.send"))?;
        // Recorded before it is attempted: a crash from here on leaves a queued message, never a lost one.
        let message =
            store.outbound.record_outbound(tenant, draft).await.map_err(|e| e.with_operation("hub.send.record"))?;
        store
            .outbound
            .update_delivery(tenant, message.id, DeliveryStatus::Sending, None)
            .await
            .map_err(|e| e.with_operation("hub.send.record"))?;
        let request = SendRequest::new(account, recipient, &message.content, message.id)
            .with_access_token(tokens.as_ref().map(|t| &t.access_token))
            .with_reply_to(message.reply_to.as_deref())
            .with_human_agent(human_agent)
            .with_since_customer_message(since(customer_last_message_at, self.inner.clock.now()));
        match channel.send(&request).await {
            Ok(receipt) => {
                let sent = store
                    .outbound
                    .update_delivery(tenant, message.id, DeliveryStatus::Sent, Some(&receipt.platform_message_id))
                    .await
                    .map_err(|e| e.with_operation("hub.send.record"))?;
                self.meter_send(account, &sent, &receipt).await;
                Ok(sent)
            }
            Err(error) => {
                let error = error.with_operation("hub.send").with_context("message", message.id);
                if error.kind() != ErrorKind::DeliveryUnknown {
                    let failed = DeliveryStatus::failed_by(&error);
                    if let Err(store_error) = store.outbound.update_delivery(tenant, message.id, failed, None).await {
                        tracing::error!(target: "unibox::send", %store_error, message = %message.id, "could not record a failed send");
                    }
                }
                if error.kind() == ErrorKind::TokenInvalid {
                    self.mark_reauthorization_required(account, error.message()).await;
                }
                Err(error)
            }
        }
    }

    pub(super) fn channel_of(&self, account: &ChannelAccount) -> Result<&std::sync::Arc<dyn Channel>> {
        self.inner.channels.get(&account.channel).ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                format!(
                    "account {} names channel {}, which is not registered with the hub",
                    account.id, account.channel
                ),
            )
        })
    }

    /// Records on the contact that the platform refused to deliver to them for good (they
    /// blocked the bot or unfollowed), so the team sees it; a follow (an unblock) clears it.
    async fn mark_unreachable(&self, tenant: &TenantId, contact: crate::ContactId, reason: &str) {
        let now = self.inner.clock.now();
        let update = crate::profiles::unreachable_update(now, reason);
        if let Err(error) = self.inner.store.workflow.update_contact(tenant, contact, &update).await {
            tracing::error!(target: "unibox::send", %error, %contact, "could not mark the contact unreachable");
        }
    }

    async fn mark_reauthorization_required(&self, account: &ChannelAccount, reason: &str) {
        let mut updated = account.clone();
        updated.state = ChannelAccountState::ReauthorizationRequired { reason: reason.to_string() };
        if let Err(error) = self.inner.store.accounts.save_account(&updated).await {
            tracing::error!(target: "unibox::send", %error, account = %account.id, "could not mark the account for reauthorization");
        }
    }
}

fn check_account_can_send(account: &ChannelAccount) -> Result<()> {
    if let ChannelAccountState::ReauthorizationRequired { reason } = &account.state {
        return Err(Error::new(
            ErrorKind::TokenInvalid,
            format!(
                "the {} account {} must be reconnected before sending ({reason})",
                account.kind, account.display_name
            ),
        ));
    }
    if !account.state.can_send() {
        return Err(Error::new(
            ErrorKind::PlatformRejected,
            format!("the {} account {} is disconnected", account.kind, account.display_name),
        ));
    }
    Ok(())
}

fn recipient_of(contact: &crate::Contact, account: &ChannelAccount) -> Result<ContactIdentity> {
    contact.identities.iter().find(|identity| identity.account == account.id).cloned().ok_or_else(|| {
        Error::new(
            ErrorKind::RecipientUnavailable,
            "the contact has no identity on this conversation's channel account",
        )
    })
}

/// How long ago the customer last wrote, for the channel's choice of message type.
fn since(customer_last_message_at: Option<crate::Timestamp>, now: crate::Timestamp) -> Option<std::time::Duration> {
    customer_last_message_at.map(|last| now.duration_since(last))
}
