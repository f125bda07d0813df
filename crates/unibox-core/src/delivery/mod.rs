//! Durable delivery: outbound messages go through the [`Outbox`](crate::outbox::Outbox) of the
//! inbox, are attempted by [`Hub::send`](crate::Hub::send) at once and then by a
//! [`DeliveryWorker`], retried with backoff and jitter only when a failure is known not to have
//! delivered them, and paced under each platform's [`RateLimits`](crate::channel::RateLimits).

mod rate_limit;
mod retry;
mod worker;

use std::time::Duration;

use tokio::sync::Notify;

pub use rate_limit::RateLimiter;
pub use retry::{RetryDecision, RetryPolicy};
pub use worker::{DeliveryRound, DeliveryWorker, WorkerHandle};

/// How the hub delivers sends.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::delivery::{DeliveryOptions, RetryPolicy};
/// let options = DeliveryOptions::new()
///     .retry(RetryPolicy::new(4, Duration::from_secs(1), Duration::from_secs(60)))
///     .lease(Duration::from_secs(30));
/// assert_eq!(options.retry.max_attempts, 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryOptions {
    /// When and how often failed sends are retried.
    pub retry: RetryPolicy,
    /// How long a claim on a job lasts. A worker that dies mid-send holds its jobs this long;
    /// it should be well above the HTTP client's timeout.
    pub lease: Duration,
    /// The longest a send waits for its rate limit in place; a longer wait reschedules it.
    pub max_rate_wait: Duration,
}

impl Default for DeliveryOptions {
    /// The default [`RetryPolicy`], 2-minute leases, 2 seconds of rate-limit wait.
    fn default() -> Self {
        DeliveryOptions {
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(120),
            max_rate_wait: Duration::from_secs(2),
        }
    }
}

impl DeliveryOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Sets the lease length.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }
    /// Sets the longest in-place rate-limit wait.
    pub fn max_rate_wait(mut self, wait: Duration) -> Self {
        self.max_rate_wait = wait;
        self
    }
}

/// What the hub shares between its send path, its workers and its subscriptions.
#[derive(Debug, Default)]
pub(crate) struct DeliveryState {
    pub(crate) options: DeliveryOptions,
    pub(crate) limiter: RateLimiter,
    /// Wakes workers when a job was queued for later.
    pub(crate) work: Notify,
    /// Wakes subscriptions when this hub changed something.
    pub(crate) changed: Notify,
}

impl DeliveryState {
    pub(crate) fn new(options: DeliveryOptions) -> Self {
        DeliveryState { options, ..Self::default() }
    }
}
