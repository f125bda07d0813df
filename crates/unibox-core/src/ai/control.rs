//! Who holds a conversation: the bot or a person. The handoff state machine and the
//! [`ConversationControlStore`] port that persists it.
//!
//! ```text
//!            agent reply / assignment / hand-over (version + 1)
//!   Bot ─────────────────────────────────────────────────────────▶ Human
//!    ▲                                                              │
//!    └──────────────── release_to_bot (version + 1) ────────────────┘
//! ```
//!
//! A bot reply is admitted only while the conversation is in bot control **at the version the
//! bot read before it started generating**: a person taking over meanwhile changes the version,
//! so the late reply is refused ([`ControlState::admit_bot_reply`]).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ConversationId, Result, TenantId, Timestamp};

/// Who answers the customer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// The bot may answer (within its rules).
    #[default]
    Bot,
    /// A person holds the conversation; the bot stays silent.
    Human,
}

impl Control {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Bot => "bot",
            Control::Human => "human",
        }
    }
}

/// Why a conversation went to a person. Never carries conversation content: a model's free-text
/// reason is not kept, only which of these it was.
///
/// ```
/// use unibox_core::ai::HandoffReason;
/// let reason = HandoffReason::Topic("refund".into());
/// assert_eq!(reason.code(), "topic:refund");
/// assert_eq!(HandoffReason::from_code("topic:refund"), reason);
/// assert!(reason.describe().contains("refund"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandoffReason {
    /// An agent replied.
    AgentReplied,
    /// The conversation was assigned to an agent.
    Assigned,
    /// The customer asked for a person.
    CustomerAskedForPerson,
    /// The model was not confident enough in its reply.
    LowConfidence {
        /// The model's confidence, in thousandths.
        permille: u16,
        /// The rule's threshold, in thousandths.
        threshold_permille: u16,
    },
    /// The conversation is about a topic the tenant keeps for people.
    Topic(String),
    /// The bot reached its reply limit for the conversation.
    ReplyLimitReached,
    /// The model provider failed; a person answers rather than nobody.
    ProviderUnavailable,
    /// A reason recorded by a newer version, kept as its code.
    Other(String),
}

impl HandoffReason {
    /// A stable, short code for storage and logs.
    pub fn code(&self) -> String {
        match self {
            HandoffReason::AgentReplied => "agent_replied".into(),
            HandoffReason::Assigned => "assigned".into(),
            HandoffReason::CustomerAskedForPerson => "customer_asked_for_person".into(),
            HandoffReason::LowConfidence { permille, threshold_permille } => {
                format!("low_confidence:{permille}/{threshold_permille}")
            }
            HandoffReason::Topic(topic) => format!("topic:{topic}"),
            HandoffReason::ReplyLimitReached => "reply_limit_reached".into(),
            HandoffReason::ProviderUnavailable => "provider_unavailable".into(),
            HandoffReason::Other(code) => code.clone(),
        }
    }

    /// The reason back from its [`code`](HandoffReason::code).
    pub fn from_code(code: &str) -> Self {
        match code {
            "agent_replied" => return HandoffReason::AgentReplied,
            "assigned" => return HandoffReason::Assigned,
            "customer_asked_for_person" => return HandoffReason::CustomerAskedForPerson,
            "reply_limit_reached" => return HandoffReason::ReplyLimitReached,
            "provider_unavailable" => return HandoffReason::ProviderUnavailable,
            _ => {}
        }
        if let Some(topic) = code.strip_prefix("topic:") {
            return HandoffReason::Topic(topic.to_string());
        }
        if let Some((permille, threshold)) = code.strip_prefix("low_confidence:").and_then(|r| r.split_once('/'))
            && let (Ok(permille), Ok(threshold_permille)) = (permille.parse(), threshold.parse())
        {
            return HandoffReason::LowConfidence { permille, threshold_permille };
        }
        HandoffReason::Other(code.to_string())
    }

    /// A sentence for the internal note that tells the team why they have the conversation.
    pub fn describe(&self) -> String {
        match self {
            HandoffReason::AgentReplied => "An agent replied, so the assistant stopped answering.".into(),
            HandoffReason::Assigned => "The conversation was assigned, so the assistant stopped answering.".into(),
            HandoffReason::CustomerAskedForPerson => {
                "Handed over by the assistant: the customer asked to talk to a person.".into()
            }
            HandoffReason::LowConfidence { permille, threshold_permille } => format!(
                "Handed over by the assistant: it was not confident enough to answer ({:.2} below the rule's {:.2}).",
                f32::from(*permille) / 1000.0,
                f32::from(*threshold_permille) / 1000.0
            ),
            HandoffReason::Topic(topic) => {
                format!("Handed over by the assistant: the conversation is about \"{topic}\", which people answer.")
            }
            HandoffReason::ReplyLimitReached => {
                "Handed over by the assistant: it reached its reply limit for this conversation.".into()
            }
            HandoffReason::ProviderUnavailable => {
                "Handed over by the assistant: the AI provider did not answer, so a person should.".into()
            }
            HandoffReason::Other(code) => format!("Handed over ({code})."),
        }
    }
}

