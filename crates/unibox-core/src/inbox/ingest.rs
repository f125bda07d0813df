//! [`EventIngest`]: the port routed webhook events are stored through.

use std::fmt;

use async_trait::async_trait;

use super::{Acceptance, IngestOutcome, RoutedEvent};
use crate::Result;

/// Stores routed events: the write side of the webhook path.
///
/// What storing an event means (deduplication, amendments arriving before or after their
/// message, postbacks, validation and id limits) is decided once, by [`crate::ingest`]; every
/// backend executes its plans, and `unibox_testkit::harness` states each rule as a check.
///
/// [`ingest`](EventIngest::ingest) is idempotent and order-independent: delivering the same
/// events any number of times, in any order, leaves the same state. When it returns `Ok`, every
/// event of the call is durably committed, atomically; when any event is invalid
/// ([`crate::ingest::validate`]) or names an account the tenant does not have, nothing is stored.
#[async_trait]
pub trait EventIngest: Send + Sync + fmt::Debug + 'static {
    /// Stores routed events with the rules of [`crate::ingest`]. One outcome per event.
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>>;

    /// Durably accepts routed events, to be applied to the inbox shortly after: the fast path
    /// a webhook is acknowledged on. One outcome per event.
    ///
    /// The contract, beyond [`ingest`](EventIngest::ingest)'s validation and atomicity:
    ///
    /// - When `accept` returns `Ok`, every event of the call is durably committed and will be
    ///   applied exactly as `ingest` would apply it, even if the process dies right after.
    /// - Every read that starts after `accept` returned sees its events applied (a backend may
    ///   make such a read wait for them).
    /// - An event id accepted or ingested before is an [`Acceptance::Duplicate`]. Other
    ///   duplicates (the same platform message under a new event id) are only recognised when
    ///   the event is applied.
    ///
    /// The default applies the events at once with `ingest`, which keeps that contract; a
    /// backend whose writes are costly overrides it with a journal (SQLite does: see
    /// `unibox-store-sqlite`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::inbox::EventIngest;
    /// let inbox = unibox_core::memory::MemoryInbox::new();
    /// assert!(inbox.accept(Vec::new()).await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    async fn accept(&self, events: Vec<RoutedEvent>) -> Result<Vec<Acceptance>> {
        let outcomes = self.ingest(events).await?;
        Ok(outcomes.into_iter().map(Acceptance::from).collect())
    }

    /// Whether [`accept`](EventIngest::accept) takes events now: `Err` with the temporary error
    /// it would fail with while it refuses every call whatever the events, such as
    /// [`ErrorKind::StorageFull`](crate::ErrorKind::StorageFull) while the disk is short of
    /// room. Cheap (no write, at most a look at the free space): readiness checks call it.
    /// The default, for a store that never refuses ahead of a write, is `Ok`.
    ///
    /// ```
    /// use unibox_core::inbox::EventIngest;
    /// let inbox = unibox_core::memory::MemoryInbox::new();
    /// assert!(inbox.accepting().is_ok());
    /// ```
    fn accepting(&self) -> Result<()> {
        Ok(())
    }
}
