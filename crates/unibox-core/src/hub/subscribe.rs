//! Events out: a bounded, resumable stream of a tenant's inbox changes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::changes::{InboxEvent, Position};
use crate::hub::Hub;
use crate::{Action, Actor, Error, ErrorKind, Resource, Result, TenantId};

/// How many events a subscription buffers before it stops reading the log and waits for its
/// consumer: memory stays bounded however slow the consumer is, and nothing is lost, since
/// the log is durable and reading resumes where it stopped.
const BUFFER: usize = 256;
/// How many changes one read of the log takes.
const PAGE: usize = 256;
/// How often an idle subscription looks for changes made elsewhere (another process, another
/// hub on the same store); changes made through this hub wake it at once.
const POLL: Duration = Duration::from_millis(200);

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

/// Reads the log after `after` into `sender` until the subscription is dropped.
async fn follow(hub: Hub, tenant: TenantId, mut after: Position, sender: mpsc::Sender<Result<InboxEvent>>) {
    loop {
        // Registered before the read, so a change committed during the read still wakes us.
        let changed = hub.delivery().changed.notified();
        let mut changed = std::pin::pin!(changed);
        changed.as_mut().enable();
        let Some(changes) = hub.store().changes.clone() else { return };
        match changes.read(&tenant, after, PAGE).await {
            Ok(events) if !events.is_empty() => {
                for event in events {
                    after = event.position;
                    // Waits while the buffer is full: the back-pressure.
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(error) => {
                let fatal = !error.is_temporary();
                if sender.send(Err(error.with_operation("hub.subscribe"))).await.is_err() || fatal {
                    return;
                }
            }
        }
        tokio::select! {
            () = &mut changed => {}
            () = tokio::time::sleep(POLL) => {}
            () = sender.closed() => return,
        }
    }
}
