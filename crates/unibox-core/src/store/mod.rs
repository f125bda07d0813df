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

use crate::TokenStore;
use crate::analytics::Analytics;
use crate::audit::AuditTrail;
use crate::changes::ChangeLog;
use crate::inbox::{ChannelAccounts, EventIngest, InboxReads, OutboundMessages, TeamWorkflow};

use crate::ai::ConversationControlStore;
use crate::catalog::CatalogStore;
use crate::history::SyncCursorStore;
use crate::lifecycle::DataLifecycle;
use crate::metering::{CreditLedger, UsageMeter};
use crate::orders::OrderStore;
use crate::outbox::Outbox;
use crate::privacy::DeletionRequestStore;
use crate::privacy::export::Restore;
use crate::session::SessionStore;
use crate::workflow::AgentRoster;

/// All the parts of one storage backend, each port its own field: the inbox ports (accounts,
/// ingest, reads, outbound, workflow), the outbox and the change log, the token store, the
/// audit trail, the agent roster, analytics, usage metering, message credits, sessions,
/// deletion requests, orders, history sync cursors, the catalog, conversation control, the
/// restore of exports and the lifecycle part.
///
/// One backend object may serve several ports (memory and SQLite serve every inbox port with
/// one object); each field still holds its own `Arc`, so replacing one port with a decorator
/// (`store.reads = Arc::new(Cached::new(store.reads))`) leaves every other part in place.
/// An optional part is an `Option` with a flag in [`StoreCapabilities`] saying whether it is
/// there; `unibox_testkit::store::capabilities_are_true` checks that they agree.
///
/// ```
/// use unibox_core::memory::MemoryStore;
/// use unibox_core::store::Store;
/// let store: Store = MemoryStore::new().into();
/// assert!(!store.capabilities.durable);
/// assert!(store.capabilities.outbox && store.outbox.is_some());
/// let hub = unibox_core::Hub::builder(store).build();
/// # drop(hub);
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    /// Channel accounts and webhook routing.
    pub accounts: Arc<dyn ChannelAccounts>,
    /// Where routed events are stored (and durably accepted).
    pub ingest: Arc<dyn EventIngest>,
    /// Conversations, messages, contacts, notes and search.
    pub reads: Arc<dyn InboxReads>,
    /// Outbound messages recorded before they are sent, and their delivery.
    pub outbound: Arc<dyn OutboundMessages>,
    /// Workflow fields, notes, read markers, assignment, canned replies, contact profiles.
    pub workflow: Arc<dyn TeamWorkflow>,
    /// The durable send queue, if the backend keeps one: the hub then records every send as a
    /// job in the same transaction as the message and delivers it with retries; without one it
    /// records and sends once ([`StoreCapabilities::outbox`]).
    pub outbox: Option<Arc<dyn Outbox>>,
    /// The change log, if the backend keeps one ([`Hub::subscribe`](crate::Hub::subscribe) and
    /// analytics follow it; [`StoreCapabilities::change_log`]).
    pub changes: Option<Arc<dyn ChangeLog>>,
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
    /// The product catalog, if the backend keeps it
    /// ([`Hub::search_products`](crate::Hub::search_products)).
    pub catalog: Option<Arc<dyn CatalogStore>>,
    /// Where an import writes an export back, if the backend can restore one
    /// ([`privacy::export::import`](crate::privacy::export::import); [`StoreCapabilities::restore`]).
    pub restore: Option<Arc<dyn Restore>>,
    /// Retention purges and erasure, if the backend supports them
    /// ([`LifecycleJob`](crate::lifecycle::LifecycleJob); [`StoreCapabilities::lifecycle`]).
    pub lifecycle: Option<Arc<dyn DataLifecycle>>,
    /// Who holds each conversation, the bot or a person, if the backend keeps it (AI replies
    /// need it; [`HubBuilder::conversation_control`](crate::hub::HubBuilder::conversation_control)
    /// replaces it).
    pub conversation_control: Option<Arc<dyn ConversationControlStore>>,
    /// What the backend can do.
    pub capabilities: StoreCapabilities,
}
