//! [`Hub::start_background`]: the hub's background work, started one explicit way.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::delivery::{DeliveryWorker, WorkerHandle};
use crate::hub::Hub;

/// The hub's running background work, from [`Hub::start_background`]: the delivery worker
/// (when the store has an outbox), the analytics projection (when it has a change log) and the
/// bus relay (when a [`ChangeBus`](crate::changes::ChangeBus) is attached as well).
/// [`shutdown`](Background::shutdown) stops them and waits for them; dropping it stops them
/// without waiting.
#[derive(Debug)]
pub struct Background {
    delivery: Option<WorkerHandle>,
    analytics: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    relay: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Background {
    /// Whether a delivery worker runs (the store has an outbox).
    pub fn delivers(&self) -> bool {
        self.delivery.is_some()
    }

    /// Whether the analytics projection runs (the store has a change log).
    pub fn projects_analytics(&self) -> bool {
        self.analytics.is_some()
    }

    /// Whether the bus relay runs (a bus that needs one is attached, and the store has a change log).
    pub fn relays_to_bus(&self) -> bool {
        self.relay.is_some()
    }

    /// Stops the background work and waits until it has stopped: a send being attempted
    /// finishes and is recorded first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let hub = unibox_core::Hub::builder(unibox_core::memory::MemoryStore::new()).build();
    /// hub.start_background().shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        for (stop, task) in [self.analytics.take(), self.relay.take()].into_iter().flatten() {
            let _ = stop.send(());
            let _ = task.await;
        }
        if let Some(delivery) = self.delivery.take() {
            delivery.shutdown().await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for (stop, _) in [self.analytics.take(), self.relay.take()].into_iter().flatten() {
            let _ = stop.send(());
        }
        // The worker handle stops its worker when dropped.
    }
}

impl Hub {
    /// Starts the hub's background work, on the current tokio runtime: a
    /// [`DeliveryWorker`] that retries queued sends and sends what a crash left queued (when the
    /// store has an outbox), and the analytics projection that keeps analytics current from the
    /// change log (when it has one), and the relay that publishes the change log to the hub's
    /// bus ([`HubBuilder::change_bus`](crate::hub::HubBuilder::change_bus)). Nothing runs in the background until this is called:
    /// without it sends are attempted once inline and reports catch up by themselves when asked.
    /// Call it once per process (several are safe: the outbox leases each job to one worker,
    /// and analytics record each change once).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let hub = unibox_core::Hub::builder(unibox_core::memory::MemoryStore::new()).build();
    /// let background = hub.start_background();
    /// assert!(background.delivers() && background.projects_analytics());
    /// background.shutdown().await;
    /// # }
    /// ```
    pub fn start_background(&self) -> Background {
        let delivery = self.store().outbox.is_some().then(|| DeliveryWorker::new(self.clone()).spawn());
        let analytics = self.store().changes.is_some().then(|| stoppable(self.analytics_projection_task()));
        let relay = self.relay_task().map(stoppable);
        Background { delivery, analytics, relay }
    }
}

/// Spawns `work` with a way to stop it.
fn stoppable(work: impl std::future::Future<Output = ()> + Send + 'static) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = stopped => {}
            () = work => {}
        }
    });
    (stop, task)
}
