//! [`AutoReplyWorker`]: answers customers by the rules, fed by the hub's change log, apart
//! from the webhook path (a slow or failing provider never delays an acknowledgement).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use unibox_core::ai::{HandoffReason, Responder, ResponderOutput, Task};
use unibox_core::changes::{ChangeKind, InboxEvent, Position};
use unibox_core::inbox::MessageQuery;
use unibox_core::{
    Actor, Author, Content, Conversation, ConversationId, Direction, Error, ErrorKind, Hub, MessageId, Result, TenantId,
};

use crate::context::ContextBuilder;
use crate::prompt::{HANDOFF_CUSTOMER_ASKED, HANDOFF_TOPIC};
use crate::rules::{AutomationRule, AutomationRules, Situation, Verdict, Zone};

/// The automation the worker reads as; replies are sent as `unibox-ai:<rule id>`.
pub const AUTOMATION: &str = "unibox-ai";

/// What the worker did with one customer message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AutoReplyOutcome {
    /// Not a customer's message (an agent's, the bot's, a receipt).
    NotACustomerMessage,
    /// A newer customer message is in the conversation; that one is answered instead.
    Superseded,
    /// A person holds the conversation (or it is assigned): the bot stays silent.
    PersonHolds,
    /// No rule applies.
    NoRuleMatched,
    /// A rule applies once the customer has waited this much longer; checked again then.
    CheckAgainIn(Duration),
    /// Handed to the team, with a note saying why.
    HandedOver(HandoffReason),
    /// The reply was sent (or queued) through the hub.
    Replied {
        /// The rule that answered.
        rule: String,
        /// The message recorded.
        message: MessageId,
    },
    /// A person took the conversation while the model was generating; nothing was sent.
    PersonTookOver,
    /// The platform's messaging window is closed; nothing was sent.
    WindowClosed,
}

/// Answers one tenant's customers by its [`AutomationRules`].
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub, responder: std::sync::Arc<dyn unibox_core::ai::Responder>, rules: unibox_ai::AutomationRules) -> unibox_core::Result<()> {
/// let worker = unibox_ai::AutoReplyWorker::new(hub, "acme".parse()?, responder, rules)?;
/// let task = worker.spawn(None).await?; // follows the change log until dropped
/// # drop(task); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AutoReplyWorker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    hub: Hub,
    tenant: TenantId,
    responder: Arc<dyn Responder>,
    rules: AutomationRules,
    zone: Zone,
    context: ContextBuilder,
    generating: Semaphore,
}

