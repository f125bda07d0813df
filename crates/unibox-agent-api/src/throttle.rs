//! Sign-in throttling: failed sign-ins are counted per account (tenant and user) and per
//! client address; past a few free failures each further one locks the key for twice as long
//! as the last (up to a cap), and a locked key is answered `429` with `Retry-After` before the
//! password is even checked. Unknown users are counted exactly like known ones, so the answers
//! never tell whether an account exists.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How failed sign-ins are throttled.
///
/// Defaults: 5 free failures per account and 20 per client address (many people can share
/// one address), then a lock of 1 s that doubles with each further failure up to 15 minutes;
/// failures are forgotten after 1 hour without one. A successful sign-in clears its account's
/// count (not its address's).
///
/// ```
/// use std::time::Duration;
/// use unibox_agent_api::ThrottleConfig;
/// let config = ThrottleConfig::default().free_failures(3).base_delay(Duration::from_secs(2));
/// assert_eq!(config.delay_after(3), None);
/// assert_eq!(config.delay_after(4), Some(Duration::from_secs(2)));
/// assert_eq!(config.delay_after(6), Some(Duration::from_secs(8)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleConfig {
    free_failures: u32,
    free_failures_per_address: u32,
    base_delay: Duration,
    max_delay: Duration,
    forget_after: Duration,
    max_tracked: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            free_failures: 5,
            free_failures_per_address: 20,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(3600),
            max_tracked: 100_000,
        }
    }
}

impl ThrottleConfig {
    /// Failures of one account allowed before it is locked (default 5).
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default().free_failures(10);
    /// ```
    pub fn free_failures(mut self, failures: u32) -> Self {
        self.free_failures = failures;
        self
    }

    /// Failures from one client address allowed before it is locked (default 20).
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default().free_failures_per_address(50);
    /// ```
    pub fn free_failures_per_address(mut self, failures: u32) -> Self {
        self.free_failures_per_address = failures;
        self
    }

    /// The first lock's length (default 1 s); each further failure doubles it.
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default().base_delay(std::time::Duration::from_secs(5));
    /// ```
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay.max(Duration::from_millis(1));
        self
    }

    /// The longest lock (default 15 minutes).
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default().max_delay(std::time::Duration::from_secs(3600));
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How long without a failure before a key's failures are forgotten (default 1 hour).
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default().forget_after(std::time::Duration::from_secs(600));
    /// ```
    pub fn forget_after(mut self, quiet: Duration) -> Self {
        self.forget_after = quiet;
        self
    }

    /// The lock after the `failures`-th failure of an account: `None` while it is free.
    ///
    /// ```
    /// let config = unibox_agent_api::ThrottleConfig::default();
    /// assert_eq!(config.delay_after(5), None);
    /// assert_eq!(config.delay_after(6), Some(std::time::Duration::from_secs(1)));
    /// assert_eq!(config.delay_after(60), Some(std::time::Duration::from_secs(900)));
    /// ```
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        delay(self.free_failures, failures, self.base_delay, self.max_delay)
    }
}

fn delay(free: u32, failures: u32, base: Duration, max: Duration) -> Option<Duration> {
    let beyond = failures.checked_sub(free).filter(|n| *n > 0)?;
    let factor = 1u32.checked_shl(beyond - 1).unwrap_or(u32::MAX);
    Some(base.saturating_mul(factor).min(max))
}

/// What is counted: an account, or a client address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(String, String),
    Address(IpAddr),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

/// The counts, in memory (one process; a restart forgets them, which only gives an attacker
/// the free failures again).
#[derive(Debug)]
pub(crate) struct SignInThrottle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<Key, Entry>>,
}

/// The keys of one sign-in attempt.
pub(crate) struct Attempt {
    keys: Vec<Key>,
}

impl Attempt {
    /// An attempt on `tenant`/`user` (as typed: the keys are bounded and case-folded, so the
    /// same account is one key however it is spelt) from `address`, when known.
    pub(crate) fn new(tenant: &str, user: &str, address: Option<IpAddr>) -> Attempt {
        let fold = |s: &str| s.trim().chars().take(128).flat_map(char::to_lowercase).collect::<String>();
        let mut keys = vec![Key::Account(fold(tenant), fold(user))];
        if let Some(address) = address {
            keys.push(Key::Address(network_of(address)));
        }
        Attempt { keys }
    }
}

/// An IPv6 client is counted by its /64 network: one host usually holds a whole /64.
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

