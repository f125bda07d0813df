//! [`plan`]: what one event asks a backend to write.

use std::borrow::Cow;
use std::slice;

use super::Amendment;
use crate::{Content, Direction, EventKind, IdentityKind, InboundEvent, PlatformUser};

/// The writes one (validated, not yet seen) event asks for. Every backend executes the same
/// plan; only how it stores things is its own.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestPlan<'e> {
    /// Store a message, unless the account already has its platform message id (a duplicate).
    StoreMessage(NewMessage<'e>),
    /// Apply an amendment to each message with these platform ids on the account; one not
    /// stored yet keeps it until it arrives.
    Amend {
        /// The platform message ids.
        message_ids: &'e [String],
        /// The change.
        amendment: Amendment<'e>,
    },
    /// The platform revoked the app's access: the account needs reauthorization. Logged.
    RequireReauthorization {
        /// What the platform said.
        reason: &'e str,
    },
    /// A customer's identity on the account gets a new value (a Telegram group became a
    /// supergroup), unless the new value already belongs to a contact. Logged.
    MoveIdentity {
        /// The identity's kind.
        kind: &'e IdentityKind,
        /// The old value.
        previous: &'e str,
        /// The new value.
        current: &'e str,
    },
    /// Nothing to change: the event is kept in the event log, never dropped.
    Log,
}

impl IngestPlan<'_> {
    /// Whether the event itself is kept in the backend's event log (the events that did not
    /// become or change a message).
    ///
    /// ```
    /// assert!(unibox_core::ingest::IngestPlan::Log.is_logged());
    /// ```
    pub fn is_logged(&self) -> bool {
        matches!(self, IngestPlan::RequireReauthorization { .. } | IngestPlan::MoveIdentity { .. } | IngestPlan::Log)
    }
}

/// A message to store, from a message event or a postback.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage<'e> {
    /// The customer: the contact is found or created by this identity.
    pub customer: &'e PlatformUser,
    /// The platform's id for the message, the key of deduplication and amendments.
    pub platform_message_id: Cow<'e, str>,
    /// Inbound, or an echo of a message the business sent from elsewhere (authored by the
    /// system, already `Sent`; it neither reopens nor counts as unread).
    pub direction: Direction,
    /// What it says.
    pub content: Cow<'e, Content>,
    /// The platform id of the message it replies to.
    pub reply_to: Option<&'e str>,
}

impl NewMessage<'_> {
    /// Whether the customer wrote it (it reopens, counts as unread, moves `last_inbound_at`).
    pub fn is_inbound(&self) -> bool {
        self.direction == Direction::Inbound
    }
}

/// What `event` asks for. Validate it first ([`validate`](super::validate)).
///
/// ```
/// use unibox_core::ingest::{IngestPlan, plan, postback_message_id};
/// use unibox_core::{EventKind, IdentityKind, InboundEvent, PlatformUser, Timestamp};
/// let postback = InboundEvent {
///     id: "evt-7".into(),
///     account: "Ub99".into(),
///     occurred_at: Timestamp::UNIX_EPOCH,
///     kind: EventKind::Postback { customer: PlatformUser::new(IdentityKind::LineUserId, "U1"), payload: "BUY".into(), title: None },
/// };
/// match plan(&postback) {
///     IngestPlan::StoreMessage(message) => assert_eq!(message.platform_message_id, postback_message_id("evt-7")),
///     other => panic!("a postback is a message, not {other:?}"),
/// }
/// ```
pub fn plan(event: &InboundEvent) -> IngestPlan<'_> {
    fn amend<'e>(message_id: &'e String, amendment: Amendment<'e>) -> IngestPlan<'e> {
        IngestPlan::Amend { message_ids: slice::from_ref(message_id), amendment }
    }
    match &event.kind {
        EventKind::Message(message) => IngestPlan::StoreMessage(NewMessage {
            customer: &message.customer,
            platform_message_id: Cow::Borrowed(&message.message_id),
            direction: message.direction,
            content: Cow::Borrowed(&message.content),
            reply_to: message.reply_to.as_deref(),
        }),
        EventKind::Postback { customer, payload, title } => IngestPlan::StoreMessage(NewMessage {
            customer,
            platform_message_id: Cow::Owned(postback_message_id(&event.id)),
            direction: Direction::Inbound,
            content: Cow::Owned(Content::Postback { title: title.clone(), payload: payload.clone() }),
            reply_to: None,
        }),
        EventKind::Edit { message_id, content, .. } => amend(message_id, Amendment::Edit { content }),
        EventKind::Unsend { message_id, .. } => amend(message_id, Amendment::Unsend),
        EventKind::Reaction { customer, message_id, emoji } => {
            amend(message_id, Amendment::Reaction { by: &customer.id, emoji: emoji.as_deref() })
        }
        EventKind::Delivery(update) => {
            IngestPlan::Amend { message_ids: &update.message_ids, amendment: Amendment::Delivery(&update.status) }
        }
        EventKind::AuthorizationRevoked { reason } => IngestPlan::RequireReauthorization { reason },
        EventKind::CustomerIdChanged { customer, previous_id } => {
            IngestPlan::MoveIdentity { kind: &customer.kind, previous: previous_id, current: &customer.id }
        }
        _ => IngestPlan::Log,
    }
}

/// The platform message id a postback is stored under: derived from the event id, so a
/// redelivered postback is recognised as a duplicate.
///
/// ```
/// assert_eq!(unibox_core::ingest::postback_message_id("evt-7"), "postback:evt-7");
/// ```
pub fn postback_message_id(event_id: &str) -> String {
    format!("postback:{event_id}")
}
