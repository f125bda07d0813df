//! The [`Responder`] port: one call to a language model, for one of four [`Task`]s.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ContactId, ConversationId, Result, TenantId};

/// What the model is asked to produce.
///
/// ```
/// use unibox_core::ai::Task;
/// assert_eq!(Task::Summarize.as_str(), "summarize");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// A reply to send to the customer (automatic replies).
    Reply,
    /// A draft reply for an agent to edit; never sent by itself.
    Suggest,
    /// A short summary of the conversation for an agent.
    Summarize,
    /// Intent and sentiment labels.
    Label,
}

impl Task {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Reply => "reply",
            Task::Suggest => "suggest",
            Task::Summarize => "summarize",
            Task::Label => "label",
        }
    }
}

/// Who wrote a turn of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnRole {
    /// The customer.
    Customer,
    /// The business: a person or the bot.
    Business,
}

/// One message of the conversation, as text the model may see (already redacted).
///
/// ```
/// use unibox_core::ai::{Turn, TurnRole};
/// let turn = Turn::customer("Where is my order?");
/// assert_eq!(turn.role, TurnRole::Customer);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who wrote it.
    pub role: TurnRole,
    /// What they wrote.
    pub text: String,
}

impl Turn {
    /// A customer's turn.
    pub fn customer(text: impl Into<String>) -> Self {
        Turn { role: TurnRole::Customer, text: text.into() }
    }

    /// The business's turn.
    pub fn business(text: impl Into<String>) -> Self {
        Turn { role: TurnRole::Business, text: text.into() }
    }
}

impl fmt::Debug for Turn {
    // Conversation text never reaches logs through Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Turn").field("role", &self.role).field("chars", &self.text.chars().count()).finish()
    }
}

/// Everything a [`Responder`] may send to the model: bounded in size and already redacted by
/// whoever built it (`unibox_ai::ContextBuilder` does both).
///
/// ```
/// use unibox_core::ai::{ResponderRequest, Task, Turn};
/// use unibox_core::{ContactId, ConversationId};
/// let request = ResponderRequest::new("acme".parse().unwrap(), ConversationId::new(), ContactId::new(), Task::Reply)
///     .instructions("You are Acme's support assistant. Answer in the customer's language.")
///     .turn(Turn::customer("Hi, is the blue kettle in stock?"));
/// assert_eq!(request.turns.len(), 1);
/// assert!(format!("{request:?}").contains("turns: 1"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponderRequest {
    /// The tenant billed and whose tools and key are used.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation: ConversationId,
    /// The customer, for tools that look up their orders.
    pub contact: ContactId,
    /// What to produce.
    pub task: Task,
    /// The tenant's instructions (tone, what the bot may promise, when to hand over).
    pub instructions: String,
    /// The conversation's recent messages, oldest first.
    pub turns: Vec<Turn>,
    /// What the inbox knows about the customer (name, attributes), as label and value.
    pub profile: Vec<(String, String)>,
    /// Knowledge snippets the application supplied (policies, FAQ answers).
    pub knowledge: Vec<String>,
    /// The most tokens the model may produce.
    pub max_output_tokens: u32,
}

impl ResponderRequest {
    /// A request with no instructions, turns, profile or knowledge, and 400 output tokens.
    pub fn new(tenant: TenantId, conversation: ConversationId, contact: ContactId, task: Task) -> Self {
        ResponderRequest {
            tenant,
            conversation,
            contact,
            task,
            instructions: String::new(),
            turns: Vec::new(),
            profile: Vec::new(),
            knowledge: Vec::new(),
            max_output_tokens: 400,
        }
    }

    /// Sets the instructions.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = instructions.into();
        self
    }

    /// Adds a turn (oldest first).
    pub fn turn(mut self, turn: Turn) -> Self {
        self.turns.push(turn);
        self
    }

    /// Adds a profile field.
    pub fn profile_field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.profile.push((label.into(), value.into()));
        self
    }

    /// Adds a knowledge snippet.
    pub fn knowledge(mut self, snippet: impl Into<String>) -> Self {
        self.knowledge.push(snippet.into());
        self
    }

    /// Sets the output cap.
    pub fn max_output_tokens(mut self, tokens: u32) -> Self {
        self.max_output_tokens = tokens;
        self
    }
}

impl fmt::Debug for ResponderRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ResponderRequest {{ tenant: {}, conversation: {}, task: {}, turns: {}, knowledge: {}, max_output_tokens: {} }}",
            self.tenant,
            self.conversation,
            self.task.as_str(),
            self.turns.len(),
            self.knowledge.len(),
            self.max_output_tokens
        )
    }
}

/// Tokens a call used, as the provider reported them: what metering counts.
///
/// ```
/// use unibox_core::ai::TokenUsage;
/// let usage = TokenUsage { input: 120, output: 30 } + TokenUsage { input: 10, output: 5 };
/// assert_eq!(usage, TokenUsage { input: 130, output: 35 });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Tokens sent (prompt, history, tool results; cached ones included).
    pub input: u64,
    /// Tokens produced.
    pub output: u64,
}

