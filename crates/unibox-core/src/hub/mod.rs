//! The [`Hub`]: composes channels, a [`Store`] bundle (inbox, token store,
//! audit trail, roster, analytics), the policy and the clock. It turns webhook requests into stored conversations and agents' replies into
//! platform sends.

mod analytics;
mod background;
mod builder;
mod canned;
mod catalog;
mod contacts;
mod credits;
mod disconnect;
mod event_time;
mod events;
mod export;
mod handoff;
mod inbox_view;
mod metering;
mod operations;
mod orders;
mod reachability;
mod relay;
mod roster;
mod routing;
mod send;
mod subscribe;
mod webhook;
mod workflow;

use std::collections::HashMap;
use std::sync::Arc;

pub use analytics::AnalyticsLag;
pub use background::Background;
pub use builder::HubBuilder;
pub use disconnect::{Disconnection, PlatformRevocation};
pub use event_time::{DEFAULT_MAX_AHEAD_OF_RECEIPT, DEFAULT_MAX_BEHIND_RECEIPT, EventTimeAdjustment, EventTimeBounds};
pub use handoff::HANDOFF_NOTE_AUTHOR;
pub use routing::{UNROUTABLE_RECENT_LIMIT, UnroutableEvent, UnroutableReport};
pub use subscribe::Subscription;
pub use webhook::WebhookReceipt;

use crate::audit::{AuditOutcome, AuditRecord, AuditSink};
use crate::store::Store;
use crate::{Actor, Channel, ChannelId, Clock, Error, Policy, TenantId, TokenStore};

/// The default limit on a webhook body: 1 MiB. Platforms send far less (Meta batches stay under
/// a few hundred KiB), so anything larger is refused with 413 before it is hashed.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The composition root of unibox. Cheap to clone; clones share everything.
///
/// Build one with [`Hub::builder`]; see the crate docs of `unibox` for a complete example.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::store::Store;
/// use unibox_core::{Hub, RolePolicy};
///
/// fn build(store: Store) -> Hub {
///     Hub::builder(store).policy(Arc::new(RolePolicy)).build()
/// }
/// let hub = build(unibox_core::memory::MemoryStore::new().into());
/// assert!(hub.audit_trail().is_some());
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    /// Every stored part (the builder has put any replacement in).
    store: Store,
    policy: Arc<dyn Policy>,
    audit: Arc<dyn AuditSink>,
    /// The store's trail, when the hub audits to it.
    audit_trail: Option<Arc<crate::audit::AuditTrail>>,
    projection: analytics::AnalyticsProjection,
    meter: Option<Arc<dyn crate::metering::UsageMeter>>,
    /// Who holds each conversation, bot or person, when AI replies are used.
    control: Option<Arc<dyn crate::ai::ConversationControlStore>>,
    control_locks: handoff::ControlLocks,
    credits: Option<credits::CreditSpending>,
    clock: Arc<dyn Clock>,
    channels: HashMap<ChannelId, Arc<dyn Channel>>,
    max_body_bytes: usize,
    event_time: EventTimeBounds,
    routes: routing::RouteCache,
    delivery: crate::delivery::DeliveryState,
    /// The live fan-out to other processes, when attached.
    bus: Option<Arc<dyn crate::changes::ChangeBus>>,
    /// How often a subscription with a live bus reads the log all the same.
    bus_safety_poll: std::time::Duration,
    /// The tenants whose changes the relay publishes to the bus.
    relay: relay::RelayState,
}

impl Hub {
    /// Starts building a hub around a store's parts: `unibox_store_sqlite::SqliteStore` for
    /// an embedded file, [`MemoryStore`](crate::memory::MemoryStore) for tests, or any
    /// backend's [`Store`].
    pub fn builder(store: impl Into<crate::store::Store>) -> HubBuilder {
        HubBuilder::new(store.into())
    }

    /// The store's audit trail, to query and verify; `None` when the hub was built with another
    /// audit sink ([`HubBuilder::audit`]).
    pub fn audit_trail(&self) -> Option<&Arc<crate::audit::AuditTrail>> {
        self.inner.audit_trail.as_ref()
    }

    /// What the hub's store can do.
    pub fn store_capabilities(&self) -> crate::store::StoreCapabilities {
        self.inner.store.capabilities
    }

    /// The store's parts, for reads the hub does not wrap (`hub.store().reads.message(..)`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::inbox::ConversationQuery;
    /// let hub = unibox_core::Hub::builder(unibox_core::memory::MemoryStore::new()).build();
    /// let page = hub.store().reads.conversations(&"acme".parse()?, &ConversationQuery::new()).await?;
    /// assert!(page.items.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The policy the hub authorizes with: for components that check the same rules
    /// outside the hub (the session manager's [`list`](crate::session::SessionManager::list)
    /// and [`terminate`](crate::session::SessionManager::terminate)).
    pub fn policy(&self) -> &Arc<dyn Policy> {
        &self.inner.policy
    }

    /// The bus the hub's changes fan out through, when one is attached
    /// ([`HubBuilder::change_bus`]).
    ///
    /// ```
    /// let hub = unibox_core::Hub::builder(unibox_core::memory::MemoryStore::new()).build();
    /// assert!(hub.change_bus().is_none());
    /// ```
    pub fn change_bus(&self) -> Option<&Arc<dyn crate::changes::ChangeBus>> {
        self.inner.bus.as_ref()
    }

    /// The store's history pull cursors, when it keeps them.
    pub fn sync_cursors(&self) -> Option<&Arc<dyn crate::history::SyncCursorStore>> {
        self.inner.store.sync_cursors.as_ref()
    }

    /// The token store.
    pub fn tokens(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store.tokens
    }

    /// The clock the hub uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Delivery settings, the rate limiter and the wake-ups shared with workers and subscriptions.
    pub(crate) fn delivery(&self) -> &crate::delivery::DeliveryState {
        &self.inner.delivery
    }

    /// Drops `tenant`'s routes from the cache (its accounts are being deleted; until they are,
    /// a webhook still finds them in the store).
    pub(crate) fn forget_routes_of(&self, tenant: &TenantId) {
        self.inner.routes.forget_tenant(tenant);
    }

    /// A registered channel.
    pub fn channel(&self, id: &ChannelId) -> Option<&Arc<dyn Channel>> {
        self.inner.channels.get(id)
    }

    /// Records an audit entry. An audit failure fails the operation that caused it only when
    /// the operation has not happened yet; afterwards it is logged, since undoing a platform
    /// send is impossible.
    async fn audit(&self, actor: &Actor, action: &str, target: String, outcome: AuditOutcome) -> Result<(), Error> {
        let record = AuditRecord::new(actor, action, target, self.inner.clock.now(), outcome);
        self.inner.audit.record(record).await
    }

    pub(crate) async fn audit_after_the_fact(
        &self,
        actor: &Actor,
        action: &str,
        target: String,
        outcome: AuditOutcome,
    ) {
        if let Err(error) = self.audit(actor, action, target, outcome).await {
            tracing::error!(target: "unibox::audit", %error, action, "could not record an audit entry");
        }
    }
}
