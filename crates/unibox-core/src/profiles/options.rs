//! [`ProfileOptions`]: how often profiles are refreshed and how fast they are asked for.

use std::time::Duration;

/// How the [`ProfileWorker`](super::ProfileWorker) paces itself.
///
/// Defaults: profiles refreshed after 7 days, at most 10 profile calls per second per channel
/// account, each call given up after 10 seconds.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::profiles::ProfileOptions;
/// let options = ProfileOptions::new().ttl(Duration::from_secs(24 * 3600)).per_account_interval(Duration::from_millis(500));
/// assert_eq!(options.ttl, Duration::from_secs(86_400));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileOptions {
    /// How long a fetched profile (or a platform's refusal) is kept before it is asked for again.
    pub ttl: Duration,
    /// The least time between two profile calls for one channel account: the rate limit.
    pub per_account_interval: Duration,
    /// How long one profile call may take before it is abandoned (and tried again when the
    /// contact next writes).
    pub call_timeout: Duration,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            ttl: Duration::from_secs(7 * 24 * 3600),
            per_account_interval: Duration::from_millis(100),
            call_timeout: Duration::from_secs(10),
        }
    }
}

impl ProfileOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the least time between two calls for one account.
    pub fn per_account_interval(mut self, interval: Duration) -> Self {
        self.per_account_interval = interval;
        self
    }

    /// Sets the call timeout.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }
}
