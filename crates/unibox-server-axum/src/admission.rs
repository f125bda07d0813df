//! Admission control in front of ingest: at most `max_in_flight` webhooks are verified and
//! committed at once; the others wait a short while, then get `503` with `Retry-After`.
//!
//! Platforms retry a 503 later, which is cheaper for everyone than a server that queues without
//! bound, answers after the platform's deadline (Lazada wants an answer within 500 ms), and is
//! then unsubscribed for being slow.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hands out permits to run one webhook each.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    permits: Arc<Semaphore>,
    capacity: usize,
    wait: Duration,
    retry_after: Duration,
}

impl Admission {
    pub(crate) fn new(capacity: usize, wait: Duration, retry_after: Duration) -> Self {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
        Admission { permits: Arc::new(Semaphore::new(capacity)), capacity, wait, retry_after }
    }

    /// A permit, or `None` when none frees up in time (the caller answers `503`).
    pub(crate) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let permits = Arc::clone(&self.permits);
        if let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
            return Some(permit);
        }
        if self.wait.is_zero() {
            return None;
        }
        match tokio::time::timeout(self.wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            // Timed out, or the semaphore was closed (it never is).
            _ => None,
        }
    }

    /// How many webhooks may be handled at once.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The delay a refused sender is asked to wait.
    pub(crate) fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Webhooks being handled right now.
    pub(crate) fn in_flight(&self) -> usize {
        self.capacity - self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_server_refuses_with_the_configured_delay() {
        let admission = Admission::new(1, Duration::from_millis(5), Duration::from_secs(2));
        let held = admission.admit().await.unwrap();
        assert_eq!(admission.in_flight(), 1);
        assert!(admission.admit().await.is_none());
        assert_eq!(admission.retry_after(), Duration::from_secs(2));
        drop(held);
        assert!(admission.admit().await.is_some());
    }

    #[tokio::test]
    async fn a_waiting_webhook_gets_the_permit_freed_in_time() {
        let admission = Admission::new(1, Duration::from_secs(5), Duration::from_secs(1));
        let held = admission.admit().await.unwrap();
        let waiter = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit().await.is_some() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(waiter.await.unwrap());
    }
}
