//! The hub's side of the handoff state machine: a person's reply or an assignment takes a
//! conversation from the bot at once, and a bot reply is recorded only while the bot still holds
//! the conversation at the version it generated the reply for.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};

use crate::ai::{ControlState, ConversationControlStore, HandoffReason, TokenUsage};
use crate::audit::{AuditOutcome, actions};
use crate::hub::Hub;
use crate::metering::usage_of_ai_call;
use crate::{
    Action, Actor, Content, Conversation, ConversationId, Error, ErrorKind, InternalNote, Message, NoteId, Principal,
    Resource, Result, TenantId, UserId,
};

/// The author of the internal notes the hub writes when the assistant hands a conversation over.
pub const HANDOFF_NOTE_AUTHOR: &str = "ai-assistant";

/// How many locks conversations are spread over: enough that unrelated conversations rarely
/// wait for each other, few enough to allocate once.
const LOCK_STRIPES: usize = 64;

/// Serializes "check who holds the conversation, then record the send" against "a person takes
/// the conversation" within this process; the store's compare-and-set covers other processes.
#[derive(Debug)]
pub(crate) struct ControlLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for ControlLocks {
    fn default() -> Self {
        ControlLocks { stripes: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl ControlLocks {
    async fn lock(&self, conversation: ConversationId) -> MutexGuard<'_, ()> {
        let bytes = conversation.as_bytes();
        // The low bytes of a v7 UUID are random.
        let stripe = usize::from(bytes[15]) % self.stripes.len();
        self.stripes[stripe].lock().await
    }
}

/// What must hold right before a send is recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SendGate {
    /// A send by a person (which takes the conversation from the bot) or another automation.
    Open,
    /// The bot's reply, generated while the conversation was at `version`.
    AutoReply {
        /// The [`ControlState::version`] read before generating.
        version: u64,
    },
}

impl Hub {
    /// The handoff store: the store bundle's
    /// ([`Store::conversation_control`](crate::store::Store::conversation_control)) unless
    /// [`HubBuilder::conversation_control`](crate::hub::HubBuilder::conversation_control) gave
    /// another; `None` when neither did.
    pub fn conversation_control(&self) -> Option<&Arc<dyn ConversationControlStore>> {
        self.inner.control.as_ref()
    }

