//! [`prepare`]: an event validated, planned and encoded for a storage backend, before any write.

use serde::Serialize;

use super::{Amendment, IngestPlan, plan, validate};
use crate::inbox::RoutedEvent;
use crate::{
    ChannelAccountId, ChannelAccountState, ContactId, Content, ConversationId, DeliveryStatus, Direction, Error,
    ErrorKind, EventKind, IdentityKind, MessageId, Result,
};

/// An event checked and encoded for a backend's write: what [`prepare`] gives. The tenant is
/// left to the caller (it groups events by tenant before writing).
#[derive(Debug)]
pub struct PreparedEvent {
    /// The account the event arrived on.
    pub account: ChannelAccountId,
    /// The platform's event id (the key of deduplication).
    pub event_id: String,
    /// The event kind's name ([`EventKind::name`]).
    pub kind: &'static str,
    /// When the event happened (Unix ms).
    pub occurred_at: i64,
    /// When it was received (Unix ms).
    pub received_at: i64,
    /// The whole event as JSON, for the event log (events without a table of their own,
    /// [`IngestPlan::is_logged`]).
    pub logged: Option<String>,
    /// What to write.
    pub action: PreparedAction,
}

/// An [`IngestPlan`] with its values encoded in their stored forms (JSON, search text,
/// identity kind keys), owned so it can cross to a writer thread or transaction.
#[derive(Debug)]
pub enum PreparedAction {
    /// Store a message ([`IngestPlan::StoreMessage`]).
    Message(PreparedMessage),
    /// Apply an edit to the message with this platform id.
    Edit {
        /// The platform message id.
        message_id: String,
        /// The new content as JSON.
        content_json: String,
        /// The new content's search text ([`search_text`]).
        text: Option<String>,
        /// The customer who edited: a change that waits for its message records it, so a
        /// contact erasure finds it (its payload does not name the person).
        author: String,
    },
    /// Unsend the message with this platform id.
    Unsend {
        /// The platform message id.
        message_id: String,
        /// The customer who unsent (recorded as for an edit).
        author: String,
    },
    /// Record a customer's reaction (or its removal) on the message with this platform id.
    Reaction {
        /// The platform message id.
        message_id: String,
        /// The reacting customer's platform id.
        reactor: String,
        /// The reaction; `None` removes it.
        emoji: Option<String>,
    },
    /// Merge a delivery status into the messages with these platform ids.
    Delivery {
        /// The platform message ids.
        message_ids: Vec<String>,
        /// The status.
        status: DeliveryStatus,
    },
    /// Mark the account for reauthorization.
    Revoke {
        /// The account's new state ([`ChannelAccountState::ReauthorizationRequired`]) as JSON.
        state_json: String,
    },
    /// A customer's identity gets a new value (a Telegram group became a supergroup).
    MoveIdentity {
        /// The identity kind's stored key ([`identity_kind_key`]).
        kind: String,
        /// The old value.
        previous: String,
        /// The new value.
        current: String,
    },
    /// Nothing to change but the event log.
    Log,
}

/// A message to store, encoded.
#[derive(Debug)]
pub struct PreparedMessage {
    /// Ids drawn before the write, used only if the message, its conversation or its contact
    /// turn out to be new (drawing a UUIDv7 reads the clock and the random source).
    pub ids: NewIds,
    /// The customer's identity kind, as its stored key ([`identity_kind_key`]).
    pub customer_kind: String,
    /// The customer's platform id.
    pub customer_id: String,
    /// The customer's display name, if the platform gave one.
    pub customer_name: Option<String>,
    /// Inbound, or an echo of a message the business sent from elsewhere.
    pub direction: Direction,
    /// The platform message id.
    pub platform_id: String,
    /// The content as JSON.
    pub content_json: String,
    /// The content's search text ([`search_text`]).
    pub text: Option<String>,
    /// The platform id of the message it replies to.
    pub reply_to: Option<String>,
}

/// The ids a new message, conversation and contact would get.
#[derive(Debug)]
pub struct NewIds {
    /// The message's id.
    pub message: MessageId,
    /// The conversation's id, if the conversation is new.
    pub conversation: ConversationId,
    /// The contact's id, if the contact is new.
    pub contact: ContactId,
}

impl NewIds {
    /// Draws fresh ids.
    ///
    /// ```
    /// let ids = unibox_core::ingest::NewIds::draw();
    /// assert_ne!(ids.message, unibox_core::ingest::NewIds::draw().message);
    /// ```
    pub fn draw() -> Self {
        NewIds { message: MessageId::new(), conversation: ConversationId::new(), contact: ContactId::new() }
    }
}

/// Encodes a model value as JSON; a value that cannot be encoded is invalid input.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|err| {
        Error::new(ErrorKind::InvalidInput, format!("the {what} cannot be encoded as JSON")).with_source(err)
    })
}

/// The stored key of an identity kind (its JSON), the same in every backend.
///
/// ```
/// use unibox_core::IdentityKind;
/// assert_eq!(unibox_core::ingest::identity_kind_key(&IdentityKind::LineUserId).unwrap(), r#""line_user_id""#);
/// ```
pub fn identity_kind_key(kind: &IdentityKind) -> Result<String> {
    to_json(kind, "identity kind")
}

/// The text a search finds a content by: its searchable text, none when empty.
///
/// ```
/// use unibox_core::Content;
/// assert_eq!(unibox_core::ingest::search_text(&Content::text("hi")).as_deref(), Some("hi"));
/// assert_eq!(unibox_core::ingest::search_text(&Content::text("")), None);
/// ```
pub fn search_text(content: &Content) -> Option<String> {
    content.searchable_text().map(|text| text.into_owned()).filter(|text| !text.is_empty())
}

