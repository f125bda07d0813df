//! Amendments that wait for their message, and the decisions a backend applies them by.
//!
//! A backend keeps a [`PendingChange`] (stored as [`kind`](PendingChange::kind) and
//! [`payload`](PendingChange::payload)) until the message with its platform id arrives, then
//! applies them in [`arrival`] order. Whether a change still wins is decided on an
//! [`AmendedMessage`] (the state the [`Amendment`](super::Amendment) rules compare), so the
//! backend only reads that state and writes the result.

use serde::{Deserialize, Serialize};

use super::prepared::to_json;
use super::{earliest, search_text, supersedes};
use crate::{Content, DeliveryStatus, Direction, Result, Timestamp};

/// What a pending row holds.
#[derive(Clone, Debug, PartialEq)]
pub enum PendingChange {
    /// An edit; the payload is the new content's JSON.
    Edit {
        /// The new content as JSON.
        content_json: String,
    },
    /// An unsend.
    Unsend,
    /// A reaction or its removal.
    Reaction {
        /// The reacting customer's platform id.
        reactor: String,
        /// The reaction; `None` removes it.
        emoji: Option<String>,
    },
    /// A delivery receipt.
    Delivery(DeliveryStatus),
}

#[derive(Serialize, Deserialize)]
struct ReactionPayload {
    reactor: String,
    emoji: Option<String>,
}

impl PendingChange {
    /// The short name the change is stored under ([`Amendment::kind`](super::Amendment::kind)).
    ///
    /// ```
    /// assert_eq!(unibox_core::ingest::PendingChange::Unsend.kind(), "unsend");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            PendingChange::Edit { .. } => "edit",
            PendingChange::Unsend => "unsend",
            PendingChange::Reaction { .. } => "reaction",
            PendingChange::Delivery(_) => "delivery",
        }
    }

    /// The stored payload: the edit's content JSON, the reaction or the status as JSON.
    ///
    /// ```
    /// use unibox_core::ingest::PendingChange;
    /// let reaction = PendingChange::Reaction { reactor: "U1".into(), emoji: Some("👍".into()) };
    /// let payload = reaction.payload().unwrap();
    /// assert_eq!(PendingChange::decode(reaction.kind(), &payload), Some(reaction));
    /// ```
    pub fn payload(&self) -> Result<String> {
        match self {
            PendingChange::Edit { content_json } => Ok(content_json.clone()),
            PendingChange::Unsend => Ok("{}".to_owned()),
            PendingChange::Reaction { reactor, emoji } => {
                to_json(&ReactionPayload { reactor: reactor.clone(), emoji: emoji.clone() }, "reaction")
            }
            PendingChange::Delivery(status) => to_json(status, "delivery status"),
        }
    }

    /// Reads a stored change back; `None` when the kind or payload is unreadable (the backend
    /// reports it as corrupt).
    ///
    /// ```
    /// use unibox_core::ingest::PendingChange;
    /// assert_eq!(PendingChange::decode("unsend", "{}"), Some(PendingChange::Unsend));
    /// assert_eq!(PendingChange::decode("reaction", "not json"), None);
    /// assert_eq!(PendingChange::decode("teleport", "{}"), None);
    /// ```
    pub fn decode(kind: &str, payload: &str) -> Option<Self> {
        match kind {
            "edit" => Some(PendingChange::Edit { content_json: payload.to_owned() }),
            "unsend" => Some(PendingChange::Unsend),
            "reaction" => {
                let ReactionPayload { reactor, emoji } = serde_json::from_str(payload).ok()?;
                Some(PendingChange::Reaction { reactor, emoji })
            }
            "delivery" => Some(PendingChange::Delivery(serde_json::from_str(payload).ok()?)),
            _ => None,
        }
    }
}

/// A change waiting for its message.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The event that asked for it.
    pub event_id: String,
    /// When it happened (Unix ms).
    pub at: i64,
    /// The change.
    pub change: PendingChange,
    /// Who made an edit or unsend (the customer's id, or its blind in a sealed store), so a
    /// contact erasure finds the person's changes that wait; `None` for other changes, and
    /// when read back (it is only written).
    pub author: Option<String>,
}

/// The search text of a pending edit's content JSON; `None` when the JSON is unreadable (the
/// backend reports it as corrupt).
///
/// ```
/// use unibox_core::ingest::edit_search_text;
/// assert_eq!(edit_search_text(r#"{"type":"text","text":"hi"}"#), Some(Some("hi".to_owned())));
/// assert_eq!(edit_search_text("garbage"), None);
/// ```
pub fn edit_search_text(content_json: &str) -> Option<Option<String>> {
    let content: Content = serde_json::from_str(content_json).ok()?;
    Some(search_text(&content))
}