impl fmt::Display for HandoffReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// Where a conversation stands: who holds it, since when, and how often the bot answered.
///
/// The transitions are methods here, so every store applies the same rules:
///
/// ```
/// use unibox_core::ai::{Control, ControlState, HandoffReason};
/// use unibox_core::Timestamp;
/// let at = Timestamp::from_unix_seconds(1_700_000_000);
/// let start = ControlState::default();
/// let ticket = start.version; // read before the model starts generating
/// let taken = start.take_for_human(HandoffReason::AgentReplied, at).unwrap();
/// assert_eq!(taken.control, Control::Human);
/// // The bot's late reply is refused: the version moved on.
/// assert!(taken.admit_bot_reply(ticket, at).is_none());
/// let released = taken.release_to_bot(at).unwrap();
/// let admitted = released.admit_bot_reply(released.version, at).unwrap();
/// assert_eq!(admitted.bot_replies, 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlState {
    /// Who holds the conversation.
    pub control: Control,
    /// Grows with every change of hands: a bot reply names the version it was generated at.
    pub version: u64,
    /// Replies the bot recorded in the conversation (for a rule's reply limit).
    pub bot_replies: u32,
    /// Why a person holds it, while one does.
    pub reason: Option<HandoffReason>,
    /// When it last changed hands or the bot last replied.
    pub changed_at: Option<Timestamp>,
}

impl ControlState {
    /// A person takes over; `None` when a person already holds it (nothing changes, so the
    /// team is told only once).
    pub fn take_for_human(&self, reason: HandoffReason, at: Timestamp) -> Option<ControlState> {
        (self.control == Control::Bot).then(|| ControlState {
            control: Control::Human,
            version: self.version + 1,
            bot_replies: self.bot_replies,
            reason: Some(reason),
            changed_at: Some(at),
        })
    }

    /// The team gives the conversation back to the bot; `None` when the bot already holds it.
    /// The reply count restarts.
    pub fn release_to_bot(&self, at: Timestamp) -> Option<ControlState> {
        (self.control == Control::Human).then(|| ControlState {
            control: Control::Bot,
            version: self.version + 1,
            bot_replies: 0,
            reason: None,
            changed_at: Some(at),
        })
    }

    /// A bot reply generated at `expected_version` may be recorded: the bot holds the
    /// conversation and nobody took it meanwhile. Counts the reply; `None` refuses it.
    pub fn admit_bot_reply(&self, expected_version: u64, at: Timestamp) -> Option<ControlState> {
        (self.control == Control::Bot && self.version == expected_version).then(|| ControlState {
            bot_replies: self.bot_replies.saturating_add(1),
            changed_at: Some(at),
            ..self.clone()
        })
    }
}

impl ControlState {
    /// A state read back from a store's row (`control` as [`Control::as_str`] writes it, the
    /// counters as signed 64-bit integers, `changed_at` in Unix milliseconds). `Err` names the
    /// field that holds what no store writes, for the store's "corrupt" error.
    ///
    /// ```
    /// use unibox_core::ai::{Control, ControlState, HandoffReason};
    /// let state = ControlState::from_stored("human", 3, 2, Some("agent_replied"), Some(1_700_000_000_000)).unwrap();
    /// assert_eq!((state.control, state.version, state.bot_replies), (Control::Human, 3, 2));
    /// assert_eq!(state.reason, Some(HandoffReason::AgentReplied));
    /// assert_eq!(ControlState::from_stored("robot", 0, 0, None, None).unwrap_err(), "conversation control");
    /// assert_eq!(ControlState::from_stored("bot", -1, 0, None, None).unwrap_err(), "conversation control version");
    /// ```
    pub fn from_stored(
        control: &str,
        version: i64,
        bot_replies: i64,
        reason: Option<&str>,
        changed_at: Option<i64>,
    ) -> std::result::Result<ControlState, &'static str> {
        let control = match control {
            "bot" => Control::Bot,
            "human" => Control::Human,
            _ => return Err("conversation control"),
        };
        Ok(ControlState {
            control,
            version: u64::try_from(version).map_err(|_| "conversation control version")?,
            bot_replies: u32::try_from(bot_replies).map_err(|_| "bot reply count")?,
            reason: reason.map(HandoffReason::from_code),
            changed_at: changed_at.map(Timestamp::from_unix_millis),
        })
    }

    /// The version as a store's signed 64-bit column holds it.
    pub fn stored_version(&self) -> i64 {
        i64::try_from(self.version).unwrap_or(i64::MAX)
    }
}

