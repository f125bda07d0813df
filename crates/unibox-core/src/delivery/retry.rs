//! When to retry a failed send, and after how long.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use crate::{Error, ErrorKind, Retry};

/// Exponential backoff with jitter, and a budget of attempts.
///
/// The delay before attempt `n + 1` is `initial_delay * 2^(n - 1)`, capped at `max_delay`, then
/// drawn uniformly from its upper half (so retries of many messages spread out), and never
/// shorter than the delay the platform asked for (`Retry-After`, Telegram's `retry_after`).
///
/// ```
/// use std::time::Duration;
/// use unibox_core::delivery::RetryPolicy;
/// let policy = RetryPolicy::default();
/// let first = policy.delay(1, None);
/// assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
/// // The platform's delay wins when it is longer.
/// assert_eq!(policy.delay(1, Some(Duration::from_secs(30))), Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The delay after the first failed attempt (before jitter).
    pub initial_delay: Duration,
    /// The longest computed delay (a platform's own delay may be longer).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 500 ms doubling up to 5 minutes.
    fn default() -> Self {
        RetryPolicy { max_attempts: 6, initial_delay: Duration::from_millis(500), max_delay: Duration::from_secs(300) }
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts, `initial_delay` doubling up to `max_delay`.
    pub fn new(max_attempts: u32, initial_delay: Duration, max_delay: Duration) -> Self {
        RetryPolicy { max_attempts: max_attempts.max(1), initial_delay, max_delay: max_delay.max(initial_delay) }
    }

    /// The delay after `attempts` attempts failed, honouring the platform's requested delay.
    pub fn delay(&self, attempts: u32, requested: Option<Duration>) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let base = self.initial_delay.saturating_mul(1u32 << doublings).min(self.max_delay);
        // Equal jitter: half fixed, half random.
        let half = base / 2;
        let jittered = half + half.mul_f64(random_unit());
        requested.map_or(jittered, |requested| requested.max(jittered))
    }

    /// What to do after an attempt failed with `error`, when `attempts` attempts were made.
    /// `idempotent` says the platform deduplicates a resend of the same message.
    ///
    /// Only failures known not to have delivered the message are retried (no connection,
    /// throttling, a platform error before it accepted the request): those are the temporary
    /// errors. A possibly delivered one ([`ErrorKind::DeliveryUnknown`]) is retried only when
    /// the platform deduplicates and the channel did not mark the error
    /// [`Retry::Persistent`] (a send that bypassed the deduplication, like a LINE reply);
    /// otherwise it is surfaced for a person to check.
    ///
    /// ```
    /// use std::time::Duration;
    /// use unibox_core::delivery::{RetryDecision, RetryPolicy};
    /// use unibox_core::{Error, ErrorKind};
    /// let policy = RetryPolicy::default();
    /// let throttled = Error::new(ErrorKind::RateLimited, "slow down").with_retry_after(Duration::from_secs(2));
    /// assert!(matches!(policy.decide(&throttled, 1, false), RetryDecision::RetryAfter(d) if d >= Duration::from_secs(2)));
    /// let timeout = Error::new(ErrorKind::DeliveryUnknown, "timed out after sending");
    /// assert!(matches!(policy.decide(&timeout, 1, false), RetryDecision::Unknown(_)));
    /// assert!(matches!(policy.decide(&timeout, 1, true), RetryDecision::RetryAfter(_)));
    /// let reply_timeout = Error::new(ErrorKind::DeliveryUnknown, "the reply timed out").persistent();
    /// assert!(matches!(policy.decide(&reply_timeout, 1, true), RetryDecision::Unknown(_)));
    /// let refused = Error::new(ErrorKind::RecipientUnavailable, "the user blocked the bot");
    /// assert!(matches!(policy.decide(&refused, 1, true), RetryDecision::Fail(_)));
    /// ```
    pub fn decide(&self, error: &Error, attempts: u32, idempotent: bool) -> RetryDecision {
        let budget_left = attempts < self.max_attempts;
        if error.kind() == ErrorKind::DeliveryUnknown {
            // A channel marks an ambiguous failure `Persistent` when this send bypassed the
            // platform's deduplication (a LINE reply carries no retry key): never resend it blindly.
            let deduplicated = idempotent && error.retry() != Retry::Persistent;
            return if deduplicated && budget_left {
                RetryDecision::RetryAfter(self.delay(attempts, error.retry_after()))
            } else if deduplicated {
                RetryDecision::Unknown(format!(
                    "{} (no answer after {attempts} attempts; the platform deduplicates, so resending is safe)",
                    error.message()
                ))
            } else {
                RetryDecision::Unknown(format!(
                    "{}; the platform may have received it: check before resending",
                    error.message()
                ))
            };
        }
        if !error.is_temporary() {
            return RetryDecision::Fail(error.message().to_string());
        }
        if budget_left {
            RetryDecision::RetryAfter(self.delay(attempts, error.retry_after()))
        } else {
            RetryDecision::Fail(format!("{} (gave up after {attempts} attempts)", error.message()))
        }
    }
}

/// What to do with a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again after this long.
    RetryAfter(Duration),
    /// Give up: the message failed, for this reason.
    Fail(String),
    /// It may have been delivered and cannot be resent safely: a person must check.
    Unknown(String),
}

/// A uniform number in `[0, 1)`, from the standard library's per-hasher random keys: jitter
/// needs spread, not cryptographic quality, and this keeps the dependency list short.
fn random_unit() -> f64 {
    let bits = RandomState::new().hash_one(std::time::SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_stay_in_the_upper_half() {
        let policy = RetryPolicy::new(10, Duration::from_secs(1), Duration::from_secs(8));
        for (attempts, base) in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (40, 8)] {
            let base = Duration::from_secs(base);
            for _ in 0..20 {
                let delay = policy.delay(attempts, None);
                assert!(
                    delay >= base / 2 && delay <= base,
                    "attempt {attempts}: {delay:?} outside {base:?}/2..{base:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        let policy = RetryPolicy::default();
        let delays: std::collections::HashSet<Duration> = (0..50).map(|_| policy.delay(3, None)).collect();
        assert!(delays.len() > 10, "only {} distinct delays out of 50", delays.len());
    }

    #[test]
    fn the_budget_turns_temporary_failures_into_failures_with_the_reason() {
        let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(1));
        let unavailable = Error::new(ErrorKind::PlatformUnavailable, "the platform answered 503");
        assert!(matches!(policy.decide(&unavailable, 2, false), RetryDecision::RetryAfter(_)));
        match policy.decide(&unavailable, 3, false) {
            RetryDecision::Fail(reason) => {
                assert!(reason.contains("503") && reason.contains("gave up after 3 attempts"), "{reason}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn permanent_errors_are_never_retried() {
        let policy = RetryPolicy::default();
        let window = Error::new(ErrorKind::MessagingWindowClosed, "the 24-hour window is closed");
        assert_eq!(policy.decide(&window, 1, true), RetryDecision::Fail("the 24-hour window is closed".into()));
        let exhausted = Error::new(ErrorKind::RateLimited, "quota").persistent();
        assert!(matches!(policy.decide(&exhausted, 1, true), RetryDecision::Fail(_)));
    }
}
