//! Events out: a bounded, resumable stream of a tenant's inbox changes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;

use tokio::time::Instant;

use crate::changes::{BusNotice, BusStream, InboxEvent, LiveCursor, LiveStep, Position};
use crate::hub::Hub;
use crate::{Action, Actor, Error, ErrorKind, Resource, Result, TenantId};

/// How many events a subscription buffers before it stops reading the log and waits for its
/// consumer: memory stays bounded however slow the consumer is, and nothing is lost, since
/// the log is durable and reading resumes where it stopped.
const BUFFER: usize = 256;
/// How many changes one read of the log takes.
const PAGE: usize = 256;
/// How often an idle subscription without a live bus looks for changes made elsewhere (another
/// process, another hub on the same store); changes made through this hub wake it at once.
const POLL: Duration = Duration::from_millis(200);
/// How long a subscription waits before subscribing to the bus again after it failed or ended.
const BUS_RETRY: Duration = Duration::from_secs(1);
/// How often a subscription with a live bus reads the log all the same, by default: the
/// safety net for a bus message lost after the last one it received.
pub(crate) const DEFAULT_BUS_SAFETY_POLL: Duration = Duration::from_secs(5);

/// A live stream of one tenant's [`InboxEvent`]s, oldest first, from [`Hub::subscribe`].
///
/// It is a [`futures_core::Stream`] and has an inherent [`next`](Subscription::next). Keep the
/// [`position`](InboxEvent::position) of the last event handled to resume after a restart.
/// An `Err` item is a failure reading the log; the stream goes on after a temporary one and
/// ends after one that cannot pass (its resume position was trimmed away).
/// Dropping the subscription stops it.
#[derive(Debug)]
pub struct Subscription {
    events: mpsc::Receiver<Result<InboxEvent>>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    /// The next event; `None` once the stream ended.
    pub async fn next(&mut self) -> Option<Result<InboxEvent>> {
        self.events.recv().await
    }
}

impl futures_core::Stream for Subscription {
    type Item = Result<InboxEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hub {
    /// Subscribes to the actor's tenant's inbox events (new messages, delivery status changes,
    /// conversation changes, notes, ...) after `from`: `None` for changes from now on,
    /// [`Position::START`] for everything the log retains, or the last position the consumer
    /// handled to resume. Requires [`Action::ReadConversations`] and an inbox that keeps a
    /// [`ChangeLog`](crate::changes::ChangeLog) (`Unsupported` otherwise).
    ///
    /// Changes made through this hub reach the subscription at once. Changes made by other
    /// processes on the same store reach it through the hub's
    /// [`ChangeBus`](crate::changes::ChangeBus) when it has one
    /// ([`HubBuilder::change_bus`](crate::hub::HubBuilder::change_bus)); the subscription still
    /// reads the log every [`bus_safety_poll`](crate::hub::HubBuilder::bus_safety_poll), and
    /// every 200 ms while the bus is down or without one, so no change is lost with the bus.
    /// Each event is handed over once, in log order, whichever way it came.
    ///
    /// Events carry ids, not content: read the message or conversation through the hub, which
    /// applies the policy to each. The stream covers every account of the tenant, so a policy
    /// that restricts an agent to some accounts restricts what they can read, not which ids
    /// they see change.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let agent = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Agent);
    /// let mut events = hub.subscribe(&agent, None).await.unwrap();
    /// # drop(events);
    /// # });
    /// ```
    pub async fn subscribe(&self, actor: &Actor, from: Option<Position>) -> Result<Subscription> {
        const OP: &str = "hub.subscribe";
        self.authorize_read(actor).map_err(|e| e.with_operation(OP))?;
        let changes = self.inner.store.changes.clone().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "this inbox keeps no change log to subscribe to").with_operation(OP)
        })?;
        let tenant = actor.tenant().clone();
        let after = match from {
            Some(position) => position,
            None => changes.head(&tenant).await.map_err(|e| e.with_operation(OP))?,
        };
        let (sender, events) = mpsc::channel(BUFFER);
        let task = tokio::spawn(follow(self.clone(), tenant, after, sender));
        Ok(Subscription { events, task })
    }

    fn authorize_read(&self, actor: &Actor) -> Result<()> {
        self.inner.policy.authorize(actor, Action::ReadConversations, Resource::Tenant)
    }
}

