//! [`Amendment`]: what can happen to a stored message, and the ordering rules that make the
//! result independent of arrival order.

use crate::{Content, DeliveryStatus, Timestamp};

/// A change to a message after it was sent, applied by its platform message id.
///
/// How amendments combine, whatever order they arrive in (before or after the message too):
///
/// - **Edit**: the latest by `(time, event id)` wins ([`supersedes`]) and sets `edited_at`;
///   on an unsent message only `edited_at` moves, the content stays erased.
/// - **Unsend**: erases the content for good (text `""`, out of search); `unsent_at` is the
///   [`earliest`] unsend time.
/// - **Reaction**: the latest per customer by `(time, event id)` wins; `emoji` `None` removes it.
/// - **Delivery**: statuses merge with [`DeliveryStatus::merge`]; only outbound messages (ours
///   or echoes) have a delivery, so receipts never change an inbound message.
#[derive(Clone, Debug, PartialEq)]
pub enum Amendment<'e> {
    /// The customer edited the message.
    Edit {
        /// The new content.
        content: &'e Content,
    },
    /// The customer unsent the message.
    Unsend,
    /// A customer reacted (or removed their reaction: `emoji` `None`).
    Reaction {
        /// The customer's platform id.
        by: &'e str,
        /// The reaction.
        emoji: Option<&'e str>,
    },
    /// A delivery receipt.
    Delivery(&'e DeliveryStatus),
}

impl Amendment<'_> {
    /// The short name backends store a pending amendment under.
    ///
    /// ```
    /// assert_eq!(unibox_core::ingest::Amendment::Unsend.kind(), "unsend");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Amendment::Edit { .. } => "edit",
            Amendment::Unsend => "unsend",
            Amendment::Reaction { .. } => "reaction",
            Amendment::Delivery(_) => "delivery",
        }
    }
}

/// Whether an edit or reaction made at `new` (time, event id) wins over the one `kept`: the
/// later time wins, ties go to the larger event id, and anything wins over nothing. Every
/// backend calls this (memory on its maps, SQLite on the row it read in the write transaction)
/// rather than restating it in its own query language.
///
/// ```
/// use unibox_core::Timestamp;
/// use unibox_core::ingest::supersedes;
/// let (t1, t2) = (Timestamp::from_unix_seconds(1), Timestamp::from_unix_seconds(2));
/// assert!(supersedes((t2, "a"), Some((t1, "z"))));
/// assert!(supersedes((t1, "b"), Some((t1, "a"))));
/// assert!(!supersedes((t1, "a"), Some((t1, "a"))), "the same change again changes nothing");
/// assert!(supersedes((t1, "a"), None));
/// ```
pub fn supersedes(new: (Timestamp, &str), kept: Option<(Timestamp, &str)>) -> bool {
    kept.is_none_or(|kept| new > kept)
}

/// The unsend time to keep: the earliest seen.
///
/// ```
/// use unibox_core::Timestamp;
/// let (t1, t2) = (Timestamp::from_unix_seconds(1), Timestamp::from_unix_seconds(2));
/// assert_eq!(unibox_core::ingest::earliest(Some(t2), t1), t1);
/// assert_eq!(unibox_core::ingest::earliest(None, t2), t2);
/// ```
pub fn earliest(kept: Option<Timestamp>, new: Timestamp) -> Timestamp {
    kept.map_or(new, |kept| kept.min(new))
}
