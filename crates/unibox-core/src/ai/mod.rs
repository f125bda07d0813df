//! AI in the inbox, as ports: a [`Responder`] that drafts replies, summaries and labels from a
//! bounded context, and a [`ConversationControlStore`] that records whether the bot or a person
//! holds a conversation (the handoff state machine).
//!
//! The providers (OpenAI, Anthropic), the automation rules and the worker that answers customers
//! live in the `unibox-ai` crate; the hub keeps the one rule that must hold everywhere: the bot
//! never records a reply in a conversation a person holds ([`Hub::send_auto_reply`](crate::Hub::send_auto_reply)).

mod control;
mod responder;

pub use control::{Control, ControlChange, ControlState, ConversationControlStore, HandoffReason};
pub use responder::{Labels, Responder, ResponderOutput, ResponderRequest, Task, TokenUsage, Turn, TurnRole};
