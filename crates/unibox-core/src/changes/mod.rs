//! The [`ChangeLog`] port: a compact, durable, per-tenant log of what changed in the inbox,
//! appended in the same transaction as the change, so an application's real-time UI can
//! follow it ([`Hub::subscribe`](crate::Hub::subscribe)) and resume where it stopped.
//!
//! An entry says what changed and where (conversation, message), never the content: a
//! consumer reads the current state through the [inbox ports](crate::inbox). That keeps the log
//! cheap to append on the ingest path and free of personal data.
//!
//! A [`ChangeBus`] carries committed events to the other processes that serve subscribers
//! (see [`ChangeBus`] for who publishes, and [`LiveCursor`] for how a subscriber uses it).

mod bus;

pub use bus::{BusNotice, BusStream, ChangeBus, LiveCursor, LiveStep, PublishedEvent};

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ConversationId, Error, ErrorKind, MessageId, Result, TenantId, Timestamp};

/// A position in the change log. Positions grow with every append; a tenant's positions have
/// gaps (other tenants' changes are in between). Pass the last position seen to resume.
///
/// ```
/// use unibox_core::changes::Position;
/// let position = Position::new(42);
/// assert!(position > Position::START);
/// assert_eq!(position.to_string().parse::<Position>().unwrap(), position);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Position(u64);

impl Position {
    /// Before the first change: subscribing from here replays everything retained.
    pub const START: Position = Position(0);

    /// A position from its number.
    pub const fn new(value: u64) -> Self {
        Position(value)
    }

    /// The number.
    pub const fn value(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Position {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.parse::<u64>().map(Position).map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "invalid change-log position; pass back an event's `position`")
        })
    }
}

/// What kind of change happened.
///
/// ```
/// use unibox_core::changes::ChangeKind;
/// assert_eq!("delivery_changed".parse::<ChangeKind>().unwrap(), ChangeKind::DeliveryChanged);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A message was stored: received from a customer or echoed by the platform (`detail`: the
    /// event kind, `message` or `postback`), or recorded for sending (`detail`: `queued`).
    MessageAdded,
    /// A message was edited, unsent or reacted to (`detail`: the event kind).
    MessageChanged,
    /// An outbound message's delivery changed: by a platform receipt (`detail`: `delivery`; read
    /// the message for its status) or by a send attempt (`detail`: `sending`, `sent`, `failed`,
    /// `retrying` or `unknown`).
    DeliveryChanged,
    /// A conversation's workflow fields changed: status, assignee, tags, read state (`detail`
    /// says what, see [`conversation_change`](crate::analytics::conversation_change)).
    ConversationChanged,
    /// An internal note was added (`detail`: the note id).
    NoteAdded,
    /// A channel account changed (`detail`: for example `reauthorization_required`).
    AccountChanged,
    /// A change of the tenant's message credits took the balance below the policy's low-balance
    /// mark (`detail`: the balance left; see [`CreditPolicy`](crate::metering::CreditPolicy)).
    CreditsLow,
    /// An event without a table of its own was logged (`detail`: its kind: `follow`,
    /// `referral`, `order_update`, ...).
    EventLogged,
}

impl ChangeKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::MessageAdded => "message_added",
            ChangeKind::MessageChanged => "message_changed",
            ChangeKind::DeliveryChanged => "delivery_changed",
            ChangeKind::ConversationChanged => "conversation_changed",
            ChangeKind::NoteAdded => "note_added",
            ChangeKind::AccountChanged => "account_changed",
            ChangeKind::CreditsLow => "credits_low",
            ChangeKind::EventLogged => "event_logged",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "message_added" => ChangeKind::MessageAdded,
            "message_changed" => ChangeKind::MessageChanged,
            "delivery_changed" => ChangeKind::DeliveryChanged,
            "conversation_changed" => ChangeKind::ConversationChanged,
            "note_added" => ChangeKind::NoteAdded,
            "account_changed" => ChangeKind::AccountChanged,
            "credits_low" => ChangeKind::CreditsLow,
            "event_logged" => ChangeKind::EventLogged,
            other => return Err(Error::new(ErrorKind::InvalidInput, format!("unknown change kind {other:?}"))),
        })
    }
}

/// One change, as appended (the log gives it a [`Position`]).
///
/// ```
/// use unibox_core::changes::{Change, ChangeKind};
/// use unibox_core::{ConversationId, MessageId, Timestamp};
/// let change = Change::new("acme".parse().unwrap(), Timestamp::from_unix_seconds(1), ChangeKind::DeliveryChanged)
///     .conversation(ConversationId::new())
///     .message(MessageId::new())
///     .detail("sent");
/// assert_eq!(change.detail.as_deref(), Some("sent"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Change {
    /// The tenant whose data changed.
    pub tenant: TenantId,
    /// When it changed (the store's time of the change).
    pub at: Timestamp,
    /// What changed.
    pub kind: ChangeKind,
    /// The conversation, if the change concerns one.
    pub conversation: Option<ConversationId>,
    /// The message, if the change concerns one.
    pub message: Option<MessageId>,
    /// A short, non-personal detail (a status name, an event kind, a note id).
    pub detail: Option<String>,
}

