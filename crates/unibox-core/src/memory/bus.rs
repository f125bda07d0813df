//! [`MemoryChangeBus`]: a [`ChangeBus`] inside one process, for tests and for trying the bus
//! rules without a server.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::changes::{BusNotice, BusStream, ChangeBus, Position, PublishedEvent};
use crate::{Result, TenantId};

/// How many notices a subscriber may have unread before the bus drops newer ones for it (a
/// bus may lose messages; the subscriber finds them in the log).
const SUBSCRIBER_BUFFER: usize = 1024;

/// A [`ChangeBus`] within one process: hubs sharing a [`MemoryStore`](crate::memory::MemoryStore)
/// in one process can fan out through it. It keeps the last position published per tenant and
/// drops a notice for a subscriber whose buffer is full, as a real bus may lose one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::changes::ChangeBus;
/// use unibox_core::memory::MemoryChangeBus;
/// let bus = MemoryChangeBus::new();
/// assert_eq!(bus.last_published(&"acme".parse()?).await?, None);
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct MemoryChangeBus {
    state: Mutex<BusState>,
}

#[derive(Debug, Default)]
struct BusState {
    last: HashMap<TenantId, Position>,
    subscribers: Vec<(TenantId, mpsc::Sender<Result<BusNotice>>)>,
}

impl MemoryChangeBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ChangeBus for MemoryChangeBus {
    async fn publish(&self, tenant: &TenantId, events: &[PublishedEvent]) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.subscribers.retain(|(_, sender)| !sender.is_closed());
        for published in events {
            let last = state.last.entry(tenant.clone()).or_insert(Position::START);
            *last = (*last).max(published.event.position);
            for (subscribed, sender) in &state.subscribers {
                if subscribed == tenant {
                    // A full subscriber loses the notice, as on a real bus; it reads the log.
                    let _ = sender.try_send(Ok(BusNotice::Event(published.clone())));
                }
            }
        }
        Ok(())
    }

    async fn last_published(&self, tenant: &TenantId) -> Result<Option<Position>> {
        Ok(self.state.lock().unwrap_or_else(PoisonError::into_inner).last.get(tenant).copied())
    }

    async fn subscribe(&self, tenant: &TenantId) -> Result<BusStream> {
        let (sender, receiver) = mpsc::channel(SUBSCRIBER_BUFFER);
        self.state.lock().unwrap_or_else(PoisonError::into_inner).subscribers.push((tenant.clone(), sender));
        Ok(Box::pin(Notices { receiver }))
    }
}

struct Notices {
    receiver: mpsc::Receiver<Result<BusNotice>>,
}

impl futures_core::Stream for Notices {
    type Item = Result<BusNotice>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}
