//! [`Hub::start_background`]: the hub's background work, started one explicit way.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::delivery::{DeliveryWorker, WorkerHandle};
use crate::hub::Hub;

/// The hub's running background work, from [`Hub::start_background`]: the delivery worker
/// (when the store has an outbox) and the analytics projection (when it has a change log).
/// [`shutdown`](Background::shutdown) stops both and waits for them; dropping it stops them
/// without waiting.
#[derive(Debug)]
pub struct Background {
    delivery: Option<WorkerHandle>,
    analytics: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
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
        if let Some((stop, task)) = self.analytics.take() {
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
        if let Some((stop, _)) = self.analytics.take() {
            let _ = stop.send(());
        }
        // The worker handle stops its worker when dropped.
    }
}

impl Hub {
    /// Starts the hub's background work, on the current tokio runtime: a
    /// [`DeliveryWorker`] that retries queued sends and sends what a crash left queued (when the
    /// store has an outbox), and the analytics projection that keeps analytics current from the
    /// change log (when it has one). Nothing runs in the background until this is called:
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
        let analytics = self.store().changes.is_some().then(|| {
            let (stop, stopped) = oneshot::channel::<()>();
            let projection = self.analytics_projection_task();
            let task = tokio::spawn(async move {
                tokio::select! {
                    _ = stopped => {}
                    () = projection => {}
                }
            });
            (stop, task)
        });
        Background { delivery, analytics }
    }
}