impl Change {
    /// A change of `kind` in `tenant` at `at`.
    pub fn new(tenant: TenantId, at: Timestamp, kind: ChangeKind) -> Self {
        Change { tenant, at, kind, conversation: None, message: None, detail: None }
    }
    /// Names the conversation.
    pub fn conversation(mut self, conversation: ConversationId) -> Self {
        self.conversation = Some(conversation);
        self
    }
    /// Names the conversation, if any.
    pub fn maybe_conversation(mut self, conversation: Option<ConversationId>) -> Self {
        self.conversation = conversation;
        self
    }
    /// Names the message.
    pub fn message(mut self, message: MessageId) -> Self {
        self.message = Some(message);
        self
    }
    /// Adds the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A change with its position in the log: what a subscriber receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEvent {
    /// Where it is in the log; resume after it.
    pub position: Position,
    /// What changed.
    pub change: Change,
}

/// The largest page [`ChangeLog::read`] must serve.
pub const MAX_READ: usize = 1000;

/// The durable change log of an inbox, a part of the [`Store`](crate::store::Store) bundle.
///
/// A backend that keeps one hands it over as [`Store::changes`](crate::store::Store::changes)
/// and appends one [`Change`] per change in the same transaction as the change: a new message
/// (ingest and sends), an edit, unsend or reaction, a delivery status, a conversation update,
/// a note, an account change, a logged event. A duplicate (redelivered) event appends nothing.
#[async_trait]
pub trait ChangeLog: Send + Sync + fmt::Debug {
    /// Appends changes the store did not record itself (for example ones a hub extension makes
    /// through other ports); returns the position of the last one.
    async fn append(&self, changes: Vec<Change>) -> Result<Position>;

    /// The tenant's changes after `after`, oldest first, at most `limit` (1 to [`MAX_READ`]).
    /// `InvalidInput` if `after` lies before what [`trim`](ChangeLog::trim) kept, since changes
    /// were lost to the reader: it must reload its state and resubscribe.
    async fn read(&self, tenant: &TenantId, after: Position, limit: usize) -> Result<Vec<InboxEvent>>;

    /// The position of the tenant's latest change ([`Position::START`] if none).
    async fn head(&self, tenant: &TenantId) -> Result<Position>;

    /// Deletes the tenant's changes older than `before`; returns how many were deleted.
    async fn trim(&self, tenant: &TenantId, before: Timestamp) -> Result<u64>;
}

/// Checks a read size the way every backend must.
pub fn check_read_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_READ {
        return Err(Error::new(ErrorKind::InvalidInput, format!("the limit must be 1 to {MAX_READ}, got {limit}")));
    }
    Ok(())
}

/// The error for a resume position older than what the log kept.
pub fn trimmed_error(after: Position, kept_after: Position) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "changes after position {after} were trimmed (the log keeps changes after {kept_after}); reload the \
             inbox state and subscribe from the head"
        ),
    )
}

/// The change an ingest outcome makes, given the event's kind ([`EventKind::name`](crate::EventKind::name)),
/// with that kind as its detail. Backends call it so they log the same thing for the same
/// event; `None` for duplicates, and for changes kept pending because their message has not
/// arrived (nothing visible changed; the message's arrival is logged). A receipt for several
/// messages of one conversation names the conversation only.
///
/// ```
/// use unibox_core::changes::{ChangeKind, ingest_change};
/// use unibox_core::inbox::IngestOutcome;
/// use unibox_core::{ConversationId, MessageId, Timestamp};
/// let tenant = "acme".parse().unwrap();
/// let outcome = IngestOutcome::Stored { conversation: Some(ConversationId::new()), message: Some(MessageId::new()) };
/// let change = ingest_change(&tenant, Timestamp::from_unix_seconds(1), "message", &outcome).unwrap();
/// assert_eq!(change.kind, ChangeKind::MessageAdded);
/// assert_eq!(change.detail.as_deref(), Some("message"));
/// assert!(ingest_change(&tenant, Timestamp::UNIX_EPOCH, "message", &IngestOutcome::Duplicate).is_none());
/// ```
pub fn ingest_change(
    tenant: &TenantId,
    at: Timestamp,
    event_kind: &str,
    outcome: &crate::inbox::IngestOutcome,
) -> Option<Change> {
    let crate::inbox::IngestOutcome::Stored { conversation, message } = outcome else { return None };
    let kind = match event_kind {
        "message" | "postback" => ChangeKind::MessageAdded,
        "edit" | "unsend" | "reaction" => ChangeKind::MessageChanged,
        "delivery" => ChangeKind::DeliveryChanged,
        "authorization_revoked" => ChangeKind::AccountChanged,
        _ => ChangeKind::EventLogged,
    };
    let names_a_message =
        matches!(kind, ChangeKind::MessageAdded | ChangeKind::MessageChanged | ChangeKind::DeliveryChanged);
    if names_a_message && message.is_none() && conversation.is_none() {
        return None;
    }
    let mut change = Change::new(tenant.clone(), at, kind).maybe_conversation(*conversation).detail(event_kind);
    change.message = *message;
    Some(change)
}