impl AutoReplyWorker {
    /// A worker for `tenant`. `InvalidInput` when the rules do not validate; `Configuration`
    /// when the hub keeps no conversation control (its store's
    /// [`Store::conversation_control`](unibox_core::store::Store::conversation_control), which
    /// SQLite and memory stores provide, or
    /// [`HubBuilder::conversation_control`](unibox_core::hub::HubBuilder::conversation_control)).
    pub fn new(hub: Hub, tenant: TenantId, responder: Arc<dyn Responder>, rules: AutomationRules) -> Result<Self> {
        rules.validate()?;
        if hub.conversation_control().is_none() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "automatic replies need conversation control: a store that keeps it, or HubBuilder::conversation_control",
            ));
        }
        let zone = Zone::named(&rules.time_zone)?;
        Ok(AutoReplyWorker {
            inner: Arc::new(Inner {
                hub,
                tenant,
                responder,
                rules,
                zone,
                context: ContextBuilder::new(),
                generating: Semaphore::new(4),
            }),
        })
    }

    /// Builds contexts with `context` (budget, redaction, knowledge). Call before sharing the worker.
    pub fn with_context(mut self, context: ContextBuilder) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.context = context;
        }
        self
    }

    /// At most this many model calls at once (default 4); more customer messages wait.
    pub fn with_concurrency(mut self, calls: usize) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.generating = Semaphore::new(calls.max(1));
        }
        self
    }

    fn reader(&self) -> Actor {
        Actor::automation(self.inner.tenant.clone(), AUTOMATION)
    }

    /// Subscribes to the tenant's change log from `from` (`None`: from now) and answers each new
    /// customer message in a task of its own; the returned handle ends the worker when aborted.
    pub async fn spawn(&self, from: Option<Position>) -> Result<tokio::task::JoinHandle<()>> {
        let mut events = self.inner.hub.subscribe(&self.reader(), from).await?;
        let worker = self.clone();
        Ok(tokio::spawn(async move {
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => worker.dispatch(event),
                    Err(error) => tracing::warn!(target: "unibox::ai", %error, "reading the change log failed"),
                }
            }
        }))
    }

    fn dispatch(&self, event: InboxEvent) {
        let change = event.change;
        if change.kind != ChangeKind::MessageAdded || change.detail.as_deref() != Some("message") {
            return;
        }
        let Some(message) = change.message else { return };
        let worker = self.clone();
        tokio::spawn(async move { worker.follow_up(message).await });
    }

    /// Handles a message, and again later when a rule waits for the customer to wait.
    async fn follow_up(&self, message: MessageId) {
        loop {
            match self.handle(message).await {
                Ok(AutoReplyOutcome::CheckAgainIn(wait)) => tokio::time::sleep(wait).await,
                Ok(outcome) => {
                    tracing::debug!(target: "unibox::ai", %message, ?outcome, "customer message handled");
                    return;
                }
                Err(error) => {
                    tracing::warn!(target: "unibox::ai", %error, %message, "automatic reply failed");
                    return;
                }
            }
        }
    }

    /// Decides about one customer message and acts: stay silent, hand over, or answer through
    /// [`Hub::send_auto_reply`]. The worker calls it for every new message; tests and
    /// applications may call it directly.
    pub async fn handle(&self, message: MessageId) -> Result<AutoReplyOutcome> {
        let inner = &self.inner;
        let (hub, tenant, reader) = (&inner.hub, &inner.tenant, self.reader());
        let message = hub.store().reads.message(tenant, message).await?;
        if message.direction != Direction::Inbound || !matches!(message.author, Author::Contact(_)) {
            return Ok(AutoReplyOutcome::NotACustomerMessage);
        }
        let conversation = hub.conversation(&reader, message.conversation).await?;
        if let Some(outcome) = self.silenced(&conversation).await? {
            return Ok(outcome);
        }
        let recent = hub.messages(&reader, conversation.id, &MessageQuery { limit: 20, before: None }).await?.items;
        // Compared by when unibox recorded them: platform timestamps may be coarse or skewed.
        let newer: Vec<_> =
            recent.iter().filter(|m| m.id != message.id && m.recorded_at > message.recorded_at).collect();
        if newer.iter().any(|m| m.direction == Direction::Inbound) {
            // A newer customer message gets its own turn.
            return Ok(AutoReplyOutcome::Superseded);
        }
        if !newer.is_empty() {
            // Someone answered it already.
            return Ok(AutoReplyOutcome::NoRuleMatched);
        }
        let text = message.content.searchable_text().map(|t| t.into_owned()).unwrap_or_default();

        if inner.rules.asks_for_person(&text) {
            return self.hand_over(conversation.id, HandoffReason::CustomerAskedForPerson).await;
        }
        if let Some(topic) = inner.rules.topic_of(&text) {
            return self.hand_over(conversation.id, HandoffReason::Topic(topic.name.clone())).await;
        }

        let now = hub.clock().now();
        let account = hub.store().accounts.account(tenant, conversation.account).await?;
        let situation = Situation {
            now,
            channel: &account.channel,
            customer_text: &text,
            first_message: recent.iter().filter(|m| m.id != message.id).count() == 0,
            waiting: now.duration_since(message.sent_at),
        };
        let mut wait: Option<Duration> = None;
        let mut chosen: Option<&AutomationRule> = None;
        for rule in &inner.rules.rules {
            match inner.rules.evaluate(&inner.zone, rule, &situation)? {
                Verdict::No => continue,
                Verdict::After(later) => {
                    wait = Some(wait.map_or(later, |w| w.min(later)));
                    continue;
                }
                Verdict::IfIntent(intents) => {
                    if !self.intent_is_one_of(&conversation, &intents).await? {
                        continue;
                    }
                }
                Verdict::Yes => {}
            }
            chosen = Some(rule);
            break;
        }
        let Some(rule) = chosen else {
            return Ok(wait.map_or(AutoReplyOutcome::NoRuleMatched, AutoReplyOutcome::CheckAgainIn));
        };
        self.answer(rule, &conversation).await
    }

    /// `Some` when the bot must stay silent: a person holds or was assigned the conversation.
    async fn silenced(&self, conversation: &Conversation) -> Result<Option<AutoReplyOutcome>> {
        let state = self.inner.hub.control_state(&self.reader(), conversation.id).await?;
        let held = state.control == unibox_core::ai::Control::Human || conversation.assignee.is_some();
        Ok(held.then_some(AutoReplyOutcome::PersonHolds))
    }

    async fn intent_is_one_of(&self, conversation: &Conversation, intents: &[String]) -> Result<bool> {
        let output = self.generate(conversation, Task::Label, "Label the customer's intent.").await?;
        Ok(output.labels.is_some_and(|labels| intents.iter().any(|i| i.eq_ignore_ascii_case(&labels.intent))))
    }

    /// One metered model call on the conversation's bounded, redacted context.
    async fn generate(&self, conversation: &Conversation, task: Task, instructions: &str) -> Result<ResponderOutput> {
        let inner = &self.inner;
        let request = inner.context.build(&inner.hub, &self.reader(), conversation, task, instructions).await?;
        let _permit = inner
            .generating
            .acquire()
            .await
            .map_err(|_| Error::new(ErrorKind::Unexpected, "the worker is shutting down"))?;
        let output = inner.responder.respond(&request).await?;
        inner.hub.meter_ai_call(&inner.tenant, output.usage).await;
        Ok(output)
    }

    async fn hand_over(&self, conversation: ConversationId, reason: HandoffReason) -> Result<AutoReplyOutcome> {
        self.inner.hub.hand_over(&self.reader(), conversation, reason.clone()).await?;
        Ok(AutoReplyOutcome::HandedOver(reason))
    }

    async fn answer(&self, rule: &AutomationRule, conversation: &Conversation) -> Result<AutoReplyOutcome> {
        let hub = &self.inner.hub;
        // The version the reply is generated for: a person taking over meanwhile moves it on.
        let state = hub.control_state(&self.reader(), conversation.id).await?;
        if state.control == unibox_core::ai::Control::Human {
            return Ok(AutoReplyOutcome::PersonHolds);
        }
        if state.bot_replies >= rule.max_replies {
            return self.hand_over(conversation.id, HandoffReason::ReplyLimitReached).await;
        }
        let output = match self.generate(conversation, Task::Reply, &rule.instructions).await {
            Ok(output) => output,
            Err(error) if error.kind() == ErrorKind::Storage || error.kind() == ErrorKind::PermissionDenied => {
                return Err(error);
            }
            Err(error) => {
                tracing::warn!(target: "unibox::ai", %error, rule = %rule.id, "the provider failed; handing over");
                return self.hand_over(conversation.id, HandoffReason::ProviderUnavailable).await;
            }
        };
        if let Some(reason) = handoff_of(&output, rule) {
            return self.hand_over(conversation.id, reason).await;
        }
        let bot = Actor::automation(self.inner.tenant.clone(), format!("{AUTOMATION}:{}", rule.id));
        match hub.send_auto_reply(&bot, conversation.id, Content::text(output.text), state.version).await {
            Ok(message) => Ok(AutoReplyOutcome::Replied { rule: rule.id.clone(), message: message.id }),
            Err(error) if error.kind() == ErrorKind::Conflict => Ok(AutoReplyOutcome::PersonTookOver),
            Err(error) if error.kind() == ErrorKind::MessagingWindowClosed => Ok(AutoReplyOutcome::WindowClosed),
            Err(error) => Err(error),
        }
    }
}

/// Why a generated reply goes to a person instead of the customer, if it does.
fn handoff_of(output: &ResponderOutput, rule: &AutomationRule) -> Option<HandoffReason> {
    match output.handoff.as_deref() {
        Some(HANDOFF_CUSTOMER_ASKED) => return Some(HandoffReason::CustomerAskedForPerson),
        Some(HANDOFF_TOPIC) => return Some(HandoffReason::Topic("set by the instructions".into())),
        _ => {}
    }
    let confidence =
        if output.handoff.is_some() || output.text.trim().is_empty() { 0.0 } else { output.confidence.unwrap_or(0.0) };
    (confidence < rule.min_confidence).then(|| HandoffReason::LowConfidence {
        permille: (confidence * 1000.0).round() as u16,
        threshold_permille: (rule.min_confidence * 1000.0).round() as u16,
    })
}