impl std::ops::Add for TokenUsage {
    type Output = TokenUsage;
    fn add(self, other: TokenUsage) -> TokenUsage {
        TokenUsage { input: self.input + other.input, output: self.output + other.output }
    }
}

/// Intent and sentiment of a conversation, as labels an application may store as tags.
///
/// ```
/// use unibox_core::ai::Labels;
/// let labels = Labels { intent: "order_status".into(), sentiment: "negative".into() };
/// assert_eq!(labels.as_tags(), vec!["intent:order_status".to_string(), "sentiment:negative".to_string()]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    /// What the customer wants, as a short snake_case label (`order_status`, `refund`).
    pub intent: String,
    /// `positive`, `neutral` or `negative`.
    pub sentiment: String,
}

impl Labels {
    /// The labels as conversation tags (`intent:…`, `sentiment:…`).
    pub fn as_tags(&self) -> Vec<String> {
        vec![format!("intent:{}", self.intent), format!("sentiment:{}", self.sentiment)]
    }
}

/// What the model produced.
///
/// ```
/// use unibox_core::ai::{ResponderOutput, TokenUsage};
/// let output = ResponderOutput::text("Your order shipped yesterday.", TokenUsage { input: 200, output: 12 })
///     .with_confidence(0.9);
/// assert!(output.handoff.is_none());
/// assert!(!format!("{output:?}").contains("shipped"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponderOutput {
    /// The reply, draft or summary (empty for [`Task::Label`]).
    pub text: String,
    /// The labels, for [`Task::Label`].
    pub labels: Option<Labels>,
    /// The model's own confidence in a reply, 0 to 1, when it gave one.
    pub confidence: Option<f32>,
    /// Why a person should take over (the customer asked for one, the topic is off-limits),
    /// when the model says so.
    pub handoff: Option<String>,
    /// Tokens used, over every round trip of the call (tool calls included).
    pub usage: TokenUsage,
}

impl ResponderOutput {
    /// A text output.
    pub fn text(text: impl Into<String>, usage: TokenUsage) -> Self {
        ResponderOutput { text: text.into(), labels: None, confidence: None, handoff: None, usage }
    }

    /// A labels output.
    pub fn labels(labels: Labels, usage: TokenUsage) -> Self {
        ResponderOutput { text: String::new(), labels: Some(labels), confidence: None, handoff: None, usage }
    }

    /// Sets the confidence (clamped to 0..=1).
    pub fn with_confidence(mut self, confidence: f32) -> Self {
        self.confidence = Some(confidence.clamp(0.0, 1.0));
        self
    }

    /// Asks for a person, saying why.
    pub fn with_handoff(mut self, reason: impl Into<String>) -> Self {
        self.handoff = Some(reason.into());
        self
    }
}

impl fmt::Debug for ResponderOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponderOutput")
            .field("chars", &self.text.chars().count())
            .field("labels", &self.labels)
            .field("confidence", &self.confidence)
            .field("handoff", &self.handoff.is_some())
            .field("usage", &self.usage)
            .finish()
    }
}

/// A language model behind one call: OpenAI and Anthropic in `unibox-ai`, or yours.
///
/// An implementation sends nothing but what the request holds (which the caller has redacted),
/// stores nothing of the prompt or the completion, and maps provider failures to
/// [`ErrorKind`](crate::ErrorKind)s: `RateLimited` with the provider's delay, `PlatformUnavailable`
/// for overload and timeouts, `InvalidInput` for a context that is too long, `Unauthenticated`
/// for a bad key.
///
/// ```
/// use unibox_core::ai::{Responder, ResponderOutput, ResponderRequest, TokenUsage};
/// use unibox_core::async_trait;
///
/// /// Answers every customer the same way, for tests.
/// #[derive(Debug)]
/// struct Canned;
///
/// #[async_trait]
/// impl Responder for Canned {
///     fn name(&self) -> &str { "canned" }
///     async fn respond(&self, _request: &ResponderRequest) -> unibox_core::Result<ResponderOutput> {
///         Ok(ResponderOutput::text("Thanks, a colleague will answer soon.", TokenUsage::default()))
///     }
/// }
/// let responder: std::sync::Arc<dyn Responder> = std::sync::Arc::new(Canned);
/// assert_eq!(responder.name(), "canned");
/// ```
#[async_trait]
pub trait Responder: Send + Sync + fmt::Debug + 'static {
    /// The provider's name, for logs (`openai`, `anthropic`).
    fn name(&self) -> &str;

    /// Produces what `request.task` asks for.
    async fn respond(&self, request: &ResponderRequest) -> Result<ResponderOutput>;
}
