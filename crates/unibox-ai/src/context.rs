//! Building what a model may see: the conversation's recent messages bounded by tokens, the
//! customer's profile and the application's knowledge snippets, every piece redacted before it
//! is put in the request.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_core::ai::{ResponderRequest, Task, Turn};
use unibox_core::inbox::MessageQuery;
use unibox_core::privacy::Redactor;
use unibox_core::{Actor, Conversation, Direction, Hub, Result, TenantId};

/// Knowledge the application supplies for a question: policy excerpts, FAQ answers, product
/// notes. Return few and short; they count against the context budget.
///
/// ```
/// use unibox_ai::KnowledgeSource;
/// use unibox_core::{async_trait, TenantId};
/// #[derive(Debug)]
/// struct Faq;
/// #[async_trait]
/// impl KnowledgeSource for Faq {
///     async fn snippets(&self, _tenant: &TenantId, question: &str) -> unibox_core::Result<Vec<String>> {
///         Ok(if question.contains("hours") { vec!["We are open 9:00-18:00, Monday to Saturday.".into()] } else { vec![] })
///     }
/// }
/// ```
#[async_trait]
pub trait KnowledgeSource: Send + Sync + fmt::Debug + 'static {
    /// Snippets relevant to `question` (the customer's last message, redacted).
    async fn snippets(&self, tenant: &TenantId, question: &str) -> Result<Vec<String>>;
}

/// A conservative token estimate: about four ASCII characters per token, one per other
/// character (Thai, CJK and emoji take one or more), plus framing per message. It over-counts
/// rather than under-counts, so a bounded context fits the model's window.
///
/// ```
/// assert_eq!(unibox_ai::estimate_tokens("abcdefgh"), 2 + 4);
/// assert_eq!(unibox_ai::estimate_tokens("สวัสดี"), 6 + 4);
/// ```
pub fn estimate_tokens(text: &str) -> usize {
    let ascii = text.bytes().filter(u8::is_ascii).count();
    let other = text.chars().filter(|c| !c.is_ascii()).count();
    ascii.div_ceil(4) + other + 4
}

/// Builds [`ResponderRequest`]s from the inbox through the hub (so the policy applies to what
/// the automation reads).
///
/// ```
/// use unibox_ai::ContextBuilder;
/// use unibox_core::privacy::Redactor;
/// let builder = ContextBuilder::new().context_tokens(2_000).redactor(Redactor::new().with_pattern("order", "TH-[0-9]{5}").unwrap());
/// # drop(builder);
/// ```
#[derive(Clone, Debug)]
pub struct ContextBuilder {
    redactor: Redactor,
    context_tokens: usize,
    max_messages: usize,
    max_output_tokens: u32,
    knowledge: Option<Arc<dyn KnowledgeSource>>,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder {
            redactor: Redactor::new(),
            context_tokens: 3_000,
            max_messages: 40,
            max_output_tokens: 400,
            knowledge: None,
        }
    }
}

impl ContextBuilder {
    /// The default redaction, 3,000 context tokens, at most 40 messages, 400 output tokens.
    pub fn new() -> Self {
        Self::default()
    }

    /// The redaction applied to every text before it is put in a request.
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// The budget (estimated tokens) for messages, profile and knowledge together.
    pub fn context_tokens(mut self, tokens: usize) -> Self {
        self.context_tokens = tokens;
        self
    }

    /// At most this many recent messages.
    pub fn max_messages(mut self, messages: usize) -> Self {
        self.max_messages = messages.clamp(1, unibox_core::inbox::MAX_PAGE_SIZE);
        self
    }

    /// The output cap of each call.
    pub fn max_output_tokens(mut self, tokens: u32) -> Self {
        self.max_output_tokens = tokens;
        self
    }

    /// Where knowledge snippets come from.
    pub fn knowledge(mut self, knowledge: Arc<dyn KnowledgeSource>) -> Self {
        self.knowledge = Some(knowledge);
        self
    }

    /// The request for `task` on `conversation`, read as `actor`: the newest messages that fit
    /// the budget (oldest first), the profile, and knowledge for the customer's last message.
    pub async fn build(
        &self,
        hub: &Hub,
        actor: &Actor,
        conversation: &Conversation,
        task: Task,
        instructions: &str,
    ) -> Result<ResponderRequest> {
        let tenant = actor.tenant();
        let mut budget = self.context_tokens.saturating_sub(estimate_tokens(instructions));
        let mut request = ResponderRequest::new(tenant.clone(), conversation.id, conversation.contact, task)
            .instructions(instructions)
            .max_output_tokens(self.max_output_tokens);

        let profile = hub.contact_profile(actor, conversation.contact).await?;
        let mut fields: Vec<(String, String)> = Vec::new();
        if let Some(name) = &profile.contact.display_name {
            fields.push(("name".into(), name.clone()));
        }
        fields.extend(profile.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (label, value) in fields {
            let value = self.redactor.redact(&value).into_owned();
            let cost = estimate_tokens(&label) + estimate_tokens(&value);
            if cost > budget / 4 {
                continue; // the profile never crowds out the conversation
            }
            budget -= cost;
            request = request.profile_field(label, value);
        }

        let page =
            hub.messages(actor, conversation.id, &MessageQuery { limit: self.max_messages, before: None }).await?;
        let mut turns = Vec::new();
        for message in &page.items {
            if message.unsent_at.is_some() {
                continue;
            }
            let Some(text) = message.content.searchable_text() else { continue };
            let text = self.redactor.redact(&text).into_owned();
            let cost = estimate_tokens(&text);
            if cost > budget {
                break;
            }
            budget -= cost;
            turns.push(match message.direction {
                Direction::Inbound => Turn::customer(text),
                Direction::Outbound => Turn::business(text),
            });
        }
        turns.reverse();
        request.turns = turns;

        if let Some(knowledge) = &self.knowledge
            && let Some(question) = request.turns.iter().rev().find(|t| t.role == unibox_core::ai::TurnRole::Customer)
        {
            for snippet in knowledge.snippets(tenant, &question.text).await? {
                let snippet = self.redactor.redact(&snippet).into_owned();
                let cost = estimate_tokens(&snippet);
                if cost > budget {
                    break;
                }
                budget -= cost;
                request = request.knowledge(snippet);
            }
        }
        Ok(request)
    }

    /// The redaction in use.
    pub fn redaction(&self) -> &Redactor {
        &self.redactor
    }
}