/// Follows the tenant's changes after `after` into `sender` until the subscription is dropped:
/// the log first, then the hub's bus (when it has one) with the log as the safety net.
async fn follow(hub: Hub, tenant: TenantId, after: Position, sender: mpsc::Sender<Result<InboxEvent>>) {
    let mut cursor = LiveCursor::new(tenant.clone(), after);
    let bus = hub.inner.bus.clone();
    let mut live: Option<BusStream> = None;
    // When to (re)subscribe to the bus; `None` without a bus.
    let mut subscribe_at = bus.as_ref().map(|_| Instant::now());
    let mut read_log = true;
    // The bus said it failed (a disconnection): read the log often until it speaks again.
    let mut degraded = false;
    let mut warned = false;
    let mut next_poll = Instant::now();
    loop {
        if let (Some(bus), Some(at)) = (&bus, subscribe_at)
            && live.is_none()
            && at <= Instant::now()
        {
            // Subscribed before the log is read, so a change committed meanwhile is in one or
            // the other.
            match bus.subscribe(&tenant).await {
                Ok(stream) => {
                    live = Some(stream);
                    warned = false;
                }
                Err(error) => {
                    // Said once per outage, not once a second.
                    if !warned {
                        tracing::warn!(target: "unibox::bus", %error, %tenant, "could not subscribe to the bus; reading the log until it is back");
                    }
                    warned = true;
                    subscribe_at = Some(Instant::now() + BUS_RETRY);
                }
            }
            read_log = true;
        }
        // Registered before the read, so a change committed during the read still wakes us.
        let changed = hub.delivery().changed.notified();
        let mut changed = std::pin::pin!(changed);
        changed.as_mut().enable();
        if read_log {
            let Some(changes) = hub.store().changes.clone() else { return };
            match changes.read(&tenant, cursor.after(), PAGE).await {
                Ok(events) => {
                    let full = events.len() == PAGE;
                    for event in events {
                        // Waits while the buffer is full: the back-pressure.
                        if cursor.advance(&event) && sender.send(Ok(event)).await.is_err() {
                            return;
                        }
                    }
                    if full {
                        continue;
                    }
                }
                Err(error) => {
                    let fatal = !error.is_temporary();
                    if sender.send(Err(error.with_operation("hub.subscribe"))).await.is_err() || fatal {
                        return;
                    }
                }
            }
            read_log = false;
            // With a live bus the log is only the safety net; without one it is the way.
            next_poll = Instant::now() + if live.is_some() && !degraded { hub.inner.bus_safety_poll } else { POLL };
        }
        let bus_down = live.is_none();
        let resubscribe = async {
            match subscribe_at {
                Some(at) if bus_down => tokio::time::sleep_until(at).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut changed => read_log = true,
            () = tokio::time::sleep_until(next_poll) => read_log = true,
            () = sender.closed() => return,
            () = resubscribe => {}
            notice = next_notice(&mut live) => match notice {
                Some(Ok(notice)) => {
                    degraded = false;
                    match cursor.on_notice(notice) {
                        LiveStep::Deliver(event) => {
                            if sender.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                        LiveStep::Ignore => {}
                        LiveStep::ReadLog => read_log = true,
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(target: "unibox::bus", %error, %tenant, "bus notice failed; reading the log");
                    degraded = true;
                    read_log = true;
                }
                None => {
                    tracing::debug!(target: "unibox::bus", %tenant, "the bus subscription ended; reading the log until it is back");
                    live = None;
                    subscribe_at = Some(Instant::now() + BUS_RETRY);
                    read_log = true;
                }
            },
        }
    }
}

/// The next notice of the bus subscription; never ready without one.
async fn next_notice(live: &mut Option<BusStream>) -> Option<Result<BusNotice>> {
    std::future::poll_fn(|cx| match live.as_mut() {
        Some(stream) => futures_core::Stream::poll_next(stream.as_mut(), cx),
        None => Poll::Pending,
    })
    .await
}
