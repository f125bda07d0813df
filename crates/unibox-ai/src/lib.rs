#![doc = include_str!("../README.md")]
//!
//! ```
//! use unibox_ai::{AutomationRules, ProviderConfig};
//! let rules: AutomationRules = serde_json::from_str(r#"{
//!     "time_zone": "Asia/Bangkok",
//!     "business_hours": [{"days": ["mon","tue","wed","thu","fri"], "open": "09:00", "close": "18:00"}],
//!     "rules": [{"id": "after-hours", "when": [{"type": "outside_business_hours"}],
//!                "instructions": "We are closed. Answer simple questions; say when we open."}]
//! }"#).unwrap();
//! rules.validate().unwrap();
//! assert_eq!(ProviderConfig::anthropic("claude-sonnet-4-5").base_url.as_str(), "https://api.anthropic.com/");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assistant;
mod context;
mod keys;
mod prompt;
mod provider;
mod rules;
mod tools;
mod worker;

pub use assistant::{Assistant, Suggestion};
pub use context::{ContextBuilder, KnowledgeSource, estimate_tokens};
pub use keys::{ApiKeys, KeyScope};
#[cfg(feature = "anthropic")]
pub use provider::AnthropicResponder;
#[cfg(feature = "openai")]
pub use provider::OpenAiResponder;
pub use provider::ProviderConfig;
pub use rules::{
    AutomationRule, AutomationRules, ClockTime, Condition, DEFAULT_PERSON_PHRASES, DailyWindow, HandoffTopic,
    OpeningHours, Weekday,
};
pub use tools::{ContextTools, GET_ORDER, InboxTools, LIST_ORDERS, SEARCH_PRODUCTS, ToolDefinition};
pub use worker::{AUTOMATION, AutoReplyOutcome, AutoReplyWorker};
