//! The [`ChangeBus`] port: live fan-out of committed change events to every process that
//! serves subscribers, in front of the durable [`ChangeLog`](super::ChangeLog).
//!
//! The change log stays the source of truth. A bus only makes a subscription prompt: a
//! subscription catches up from the log, then follows the bus, and still reads the log now and
//! then (its safety poll), so a lost bus message or a bus outage delays an event, never loses
//! it. The rule that decides what a subscriber does with each notice is written once, in
//! [`LiveCursor`].
//!
//! Who publishes: a relay in each hub process ([`Hub::start_background`](crate::Hub::start_background))
//! reads the log of each tenant that hub changed (webhooks and pulled events stored by ingest,
//! sends, workflow changes) after the bus's [`last_published`](ChangeBus::last_published)
//! position and publishes what follows, oldest first. Several relays may publish the same
//! events: a bus deduplicates by position where it can, and subscribers deduplicate anyway
//! (at-least-once on the wire, exactly-once to the consumer).

use std::fmt;
use std::pin::Pin;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{InboxEvent, Position};
use crate::{Result, TenantId};

/// One committed event as it travels on a bus: the event and the position of the tenant's
/// change just before it in the log, when the publisher read the log from there. With it a
/// subscriber that has handled `previous` can take the event as it is; without it (or with
/// another `previous`) it reads the log to fill the gap.
///
/// ```
/// use unibox_core::changes::{Change, ChangeKind, InboxEvent, Position, PublishedEvent};
/// use unibox_core::Timestamp;
/// let change = Change::new("acme".parse().unwrap(), Timestamp::from_unix_seconds(1), ChangeKind::MessageAdded);
/// let published = PublishedEvent { event: InboxEvent { position: Position::new(7), change }, previous: Some(Position::new(3)) };
/// assert_eq!(published.event.position.value(), 7);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedEvent {
    /// The event: ids and kinds, never message content.
    pub event: InboxEvent,
    /// The tenant's previous change in the log, when known.
    pub previous: Option<Position>,
}

/// What a subscriber hears from a [`ChangeBus`].
///
/// ```
/// use unibox_core::changes::BusNotice;
/// assert!(matches!(BusNotice::Wake, BusNotice::Wake));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BusNotice {
    /// A committed event of the tenant.
    Event(PublishedEvent),
    /// The tenant's log changed: read it. What a bus that carries no events sends (for example
    /// a PostgreSQL `NOTIFY` from the committing transaction).
    Wake,
}

/// The live notices of one tenant, from [`ChangeBus::subscribe`]. An `Err` item is a bus
/// failure the stream goes on after (the subscriber reads the log); the end of the stream
/// means the subscription to the bus is gone and must be made again.
pub type BusStream = Pin<Box<dyn futures_core::Stream<Item = Result<BusNotice>> + Send>>;

/// A live fan-out of change events between processes (NATS JetStream in `unibox-bus-nats`),
/// attached to a hub with [`HubBuilder::change_bus`](crate::hub::HubBuilder::change_bus).
///
/// Delivery is at-least-once and may lose messages in an outage: subscribers keep the
/// [`ChangeLog`](super::ChangeLog) as the truth ([`LiveCursor`]). Object-safe: use it as
/// `Arc<dyn ChangeBus>`.
#[async_trait]
pub trait ChangeBus: Send + Sync + fmt::Debug {
    /// Publishes events of `tenant`, oldest first, as they follow each other in the log.
    /// Returns once the bus holds them all; an error may leave a prefix published (the relay
    /// asks [`last_published`](ChangeBus::last_published) and goes on from there).
    async fn publish(&self, tenant: &TenantId, events: &[PublishedEvent]) -> Result<()>;

    /// The position of the latest event the bus holds for `tenant`; `None` if it holds none.
    async fn last_published(&self, tenant: &TenantId) -> Result<Option<Position>>;

    /// The tenant's notices from now on.
    async fn subscribe(&self, tenant: &TenantId) -> Result<BusStream>;

    /// Whether the hub must relay the log to this bus ([`publish`](ChangeBus::publish)): `true`
    /// for a bus apart from the store; `false` for one the store feeds itself in the committing
    /// transaction (a PostgreSQL `LISTEN/NOTIFY` bus), whose `publish` is never called.
    fn needs_relay(&self) -> bool {
        true
    }
}

/// What a subscriber does with a [`BusNotice`], given the last position it handed to its
/// consumer: the one rule of every subscription ([`Hub::subscribe`](crate::Hub::subscribe)).
///
/// ```
/// use unibox_core::changes::{BusNotice, Change, ChangeKind, InboxEvent, LiveCursor, LiveStep, Position, PublishedEvent};
/// use unibox_core::Timestamp;
/// let tenant = "acme".parse().unwrap();
/// let mut cursor = LiveCursor::new(tenant, Position::new(3));
/// let event = |position: u64, previous: Option<u64>| {
///     let change = Change::new("acme".parse().unwrap(), Timestamp::from_unix_seconds(1), ChangeKind::MessageAdded);
///     BusNotice::Event(PublishedEvent { event: InboxEvent { position: Position::new(position), change }, previous: previous.map(Position::new) })
/// };
/// // The next one in the log: handed over as it is.
/// assert!(matches!(cursor.on_notice(event(5, Some(3))), LiveStep::Deliver(_)));
/// assert_eq!(cursor.after(), Position::new(5));
/// // Already handed over: dropped.
/// assert!(matches!(cursor.on_notice(event(5, Some(3))), LiveStep::Ignore));
/// // Something in between is missing: read the log.
/// assert!(matches!(cursor.on_notice(event(9, Some(8))), LiveStep::ReadLog));
/// ```
#[derive(Clone, Debug)]
pub struct LiveCursor {
    tenant: TenantId,
    after: Position,
}