    fn control_store(&self, operation: &'static str) -> Result<&Arc<dyn ConversationControlStore>> {
        self.inner.control.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "this hub has no conversation-control store: its store keeps none; give one with HubBuilder::conversation_control",
            )
            .with_operation(operation)
        })
    }

    /// Passes a send's gate; the returned guard must live until the send is recorded.
    pub(super) async fn pass_gate(
        &self,
        actor: &Actor,
        conversation: &Conversation,
        gate: SendGate,
    ) -> Result<Option<MutexGuard<'_, ()>>> {
        let Some(store) = &self.inner.control else {
            return match gate {
                SendGate::Open => Ok(None),
                SendGate::AutoReply { .. } => Err(self.control_store("hub.send_auto_reply").unwrap_err()),
            };
        };
        let guard = self.inner.control_locks.lock(conversation.id).await;
        let now = self.inner.clock.now();
        let tenant = actor.tenant();
        match gate {
            SendGate::Open => {
                if matches!(actor.principal(), Principal::User { .. }) {
                    // The person's reply takes the conversation before it is recorded, so no bot
                    // reply can be recorded after it.
                    store.take_for_human(tenant, conversation.id, HandoffReason::AgentReplied, now).await?;
                }
                Ok(None)
            }
            SendGate::AutoReply { version } => {
                // Read again under the lock: an assignment may have landed while the model ran.
                let current = self.inner.store.reads.conversation(tenant, conversation.id).await?;
                if current.assignee.is_some() {
                    store.take_for_human(tenant, conversation.id, HandoffReason::Assigned, now).await?;
                    return Err(person_holds_it());
                }
                match store.admit_bot_reply(tenant, conversation.id, version, now).await? {
                    Some(_) => Ok(Some(guard)),
                    None => Err(person_holds_it()),
                }
            }
        }
    }

    /// Where a conversation stands between the bot and the team. Requires
    /// [`Action::ReadConversations`].
    pub async fn control_state(&self, actor: &Actor, conversation: ConversationId) -> Result<ControlState> {
        const OP: &str = "hub.control_state";
        let store = self.control_store(OP)?;
        let conversation = self.conversation(actor, conversation).await.map_err(|e| e.with_operation(OP))?;
        store.state(actor.tenant(), conversation.id).await.map_err(|e| e.with_operation(OP))
    }

    /// Sends the bot's reply: the same path as a person's [`send`](Hub::send) (policy, messaging
    /// window, outbox, rate limits, metering, audit), except that right before the message is
    /// recorded the hub checks, atomically with the recording, that the bot still holds the
    /// conversation at `version` (the [`ControlState::version`] read before generating) and that
    /// nobody was assigned. Otherwise nothing is recorded and `Conflict` is returned: an agent's
    /// reply that lands while the model is still generating always wins.
    ///
    /// `actor` must be an automation; the trigger is audited as `auto_reply.triggered` with the
    /// rule's id in the actor's name (`unibox-ai:<rule>`), never the content.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, id: unibox_core::ConversationId) -> unibox_core::Result<()> {
    /// use unibox_core::{Actor, Content};
    /// let bot = Actor::automation("acme".parse()?, "unibox-ai:after-hours");
    /// let version = hub.control_state(&bot, id).await?.version;
    /// // ... the model generates ...
    /// hub.send_auto_reply(&bot, id, Content::text("We open at 9:00 and will answer then."), version).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_auto_reply(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        content: Content,
        version: u64,
    ) -> Result<Message> {
        const OP: &str = "hub.send_auto_reply";
        if !matches!(actor.principal(), Principal::Automation { .. }) {
            return Err(Error::new(ErrorKind::InvalidInput, "automatic replies are sent by an automation actor")
                .with_operation(OP));
        }
        self.control_store(OP)?;
        let result = self.send_gated(actor, conversation, content, None, SendGate::AutoReply { version }).await;
        let outcome = match &result {
            Ok(_) => AuditOutcome::Success,
            Err(error) => AuditOutcome::Failed { error: error.kind().as_str().to_string() },
        };
        let target = crate::audit::targets::conversation(conversation);
        self.audit_after_the_fact(actor, actions::AUTO_REPLY_TRIGGERED, target, outcome).await;
        result.map_err(|e| e.with_operation(OP))
    }

    /// Hands a conversation to the team: it goes to human control and, if it changes hands now,
    /// an internal note (author [`HANDOFF_NOTE_AUTHOR`]) tells the team why. Requires
    /// [`Action::UpdateConversation`]; audited as `conversation.hand_over`.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, id: unibox_core::ConversationId) -> unibox_core::Result<()> {
    /// use unibox_core::ai::{Control, HandoffReason};
    /// let bot = unibox_core::Actor::automation("acme".parse()?, "unibox-ai");
    /// let state = hub.hand_over(&bot, id, HandoffReason::CustomerAskedForPerson).await?;
    /// assert_eq!(state.control, Control::Human);
    /// # Ok(()) }
    /// ```
    pub async fn hand_over(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        reason: HandoffReason,
    ) -> Result<ControlState> {
        const OP: &str = "hub.hand_over";
        let store = self.control_store(OP)?;
        let conversation = self.inner.store.reads.conversation(actor.tenant(), conversation).await?;
        let target = crate::audit::targets::conversation(conversation.id);
        self.authorize_audited(
            actor,
            Action::UpdateConversation,
            Resource::Conversation(&conversation),
            "conversation.hand_over",
            &target,
        )
        .await
        .map_err(|e| e.with_operation(OP))?;
        let (state, changed) = {
            let _guard = self.inner.control_locks.lock(conversation.id).await;
            let now = self.inner.clock.now();
            store.take_for_human(actor.tenant(), conversation.id, reason.clone(), now).await
        }
        .map_err(|e| e.with_operation(OP))?;
        if changed {
            self.note_handoff(actor.tenant(), conversation.id, &reason).await.map_err(|e| e.with_operation(OP))?;
            self.audit_after_the_fact(actor, "conversation.hand_over", target, AuditOutcome::Success).await;
        }
        Ok(state)
    }

    /// Gives a conversation back to the bot. Requires [`Action::AssignConversation`] (it decides
    /// who answers); audited as `conversation.release_to_bot`. The conversation keeps its
    /// assignee, if any: the bot answers only unassigned conversations, so unassign it too.
    pub async fn release_to_bot(&self, actor: &Actor, conversation: ConversationId) -> Result<ControlState> {
        const OP: &str = "hub.release_to_bot";
        let store = self.control_store(OP)?;
        let conversation = self.inner.store.reads.conversation(actor.tenant(), conversation).await?;
        let target = crate::audit::targets::conversation(conversation.id);
        let verb = "conversation.release_to_bot";
        self.authorize_audited(actor, Action::AssignConversation, Resource::Conversation(&conversation), verb, &target)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let state = {
            let _guard = self.inner.control_locks.lock(conversation.id).await;
            store.release_to_bot(actor.tenant(), conversation.id, self.inner.clock.now()).await
        }
        .map_err(|e| e.with_operation(OP))?;
        self.audit_after_the_fact(actor, verb, target, AuditOutcome::Success).await;
        Ok(state)
    }

    /// Counts one AI model call for the tenant's bill (calls, input and output tokens), when the
    /// hub is metered. Like every metering hook it never fails the caller: a failure is logged.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub) -> unibox_core::Result<()> {
    /// use unibox_core::ai::TokenUsage;
    /// hub.meter_ai_call(&"acme".parse()?, TokenUsage { input: 812, output: 64 }).await;
    /// # Ok(()) }
    /// ```
    pub async fn meter_ai_call(&self, tenant: &TenantId, usage: TokenUsage) {
        let Some(meter) = &self.inner.meter else { return };
        let increments = usage_of_ai_call(tenant, usage.input, usage.output, self.inner.clock.now());
        if let Err(error) = meter.add(&increments).await {
            tracing::error!(target: "unibox::metering", %error, "an AI call was not counted");
        }
    }

    /// An assignment took the conversation: the bot stops at once. A failure is logged (the
    /// bot's own gate also refuses assigned conversations).
    pub(super) async fn assignment_takes_control(&self, tenant: &TenantId, conversation: ConversationId) {
        let Some(store) = &self.inner.control else { return };
        let result = {
            let _guard = self.inner.control_locks.lock(conversation).await;
            store.take_for_human(tenant, conversation, HandoffReason::Assigned, self.inner.clock.now()).await
        };
        if let Err(error) = result {
            tracing::error!(target: "unibox::ai", %error, %conversation, "an assignment could not take the conversation from the bot");
        }
    }

    async fn note_handoff(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        reason: &HandoffReason,
    ) -> Result<()> {
        let note = InternalNote {
            id: NoteId::new(),
            tenant: tenant.clone(),
            conversation,
            author: UserId::new(HANDOFF_NOTE_AUTHOR)?,
            body: reason.describe(),
            created_at: self.inner.clock.now(),
        };
        self.inner.store.workflow.add_note(&note).await?;
        let actor = Actor::automation(tenant.clone(), HANDOFF_NOTE_AUTHOR);
        let event = crate::workflow::WorkflowEvent::NoteAdded { conversation, note: note.id };
        self.workflow_changed(&actor, event).await;
        Ok(())
    }
}

fn person_holds_it() -> Error {
    Error::new(
        ErrorKind::Conflict,
        "a person holds this conversation (or took it while the reply was generated); the bot stays silent",
    )
}