impl SignInThrottle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        SignInThrottle { config, entries: Mutex::new(HashMap::new()) }
    }

    fn free_failures(&self, key: &Key) -> u32 {
        match key {
            Key::Account(..) => self.config.free_failures,
            Key::Address(_) => self.config.free_failures_per_address,
        }
    }

    /// How long the attempt must wait, if any of its keys is locked.
    pub(crate) fn locked_for(&self, attempt: &Attempt) -> Option<Duration> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        attempt
            .keys
            .iter()
            .filter_map(|key| entries.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Counts a failure; returns the lock it started, if it started one.
    pub(crate) fn failed(&self, attempt: &Attempt) -> Option<Duration> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= self.config.max_tracked {
            self.prune(&mut entries, now);
        }
        let mut started = None;
        for key in &attempt.keys {
            let free = self.free_failures(key);
            let entry =
                entries.entry(key.clone()).or_insert(Entry { failures: 0, last_failure: now, locked_until: None });
            if now.duration_since(entry.last_failure) >= self.config.forget_after {
                *entry = Entry { failures: 0, last_failure: now, locked_until: None };
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            if let Some(lock) = delay(free, entry.failures, self.config.base_delay, self.config.max_delay) {
                entry.locked_until = Some(now + lock);
                started = started.max(Some(lock));
            }
        }
        started
    }

    /// A successful sign-in: the account's failures are forgotten.
    pub(crate) fn succeeded(&self, attempt: &Attempt) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in attempt.keys.iter().filter(|key| matches!(key, Key::Account(..))) {
            entries.remove(key);
        }
    }

    /// Keeps memory bounded: forgets what is no longer locked nor recent, then, if still full,
    /// everything not locked now.
    fn prune(&self, entries: &mut HashMap<Key, Entry>, now: Instant) {
        let forget_after = self.config.forget_after;
        entries.retain(|_, entry| {
            entry.locked_until.is_some_and(|until| until > now) || now.duration_since(entry.last_failure) < forget_after
        });
        if entries.len() >= self.config.max_tracked {
            entries.retain(|_, entry| entry.locked_until.is_some_and(|until| until > now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(user: &str, address: &str) -> Attempt {
        Attempt::new("acme", user, Some(address.parse().unwrap()))
    }

    #[test]
    fn an_account_is_locked_after_its_free_failures_for_doubling_times() {
        let throttle =
            SignInThrottle::new(ThrottleConfig::default().free_failures(2).base_delay(Duration::from_secs(10)));
        let ann = attempt("ann", "192.0.2.1");
        assert_eq!(throttle.failed(&ann), None);
        assert_eq!(throttle.failed(&ann), None);
        assert_eq!(throttle.locked_for(&ann), None);
        assert_eq!(throttle.failed(&ann), Some(Duration::from_secs(10)));
        assert!(throttle.locked_for(&ann).is_some_and(|wait| wait > Duration::from_secs(9)));
        assert_eq!(throttle.failed(&ann), Some(Duration::from_secs(20)));
        // The same account spelt differently, from elsewhere, is the same key.
        assert!(throttle.locked_for(&attempt(" ANN ", "198.51.100.7")).is_some());
        // Another account from the same address is not locked (the address has 20 free).
        assert_eq!(throttle.locked_for(&attempt("bob", "192.0.2.1")), None);
        throttle.succeeded(&ann);
        assert_eq!(throttle.locked_for(&attempt("ann", "198.51.100.7")), None);
    }

    #[test]
    fn an_address_is_locked_after_its_own_free_failures_across_accounts() {
        let config = ThrottleConfig::default().free_failures_per_address(3);
        let throttle = SignInThrottle::new(config);
        for user in ["a", "b", "c"] {
            assert_eq!(throttle.failed(&attempt(user, "2001:db8::1")), None);
        }
        assert!(throttle.failed(&attempt("d", "2001:db8::2")).is_some(), "one /64 is one client");
        assert!(throttle.locked_for(&attempt("e", "2001:db8::ffff")).is_some());
        assert_eq!(throttle.locked_for(&attempt("e", "2001:db8:1::1")), None);
        assert_eq!(throttle.locked_for(&Attempt::new("acme", "e", None)), None);
    }

    #[test]
    fn delays_are_capped_and_never_overflow() {
        let config = ThrottleConfig::default();
        assert_eq!(config.delay_after(u32::MAX), Some(Duration::from_secs(900)));
        assert_eq!(config.delay_after(0), None);
    }
}