/// What [`LiveCursor::on_notice`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LiveStep {
    /// Hand this event to the consumer (the cursor moved past it).
    Deliver(InboxEvent),
    /// Read the log after [`LiveCursor::after`]: the notice names changes the consumer may not
    /// have, and only the log knows them all.
    ReadLog,
    /// Nothing to do: a duplicate, or another tenant's event.
    Ignore,
}

impl LiveCursor {
    /// A cursor of `tenant` that has handed over everything through `after`.
    pub fn new(tenant: TenantId, after: Position) -> Self {
        LiveCursor { tenant, after }
    }

    /// The last position handed over.
    pub fn after(&self) -> Position {
        self.after
    }

    /// Records that an event read from the log was handed over. Returns `false` (and changes
    /// nothing) for one at or before [`after`](LiveCursor::after): a duplicate, not to be handed over.
    pub fn advance(&mut self, event: &InboxEvent) -> bool {
        if event.position <= self.after || event.change.tenant != self.tenant {
            return false;
        }
        self.after = event.position;
        true
    }

    /// Decides what to do with a notice. An event is taken as it is only when it directly
    /// follows what was handed over (`previous` is [`after`](LiveCursor::after)); an event at or
    /// before `after` is a duplicate; anything else, and every wake-up, sends the subscriber to
    /// the log, which has every change in order.
    pub fn on_notice(&mut self, notice: BusNotice) -> LiveStep {
        match notice {
            BusNotice::Wake => LiveStep::ReadLog,
            BusNotice::Event(published) => {
                // A bus is shared: another tenant's event is never handed over.
                if published.event.change.tenant != self.tenant || published.event.position <= self.after {
                    return LiveStep::Ignore;
                }
                if published.previous == Some(self.after) {
                    self.after = published.event.position;
                    return LiveStep::Deliver(published.event);
                }
                LiveStep::ReadLog
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::changes::{Change, ChangeKind};

    fn tenant(name: &str) -> TenantId {
        name.parse().unwrap()
    }

    fn event(tenant: &TenantId, position: u64) -> InboxEvent {
        let change = Change::new(tenant.clone(), Timestamp::from_unix_seconds(1), ChangeKind::MessageAdded);
        InboxEvent { position: Position::new(position), change }
    }

    fn notice(tenant: &TenantId, position: u64, previous: Option<u64>) -> BusNotice {
        BusNotice::Event(PublishedEvent { event: event(tenant, position), previous: previous.map(Position::new) })
    }

    #[test]
    fn only_the_next_event_of_the_tenant_is_taken_as_it_is() {
        let acme = tenant("acme");
        let mut cursor = LiveCursor::new(acme.clone(), Position::new(10));
        assert_eq!(cursor.on_notice(notice(&acme, 12, None)), LiveStep::ReadLog, "no previous: the log knows");
        assert_eq!(cursor.on_notice(notice(&acme, 12, Some(11))), LiveStep::ReadLog, "a gap: the log knows");
        assert_eq!(cursor.on_notice(BusNotice::Wake), LiveStep::ReadLog);
        assert_eq!(cursor.on_notice(notice(&tenant("globex"), 12, Some(10))), LiveStep::Ignore, "another tenant's");
        assert_eq!(cursor.after(), Position::new(10), "nothing handed over yet");
        assert_eq!(cursor.on_notice(notice(&acme, 12, Some(10))), LiveStep::Deliver(event(&acme, 12)));
        assert_eq!(cursor.on_notice(notice(&acme, 12, Some(10))), LiveStep::Ignore, "a duplicate");
        assert_eq!(cursor.on_notice(notice(&acme, 11, None)), LiveStep::Ignore, "behind the cursor");
        assert_eq!(cursor.after(), Position::new(12));
    }

    #[test]
    fn events_read_from_the_log_are_handed_over_once() {
        let acme = tenant("acme");
        let mut cursor = LiveCursor::new(acme.clone(), Position::new(10));
        assert!(cursor.advance(&event(&acme, 13)));
        assert!(!cursor.advance(&event(&acme, 13)), "the same again");
        assert!(!cursor.advance(&event(&acme, 12)), "an older one");
        assert!(!cursor.advance(&event(&tenant("globex"), 20)), "another tenant's");
        assert_eq!(cursor.after(), Position::new(13));
        assert_eq!(cursor.on_notice(notice(&acme, 13, Some(10))), LiveStep::Ignore, "the bus's copy of it");
    }
}
