//! The subscribers of one bus, by tenant, and what each has yet to hear: [`Subscribers`] and
//! the stream each subscriber reads, [`Notices`].
//!
//! A notice is a flag, not a queue entry: a wake-up not yet read absorbs the next ones (the
//! subscriber reads the log once for all of them), so a slow subscriber holds no backlog and a
//! busy tenant costs no memory.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

use unibox_core::changes::BusNotice;
use unibox_core::{Error, ErrorKind, Result, TenantId};

/// What one subscriber has yet to hear.
#[derive(Debug, Default)]
struct Pending {
    /// The bus lost its connection (an `Err` to the subscriber: read the log often).
    failed: bool,
    /// The tenant's log changed, or the bus is back (a [`BusNotice::Wake`]).
    wake: bool,
    /// The bus is gone: the stream ends.
    closed: bool,
    waker: Option<Waker>,
}

/// One subscriber's flags, shared by the bus and its [`Notices`].
#[derive(Debug, Default)]
struct Slot(Mutex<Pending>);

impl Slot {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the flags and wakes the subscriber's task.
    fn signal(&self, change: impl FnOnce(&mut Pending)) {
        let waker = {
            let mut pending = self.pending();
            change(&mut pending);
            pending.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

#[derive(Debug, Default)]
struct Registry {
    /// Whether the bus is connected and listening.
    up: bool,
    next_id: u64,
    /// By tenant id: a notification's payload is looked up as it is.
    by_tenant: HashMap<String, Vec<(u64, Arc<Slot>)>>,
}

/// Every subscriber of a bus, by tenant.
#[derive(Debug, Default)]
pub(crate) struct Subscribers(Mutex<Registry>);

impl Subscribers {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new subscriber of `tenant`. While the bus is down its first notice is the failure.
    pub(crate) fn subscribe(self: &Arc<Self>, tenant: &TenantId) -> Notices {
        let mut registry = self.registry();
        let slot = Arc::new(Slot::default());
        slot.pending().failed = !registry.up;
        let id = registry.next_id;
        registry.next_id += 1;
        registry.by_tenant.entry(tenant.as_str().to_owned()).or_default().push((id, slot.clone()));
        Notices { slot, subscribers: Arc::downgrade(self), tenant: tenant.clone(), id }
    }

    /// Wakes the subscribers of the tenant a notification's payload names (exactly); a payload
    /// naming no subscribed tenant is dropped.
    pub(crate) fn changed(&self, payload: &str) {
        let registry = self.registry();
        let Some(slots) = registry.by_tenant.get(payload) else { return };
        for (_, slot) in slots {
            slot.signal(|pending| pending.wake = true);
        }
    }

    /// The bus lost its connection: every subscriber hears of it.
    pub(crate) fn down(&self) {
        let mut registry = self.registry();
        registry.up = false;
        for (_, slot) in registry.by_tenant.values().flatten() {
            slot.signal(|pending| pending.failed = true);
        }
    }

    /// The bus listens again (or for the first time): every subscriber reads the log once, for
    /// what committed while nobody listened.
    pub(crate) fn up(&self) {
        let mut registry = self.registry();
        let was_up = std::mem::replace(&mut registry.up, true);
        if !was_up {
            for (_, slot) in registry.by_tenant.values().flatten() {
                slot.signal(|pending| pending.wake = true);
            }
        }
    }

    /// The bus is gone: every stream ends.
    pub(crate) fn close(&self) {
        let mut registry = self.registry();
        registry.up = false;
        for (_, slot) in registry.by_tenant.values().flatten() {
            slot.signal(|pending| pending.closed = true);
        }
        registry.by_tenant.clear();
    }

    /// How many subscribers are registered (for tests).
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.registry().by_tenant.values().map(Vec::len).sum()
    }

    fn unsubscribe(&self, tenant: &TenantId, id: u64) {
        let mut registry = self.registry();
        if let Some(slots) = registry.by_tenant.get_mut(tenant.as_str()) {
            slots.retain(|(slot_id, _)| *slot_id != id);
            if slots.is_empty() {
                registry.by_tenant.remove(tenant.as_str());
            }
        }
    }
}

/// One subscriber's notices: the failure first when the bus lost its connection, then a wake-up
/// when something changed (or the bus is back); the end once the bus is dropped.
#[derive(Debug)]
pub(crate) struct Notices {
    slot: Arc<Slot>,
    subscribers: Weak<Subscribers>,
    tenant: TenantId,
    id: u64,
}

impl futures_core::Stream for Notices {
    type Item = Result<BusNotice>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut pending = self.slot.pending();
        if std::mem::take(&mut pending.failed) {
            return Poll::Ready(Some(Err(lost())));
        }
        if std::mem::take(&mut pending.wake) {
            return Poll::Ready(Some(Ok(BusNotice::Wake)));
        }
        if pending.closed {
            return Poll::Ready(None);
        }
        pending.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Notices {
    fn drop(&mut self) {
        if let Some(subscribers) = self.subscribers.upgrade() {
            subscribers.unsubscribe(&self.tenant, self.id);
        }
    }
}

/// What a subscriber hears when the bus's connection is lost: temporary, the bus reconnects.
fn lost() -> Error {
    Error::new(ErrorKind::Storage, "the PostgreSQL change bus lost its connection; reconnecting")
        .with_operation("postgres.bus.subscribe")
        .temporary()
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use futures_core::Stream;

    use super::*;

    fn tenant(name: &str) -> TenantId {
        name.parse().unwrap()
    }

    /// The next notice if one is ready now.
    fn ready(notices: &mut Notices) -> Option<Option<Result<BusNotice>>> {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        match futures_core::Stream::poll_next(Pin::new(notices), &mut cx) {
            Poll::Ready(item) => Some(item),
            Poll::Pending => None,
        }
    }

    #[test]
    fn wake_ups_are_per_tenant_and_coalesce() {
        let subscribers = Arc::new(Subscribers::default());
        subscribers.up();
        let mut acme = subscribers.subscribe(&tenant("acme.eu"));
        let mut other = subscribers.subscribe(&tenant("acme_eu"));
        subscribers.changed("acme.eu");
        subscribers.changed("acme.eu");
        subscribers.changed("acme");
        assert!(matches!(ready(&mut acme), Some(Some(Ok(BusNotice::Wake)))));
        assert!(ready(&mut acme).is_none(), "two notifications unread are one wake-up");
        assert!(ready(&mut other).is_none(), "another tenant's notification");
    }

    #[test]
    fn a_lost_connection_is_an_error_then_a_wake_up_once_back() {
        let subscribers = Arc::new(Subscribers::default());
        let mut before = subscribers.subscribe(&tenant("acme"));
        assert!(matches!(ready(&mut before), Some(Some(Err(_)))), "subscribed while the bus is down");
        subscribers.up();
        assert!(matches!(ready(&mut before), Some(Some(Ok(BusNotice::Wake)))));
        subscribers.down();
        subscribers.up();
        let error = ready(&mut before).unwrap().unwrap().unwrap_err();
        assert!(error.is_temporary() && error.kind() == ErrorKind::Storage, "{error}");
        assert!(matches!(ready(&mut before), Some(Some(Ok(BusNotice::Wake)))), "read the log once it is back");
        assert!(ready(&mut before).is_none());
    }

    #[tokio::test]
    async fn streams_end_when_the_bus_closes_and_leave_when_dropped() {
        let subscribers = Arc::new(Subscribers::default());
        subscribers.up();
        let mut kept = subscribers.subscribe(&tenant("acme"));
        let dropped = subscribers.subscribe(&tenant("acme"));
        assert_eq!(subscribers.count(), 2);
        drop(dropped);
        assert_eq!(subscribers.count(), 1);
        let waiting = tokio::spawn(async move { poll_fn(|cx| Pin::new(&mut kept).poll_next(cx)).await.is_none() });
        tokio::task::yield_now().await;
        subscribers.close();
        assert!(waiting.await.unwrap(), "the stream ended");
        assert_eq!(subscribers.count(), 0);
    }
}
