//! [`Assistant`]: on-demand help for agents. Draft replies (never sent by themselves), a summary
//! of a conversation, and intent and sentiment labels. Each call is metered for the tenant.

use std::sync::Arc;

use unibox_core::ai::{Labels, Responder, ResponderOutput, Task};
use unibox_core::{Actor, ConversationId, Error, ErrorKind, Hub, Result};

use crate::context::ContextBuilder;

/// A draft reply for an agent to edit and send themselves.
#[derive(Clone, PartialEq)]
pub struct Suggestion {
    /// The draft.
    pub text: String,
    /// The model's confidence, 0 to 1, when it gave one.
    pub confidence: Option<f32>,
}

impl std::fmt::Debug for Suggestion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suggestion")
            .field("chars", &self.text.chars().count())
            .field("confidence", &self.confidence)
            .finish()
    }
}

/// On-demand AI help, read as the agent who asks (the policy decides what they may see).
///
/// ```no_run
/// # async fn show(hub: unibox_core::Hub, responder: std::sync::Arc<dyn unibox_core::ai::Responder>, agent: unibox_core::Actor, id: unibox_core::ConversationId) -> unibox_core::Result<()> {
/// let assistant = unibox_ai::Assistant::new(hub.clone(), responder).instructions("You work for Acme; be brief.");
/// let draft = assistant.suggest(&agent, id).await?;          // shown in the composer, not sent
/// let summary = assistant.summarize(&agent, id).await?;      // for a colleague taking over
/// let labels = assistant.labels(&agent, id).await?;          // store as tags if you like
/// hub.add_tags(&agent, id, labels.as_tags()).await?;
/// # let _ = (draft, summary); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Assistant {
    hub: Hub,
    responder: Arc<dyn Responder>,
    context: ContextBuilder,
    instructions: String,
}

impl Assistant {
    /// An assistant over `hub` calling `responder`.
    pub fn new(hub: Hub, responder: Arc<dyn Responder>) -> Self {
        Assistant { hub, responder, context: ContextBuilder::new(), instructions: String::new() }
    }

    /// The tenant's instructions (tone, policies) for drafts.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = instructions.into();
        self
    }

    /// Builds contexts with `context`.
    pub fn context(mut self, context: ContextBuilder) -> Self {
        self.context = context;
        self
    }

    async fn call(&self, actor: &Actor, conversation: ConversationId, task: Task) -> Result<ResponderOutput> {
        let conversation = self.hub.conversation(actor, conversation).await?;
        let request = self.context.build(&self.hub, actor, &conversation, task, &self.instructions).await?;
        let output = self.responder.respond(&request).await?;
        self.hub.meter_ai_call(actor.tenant(), output.usage).await;
        Ok(output)
    }

    /// A draft reply to the customer's last message. Nothing is sent or stored.
    pub async fn suggest(&self, actor: &Actor, conversation: ConversationId) -> Result<Suggestion> {
        let output = self.call(actor, conversation, Task::Suggest).await?;
        Ok(Suggestion { text: output.text, confidence: output.confidence })
    }

    /// A summary of the conversation. Nothing is stored.
    pub async fn summarize(&self, actor: &Actor, conversation: ConversationId) -> Result<String> {
        Ok(self.call(actor, conversation, Task::Summarize).await?.text)
    }

    /// Intent and sentiment labels. Nothing is stored; [`Labels::as_tags`] gives tags to store.
    pub async fn labels(&self, actor: &Actor, conversation: ConversationId) -> Result<Labels> {
        self.call(actor, conversation, Task::Label)
            .await?
            .labels
            .ok_or_else(|| Error::new(ErrorKind::MalformedPayload, "the model gave no labels"))
    }
}
