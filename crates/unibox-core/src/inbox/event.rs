//! What ingest takes and answers: a routed event, and what storing or accepting it did.

use crate::{ChannelAccountId, ConversationId, InboundEvent, MessageId, TenantId, Timestamp};

/// An inbound event after routing: the tenant and channel account it belongs to are known.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutedEvent {
    /// The tenant that owns the account.
    pub tenant: TenantId,
    /// The account the event belongs to.
    pub account: ChannelAccountId,
    /// When unibox received it.
    pub received_at: Timestamp,
    /// The event.
    pub event: InboundEvent,
}

/// What ingesting one event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The event was stored for the first time.
    Stored {
        /// The conversation it touched, if any.
        conversation: Option<ConversationId>,
        /// The message it created or changed, if any.
        message: Option<MessageId>,
    },
    /// The same event (or the same platform message) was stored before; nothing changed.
    Duplicate,
}

/// What accepting one event did (see [`EventIngest::accept`](super::EventIngest::accept)).
///
/// ```
/// use unibox_core::inbox::{Acceptance, IngestOutcome};
/// assert_eq!(Acceptance::from(IngestOutcome::Duplicate), Acceptance::Duplicate);
/// assert_eq!(Acceptance::from(IngestOutcome::Stored { conversation: None, message: None }), Acceptance::Accepted);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// The event is durably stored for the first time; reads starting from now on see it applied.
    Accepted,
    /// An event with the same id was accepted or stored before; nothing changed.
    Duplicate,
}

impl From<IngestOutcome> for Acceptance {
    fn from(outcome: IngestOutcome) -> Self {
        match outcome {
            IngestOutcome::Stored { .. } => Acceptance::Accepted,
            IngestOutcome::Duplicate => Acceptance::Duplicate,
        }
    }
}