/// Checks an event the way [`prepare`] does, without encoding anything: the shared rules
/// ([`validate`]), with `operation` on their error, and that every customer's identity kind
/// has a stored key.
///
/// ```
/// # use unibox_core::inbox::RoutedEvent;
/// # use unibox_core::{ChannelAccountId, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Timestamp};
/// let routed = RoutedEvent {
///     tenant: "acme".parse().unwrap(),
///     account: ChannelAccountId::new(),
///     received_at: Timestamp::UNIX_EPOCH,
///     event: InboundEvent {
///         id: String::new(),
///         account: "Ub99".into(),
///         occurred_at: Timestamp::UNIX_EPOCH,
///         kind: EventKind::Message(InboundMessage::inbound(PlatformUser::new(IdentityKind::LineUserId, "U1"), "m-1", Content::text("hi"))),
///     },
/// };
/// let err = unibox_core::ingest::validate_for_storage(&routed, "example.ingest").unwrap_err();
/// assert_eq!(err.operation(), "example.ingest");
/// ```
pub fn validate_for_storage(routed: &RoutedEvent, operation: &'static str) -> Result<()> {
    validate(routed).map_err(|e| e.with_operation(operation))?;
    match &routed.event.kind {
        EventKind::Message(crate::InboundMessage { customer: user, .. })
        | EventKind::Postback { customer: user, .. }
        | EventKind::CustomerIdChanged { customer: user, .. } => identity_kind_key(&user.kind).map(|_| ()),
        _ => Ok(()),
    }
}

/// Validates ([`validate_for_storage`]), plans ([`plan`]) and encodes one event, so a bad event
/// fails before anything is written and the write itself is storage work only. `operation`
/// names the backend's operation on its errors.
///
/// ```
/// use unibox_core::inbox::RoutedEvent;
/// use unibox_core::ingest::{PreparedAction, prepare};
/// use unibox_core::{ChannelAccountId, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Timestamp};
/// let routed = RoutedEvent {
///     tenant: "acme".parse().unwrap(),
///     account: ChannelAccountId::new(),
///     received_at: Timestamp::UNIX_EPOCH,
///     event: InboundEvent {
///         id: "evt-1".into(),
///         account: "Ub99".into(),
///         occurred_at: Timestamp::UNIX_EPOCH,
///         kind: EventKind::Message(InboundMessage::inbound(PlatformUser::new(IdentityKind::LineUserId, "U1"), "m-1", Content::text("hi"))),
///     },
/// };
/// let prepared = prepare(routed, "example.ingest").unwrap();
/// assert!(prepared.logged.is_none(), "a message has a table of its own");
/// match prepared.action {
///     PreparedAction::Message(message) => assert_eq!(message.text.as_deref(), Some("hi")),
///     other => panic!("a message event stores a message, not {other:?}"),
/// }
/// ```
pub fn prepare(routed: RoutedEvent, operation: &'static str) -> Result<PreparedEvent> {
    validate_for_storage(&routed, operation)?;
    let RoutedEvent { account, received_at, event, .. } = routed;
    let kind = event.kind.name();
    let plan = plan(&event);
    let author = || event.kind.customer().map(|customer| customer.id.clone()).unwrap_or_default();
    let logged = if plan.is_logged() { Some(to_json(&event, "event")?) } else { None };
    let action = match plan {
        IngestPlan::StoreMessage(message) => PreparedAction::Message(PreparedMessage {
            ids: NewIds::draw(),
            customer_kind: identity_kind_key(&message.customer.kind)?,
            customer_id: message.customer.id.clone(),
            customer_name: message.customer.display_name.clone(),
            direction: message.direction,
            platform_id: message.platform_message_id.into_owned(),
            content_json: to_json(message.content.as_ref(), "message content")?,
            text: search_text(&message.content),
            reply_to: message.reply_to.map(str::to_owned),
        }),
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Edit { content } } => {
            PreparedAction::Edit {
                message_id: message_id.clone(),
                content_json: to_json(content, "edited content")?,
                text: search_text(content),
                author: author(),
            }
        }
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Unsend } => {
            PreparedAction::Unsend { message_id: message_id.clone(), author: author() }
        }
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Reaction { by, emoji } } => {
            PreparedAction::Reaction {
                message_id: message_id.clone(),
                reactor: by.to_owned(),
                emoji: emoji.map(str::to_owned),
            }
        }
        IngestPlan::Amend { message_ids, amendment: Amendment::Delivery(status) } => {
            PreparedAction::Delivery { message_ids: message_ids.to_vec(), status: status.clone() }
        }
        IngestPlan::Amend { message_ids, amendment } => {
            // Only receipts name several messages; the plan never asks for more.
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("a {} names {} messages; it applies to one", amendment.kind(), message_ids.len()),
            )
            .with_operation(operation));
        }
        IngestPlan::RequireReauthorization { reason } => {
            let state = ChannelAccountState::ReauthorizationRequired { reason: reason.to_owned() };
            PreparedAction::Revoke { state_json: to_json(&state, "account state")? }
        }
        IngestPlan::MoveIdentity { kind, previous, current } => PreparedAction::MoveIdentity {
            kind: identity_kind_key(kind)?,
            previous: previous.to_owned(),
            current: current.to_owned(),
        },
        IngestPlan::Log => PreparedAction::Log,
    };
    Ok(PreparedEvent {
        account,
        kind,
        occurred_at: event.occurred_at.as_unix_millis(),
        received_at: received_at.as_unix_millis(),
        logged,
        action,
        event_id: event.id,
    })
}
