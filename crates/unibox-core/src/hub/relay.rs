//! The bus relay: publishes the change log of each tenant this hub changed to the hub's
//! [`ChangeBus`], so subscribers in other processes hear of it at once.
//!
//! The relay reads the log, not the hub's own calls: an inbound message is appended to the log
//! by ingest inside the store (the SQLite journal may append it after the webhook was
//! answered), and only the log knows its position. A pass over a tenant asks the bus where it
//! got to ([`ChangeBus::last_published`]) and publishes the log after it, oldest first, each
//! event with the position before it. Several relays (one per process) may publish the same
//! events; the bus deduplicates by position where it can and subscribers always do.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use crate::changes::{ChangeBus, ChangeLog, InboxEvent, MAX_READ, Position, PublishedEvent};
use crate::hub::Hub;
use crate::{ErrorKind, Result, TenantId};

/// The most tenants remembered as having news to publish (as for analytics): beyond it a
/// tenant's changes wait for its next change, or reach subscribers by their safety poll.
const MAX_PENDING_TENANTS: usize = 65_536;
/// The first wait before publishing again after the bus failed; it doubles up to
/// [`MAX_RETRY`] while the bus stays down.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(10);

/// The tenants with news for the relay, and its wake-up.
#[derive(Debug, Default)]
pub(crate) struct RelayState {
    pending: Arc<Mutex<HashSet<TenantId>>>,
    wake: Arc<Notify>,
}

impl RelayState {
    /// Remembers `tenant` as changed and wakes the relay. Cheap and never waits.
    pub(crate) fn changed(&self, tenant: &TenantId) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.len() < MAX_PENDING_TENANTS && !pending.contains(tenant) {
                pending.insert(tenant.clone());
            }
        }
        self.wake.notify_one();
    }
}

impl Hub {
    /// Tells the bus relay that `tenant` changed (nothing without a bus to relay to).
    pub(crate) fn relay_changed(&self, tenant: &TenantId) {
        if self.inner.bus.as_ref().is_some_and(|bus| bus.needs_relay()) {
            self.inner.relay.changed(tenant);
        }
    }

    /// The relay's task, when the hub has a bus to relay to and a log to relay from
    /// ([`Hub::start_background`] runs it).
    pub(crate) fn relay_task(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let bus = self.inner.bus.clone().filter(|bus| bus.needs_relay())?;
        let changes = self.inner.store.changes.clone()?;
        let relay = &self.inner.relay;
        Some(run(changes, bus, relay.pending.clone(), relay.wake.clone()))
    }
}

/// Publishes the tenants with news each time it is woken, and retries the ones the bus could
/// not take, until it is stopped.
async fn run(
    changes: Arc<dyn ChangeLog>,
    bus: Arc<dyn ChangeBus>,
    pending: Arc<Mutex<HashSet<TenantId>>>,
    wake: Arc<Notify>,
) {
    let mut failed: HashSet<TenantId> = HashSet::new();
    let mut retry = FIRST_RETRY;
    loop {
        if failed.is_empty() {
            wake.notified().await;
        } else {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(retry) => {}
            }
        }
        let mut tenants: Vec<TenantId> = pending.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
        for tenant in failed.drain() {
            if !tenants.contains(&tenant) {
                tenants.push(tenant);
            }
        }
        for tenant in tenants {
            if let Err(error) = relay_tenant(changes.as_ref(), bus.as_ref(), &tenant).await {
                // The changes stay in the log: subscribers find them by their safety poll, and
                // this relay publishes them when the bus is back.
                tracing::warn!(target: "unibox::bus", %error, %tenant, "could not publish changes to the bus");
                if failed.len() < MAX_PENDING_TENANTS {
                    failed.insert(tenant);
                }
            }
        }
        retry = if failed.is_empty() { FIRST_RETRY } else { (retry * 2).min(MAX_RETRY) };
    }
}

/// Publishes the tenant's log after what the bus holds, a page at a time.
pub(crate) async fn relay_tenant(changes: &dyn ChangeLog, bus: &dyn ChangeBus, tenant: &TenantId) -> Result<()> {
    loop {
        let (events, mut previous) = match bus.last_published(tenant).await? {
            Some(after) => match changes.read(tenant, after, MAX_READ).await {
                Ok(events) => (events, Some(after)),
                // What the bus holds was trimmed from the log: start again from the latest.
                Err(error) if error.kind() == ErrorKind::InvalidInput => (latest(changes, tenant).await?, None),
                Err(error) => return Err(error),
            },
            None => (latest(changes, tenant).await?, None),
        };
        let Some(last) = events.last() else { return Ok(()) };
        let last = last.position;
        let full = events.len() == MAX_READ;
        let published: Vec<PublishedEvent> = events
            .into_iter()
            .map(|event| {
                let before = previous.replace(event.position);
                PublishedEvent { event, previous: before }
            })
            .collect();
        bus.publish(tenant, &published).await?;
        tracing::trace!(target: "unibox::bus", %tenant, through = %last, "changes published");
        if !full {
            return Ok(());
        }
    }
}

/// The tenant's latest change alone, published without a previous position when the bus holds
/// nothing of the tenant: subscribers read the log up to it, so older changes need no
/// publishing (and a new bus is not flooded with the whole retained log).
async fn latest(changes: &dyn ChangeLog, tenant: &TenantId) -> Result<Vec<InboxEvent>> {
    let head = changes.head(tenant).await?;
    if head == Position::START {
        return Ok(Vec::new());
    }
    match changes.read(tenant, Position::new(head.value() - 1), 1).await {
        Ok(events) => Ok(events),
        // Everything was trimmed (the head is the trim mark): nothing to publish.
        Err(error) if error.kind() == ErrorKind::InvalidInput => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}