/// One change a [`ConversationControlStore`] applies atomically: the [`ControlState`]
/// transitions, as a value, so a store implements one method ([`ConversationControlStore::change`])
/// and every store applies the same rules.
///
/// ```
/// use unibox_core::ai::{Control, ControlChange, ControlState, HandoffReason};
/// use unibox_core::Timestamp;
/// let at = Timestamp::from_unix_seconds(1_700_000_000);
/// let take = ControlChange::TakeForHuman { reason: HandoffReason::Assigned, at };
/// let taken = take.apply(&ControlState::default()).unwrap();
/// assert_eq!(taken.control, Control::Human);
/// assert!(take.apply(&taken).is_none(), "a person already holds it");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ControlChange {
    /// [`ControlState::take_for_human`].
    TakeForHuman {
        /// Why a person takes over.
        reason: HandoffReason,
        /// When.
        at: Timestamp,
    },
    /// [`ControlState::release_to_bot`].
    ReleaseToBot {
        /// When.
        at: Timestamp,
    },
    /// [`ControlState::admit_bot_reply`].
    AdmitBotReply {
        /// The version the bot read before it started generating.
        expected_version: u64,
        /// When.
        at: Timestamp,
    },
}

impl ControlChange {
    /// The state after the change, or `None` when it does not apply to `current` (nothing is
    /// written then).
    pub fn apply(&self, current: &ControlState) -> Option<ControlState> {
        match self {
            ControlChange::TakeForHuman { reason, at } => current.take_for_human(reason.clone(), *at),
            ControlChange::ReleaseToBot { at } => current.release_to_bot(*at),
            ControlChange::AdmitBotReply { expected_version, at } => current.admit_bot_reply(*expected_version, *at),
        }
    }
}

/// Persists each conversation's [`ControlState`]. A conversation never seen is in bot control
/// at version 0. Every transition is atomic: a store's [`change`](Self::change) applies the
/// [`ControlChange`] and writes it in one step (SQLite: one write transaction), so two hubs sharing the store never
/// both win a race. `unibox_testkit::ai::control_store_suite` checks an implementation.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::ai::{Control, ConversationControlStore, HandoffReason};
/// use unibox_core::memory::MemoryConversationControl;
/// use unibox_core::{ConversationId, Timestamp};
/// let store = MemoryConversationControl::new();
/// let (tenant, conversation) = ("acme".parse().unwrap(), ConversationId::new());
/// let at = Timestamp::from_unix_seconds(1);
/// let ticket = store.state(&tenant, conversation).await.unwrap().version;
/// store.take_for_human(&tenant, conversation, HandoffReason::Assigned, at).await.unwrap();
/// assert!(store.admit_bot_reply(&tenant, conversation, ticket, at).await.unwrap().is_none());
/// assert_eq!(store.state(&tenant, conversation).await.unwrap().control, Control::Human);
/// # });
/// ```
#[async_trait]
pub trait ConversationControlStore: Send + Sync + fmt::Debug + 'static {
    /// The conversation's state (bot control at version 0 if never recorded).
    async fn state(&self, tenant: &TenantId, conversation: ConversationId) -> Result<ControlState>;

    /// Applies `change` to the conversation's state atomically (read, [`ControlChange::apply`],
    /// write when it applies, in one step); returns the state after it (the unchanged state when
    /// the change does not apply) and whether it applied. The one method a store implements for
    /// the transitions; the others are built on it.
    async fn change(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        change: ControlChange,
    ) -> Result<(ControlState, bool)>;

    /// A person takes over ([`ControlState::take_for_human`]); returns the new state and whether
    /// it changed hands now (false when a person already held it).
    async fn take_for_human(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        reason: HandoffReason,
        at: Timestamp,
    ) -> Result<(ControlState, bool)> {
        self.change(tenant, conversation, ControlChange::TakeForHuman { reason, at }).await
    }

    /// Gives the conversation back to the bot ([`ControlState::release_to_bot`]).
    async fn release_to_bot(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<ControlState> {
        Ok(self.change(tenant, conversation, ControlChange::ReleaseToBot { at }).await?.0)
    }

    /// Admits and counts a bot reply generated at `expected_version`
    /// ([`ControlState::admit_bot_reply`]); `None` when a person holds the conversation or took
    /// it since.
    async fn admit_bot_reply(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        expected_version: u64,
        at: Timestamp,
    ) -> Result<Option<ControlState>> {
        let (state, admitted) =
            self.change(tenant, conversation, ControlChange::AdmitBotReply { expected_version, at }).await?;
        Ok(admitted.then_some(state))
    }
}