/// The changes that waited for a message just stored (taken in `(time, event id)` order), as
/// it should take them: the [`earliest`] pending unsend time (the content is then never
/// written), and the other changes, to apply one by one in the same order.
///
/// ```
/// use unibox_core::ingest::{Pending, PendingChange, arrival};
/// let change = |event_id: &str, at, change| Pending { event_id: event_id.into(), at, change, author: None };
/// let (unsent_at, rest) = arrival(vec![
///     change("e2", 20, PendingChange::Edit { content_json: "{}".into() }),
///     change("e1", 25, PendingChange::Unsend),
///     change("e3", 30, PendingChange::Unsend),
/// ]);
/// assert_eq!(unsent_at, Some(25));
/// assert_eq!(rest.len(), 1);
/// ```
pub fn arrival(pending: Vec<Pending>) -> (Option<i64>, Vec<Pending>) {
    let unsent_at = pending.iter().filter(|p| p.change == PendingChange::Unsend).map(|p| p.at).min();
    let rest = pending.into_iter().filter(|p| p.change != PendingChange::Unsend).collect();
    (unsent_at, rest)
}

/// [`supersedes`] on stored times (Unix ms): whether an edit or reaction at `(at, event_id)`
/// wins over the one `kept`.
///
/// ```
/// assert!(unibox_core::ingest::wins(2, "a", Some((1, "z"))));
/// assert!(!unibox_core::ingest::wins(1, "a", Some((1, "a"))));
/// ```
pub fn wins(at: i64, event_id: &str, kept: Option<(i64, &str)>) -> bool {
    supersedes(
        (Timestamp::from_unix_millis(at), event_id),
        kept.map(|(time, event)| (Timestamp::from_unix_millis(time), event)),
    )
}

/// The state of a stored message that the amendment rules compare, kept up to date as a
/// backend applies changes to it.
#[derive(Clone, Debug, PartialEq)]
pub struct AmendedMessage {
    /// Inbound or outbound (only outbound messages take receipts).
    pub direction: Direction,
    /// Its delivery status.
    pub delivery: DeliveryStatus,
    /// The edit that won so far: its time (Unix ms) and event id.
    pub edited: Option<(i64, String)>,
    /// When the message was unsent (Unix ms), if it was.
    pub unsent_at: Option<i64>,
}

/// What an edit does to a message ([`AmendedMessage::edit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditEffect {
    /// A later edit already won: nothing changes.
    Superseded,
    /// The message is unsent: only the edit's time and event are kept, the content stays erased.
    TimeOnly,
    /// The content is replaced, with the edit's time and event.
    Replace,
}

impl AmendedMessage {
    /// Decides an edit at `(at, event_id)` ([`supersedes`]) and records it when it wins.
    ///
    /// ```
    /// use unibox_core::ingest::{AmendedMessage, EditEffect};
    /// use unibox_core::{DeliveryStatus, Direction};
    /// let mut message = AmendedMessage { direction: Direction::Inbound, delivery: DeliveryStatus::Received, edited: None, unsent_at: None };
    /// assert_eq!(message.edit(2, "e2"), EditEffect::Replace);
    /// assert_eq!(message.edit(1, "e1"), EditEffect::Superseded);
    /// message.unsend(3);
    /// assert_eq!(message.edit(4, "e4"), EditEffect::TimeOnly);
    /// ```
    pub fn edit(&mut self, at: i64, event_id: &str) -> EditEffect {
        if !wins(at, event_id, self.edited.as_ref().map(|(time, event)| (*time, event.as_str()))) {
            return EditEffect::Superseded;
        }
        self.edited = Some((at, event_id.to_owned()));
        if self.unsent_at.is_some() { EditEffect::TimeOnly } else { EditEffect::Replace }
    }

    /// Records an unsend at `at` and returns the unsend time to store (the [`earliest`]).
    ///
    /// ```
    /// use unibox_core::ingest::AmendedMessage;
    /// use unibox_core::{DeliveryStatus, Direction};
    /// let mut message = AmendedMessage { direction: Direction::Inbound, delivery: DeliveryStatus::Received, edited: None, unsent_at: Some(5) };
    /// assert_eq!(message.unsend(9), 5);
    /// assert_eq!(message.unsend(3), 3);
    /// ```
    pub fn unsend(&mut self, at: i64) -> i64 {
        let unsent_at =
            earliest(self.unsent_at.map(Timestamp::from_unix_millis), Timestamp::from_unix_millis(at)).as_unix_millis();
        self.unsent_at = Some(unsent_at);
        unsent_at
    }

    /// Merges a delivery status ([`DeliveryStatus::merge`]); the new status to store, or `None`
    /// when nothing changes. Receipts never apply to inbound messages, which have no delivery
    /// of ours.
    ///
    /// ```
    /// use unibox_core::ingest::AmendedMessage;
    /// use unibox_core::{DeliveryStatus, Direction};
    /// let mut inbound = AmendedMessage { direction: Direction::Inbound, delivery: DeliveryStatus::Received, edited: None, unsent_at: None };
    /// assert_eq!(inbound.deliver(&DeliveryStatus::Sent), None);
    /// ```
    pub fn deliver(&mut self, status: &DeliveryStatus) -> Option<&DeliveryStatus> {
        if self.direction != Direction::Outbound {
            return None;
        }
        let merged = self.delivery.merge(status);
        if merged == self.delivery {
            return None;
        }
        self.delivery = merged;
        Some(&self.delivery)
    }
}
