//! The [`Store`] bundle: everything a storage backend keeps, handed to the [`Hub`](crate::Hub)
//! in one piece, with a [`StoreCapabilities`] description of what it can do.
//!
//! A backend builds its bundle once (SQLite: `unibox_store_sqlite::SqliteStore`, memory:
//! [`MemoryStore`](crate::memory::MemoryStore)) and [`Hub::builder`](crate::Hub::builder) takes
//! it whole, so no part silently falls back to memory: in-memory parts come only from choosing
//! the memory store by name.

mod capabilities;

pub use capabilities::StoreCapabilities;

use std::sync::Arc;

use crate::analytics::Analytics;
use crate::audit::AuditTrail;
use crate::history::SyncCursorStore;
use crate::metering::{CreditLedger, UsageMeter};
use crate::orders::OrderStore;
use crate::privacy::DeletionRequestStore;
use crate::session::SessionStore;
use crate::workflow::AgentRoster;
use crate::{Inbox, TokenStore};

/// All the parts of one storage backend. The inbox brings its outbox and change log with it
/// ([`Inbox::outbox`], [`Inbox::changes`]); the token store, the audit trail, the agent
/// roster, analytics, usage metering, message credits, sessions and deletion requests come
/// alongside.
///
/// A third-party backend fills the fields and describes itself in
/// [`capabilities`](Store::capabilities); `unibox_testkit::store::capabilities_are_true`
/// checks that the description matches the parts.
///
/// ```
/// use unibox_core::memory::MemoryStore;
/// use unibox_core::store::Store;
/// let store: Store = MemoryStore::new().into();
/// assert!(!store.capabilities.durable);
/// assert!(store.capabilities.outbox);
/// let hub = unibox_core::Hub::builder(store).build();
/// # drop(hub);
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    /// Conversations, contacts, messages and channel accounts (with outbox and change log).
    pub inbox: Arc<dyn Inbox>,
    /// Platform tokens.
    pub tokens: Arc<dyn TokenStore>,
    /// The tamper-evident audit trail every hub action, and the vault's own records, go to.
    pub audit: Arc<AuditTrail>,
    /// The agents automatic assignment chooses from.
    pub roster: Arc<dyn AgentRoster>,
    /// Analytics tallies.
    pub analytics: Arc<dyn Analytics>,
    /// Usage counters for billing, if the backend keeps them (the hub counts only when built
    /// with [`HubBuilder::metered`](crate::hub::HubBuilder::metered)).
    pub meter: Option<Arc<dyn UsageMeter>>,
    /// Message credits, if the backend keeps them (the hub spends them only when built with
    /// [`HubBuilder::credits`](crate::hub::HubBuilder::credits)).
    pub credits: Option<Arc<dyn CreditLedger>>,
    /// Agents' sessions, if the backend keeps them (for a
    /// [`SessionManager`](crate::session::SessionManager)).
    pub sessions: Option<Arc<dyn SessionStore>>,
    /// Platform data-deletion requests, if the backend keeps them.
    pub deletion_requests: Option<Arc<dyn DeletionRequestStore>>,
    /// Marketplace orders beside conversations, if the backend keeps them
    /// ([`Hub::orders_of_contact`](crate::Hub::orders_of_contact)).
    pub orders: Option<Arc<dyn OrderStore>>,
    /// The positions of history pulls, if the backend keeps them
    /// ([`HistoryWorker`](crate::history::HistoryWorker)).
    pub sync_cursors: Option<Arc<dyn SyncCursorStore>>,
    /// What the backend can do.
    pub capabilities: StoreCapabilities,
}
