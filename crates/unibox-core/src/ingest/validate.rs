//! [`validate`]: what every backend refuses before it writes anything.

use crate::inbox::RoutedEvent;
use crate::{Error, ErrorKind, EventKind, PlatformUser, Result};

/// The longest event id, customer id or platform message id accepted, in bytes. Platform ids
/// are far shorter (Meta's message ids, the longest, are under 200 bytes); a longer one is
/// garbage, and every backend refuses it the same way.
pub const MAX_ID_LEN: usize = 1024;

/// Checks one routed event: its id, and every customer id and platform message id it carries,
/// must be 1 to [`MAX_ID_LEN`] bytes. `InvalidInput` otherwise, naming the event (shortened).
/// Whether the tenant has the account is the backend's lookup (`NotFound`).
///
/// ```
/// use unibox_core::ingest::{MAX_ID_LEN, validate};
/// use unibox_core::inbox::RoutedEvent;
/// use unibox_core::{ChannelAccountId, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Timestamp};
/// let message = |id: String| RoutedEvent {
///     tenant: "acme".parse().unwrap(),
///     account: ChannelAccountId::new(),
///     received_at: Timestamp::UNIX_EPOCH,
///     event: InboundEvent {
///         id: "evt-1".into(),
///         account: "Ub99".into(),
///         occurred_at: Timestamp::UNIX_EPOCH,
///         kind: EventKind::Message(InboundMessage::inbound(PlatformUser::new(IdentityKind::LineUserId, "U1"), id, Content::text("hi"))),
///     },
/// };
/// assert!(validate(&message("m-1".into())).is_ok());
/// assert!(validate(&message(String::new())).is_err());
/// assert!(validate(&message("m".repeat(MAX_ID_LEN + 1))).is_err());
/// ```
pub fn validate(routed: &RoutedEvent) -> Result<()> {
    let event = &routed.event;
    check_id("an event id", &event.id, "")?;
    let event_id = event.id.as_str();
    let customer = |user: &PlatformUser| check_id("a customer id", &user.id, event_id);
    let message = |id: &str| check_id("a message id", id, event_id);
    match &event.kind {
        EventKind::Message(inbound) => {
            message(&inbound.message_id)?;
            customer(&inbound.customer)
        }
        EventKind::Edit { customer: user, message_id, .. }
        | EventKind::Unsend { customer: user, message_id }
        | EventKind::Reaction { customer: user, message_id, .. } => {
            message(message_id)?;
            customer(user)
        }
        EventKind::Delivery(update) => update.message_ids.iter().try_for_each(|id| message(id)),
        EventKind::Postback { customer: user, .. } => customer(user),
        EventKind::CustomerIdChanged { customer: user, previous_id } => {
            check_id("a previous customer id", previous_id, event_id)?;
            customer(user)
        }
        _ => Ok(()),
    }
}

fn check_id(what: &'static str, value: &str, event_id: &str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(Error::new(ErrorKind::InvalidInput, format!("{what} must be 1 to {MAX_ID_LEN} bytes long"))
            .with_operation("ingest.validate")
            .with_context("event", truncated(event_id)));
    }
    Ok(())
}

/// At most the first 64 characters of an id, for an error message or a log line.
///
/// ```
/// assert_eq!(unibox_core::ingest::truncated(&"x".repeat(100)).len(), 64);
/// ```
pub fn truncated(value: &str) -> &str {
    match value.char_indices().nth(64) {
        Some((end, _)) => &value[..end],
        None => value,
    }
}
