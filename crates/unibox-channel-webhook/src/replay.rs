//! A bounded, in-memory memory of recently verified deliveries, so that an exact replay of a
//! captured request is refused while its timestamp is still inside the tolerance.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use unibox_core::Timestamp;

/// Remembers `(webhook-id, webhook-timestamp)` pairs that passed verification.
///
/// A sender's retry of the same message carries the same `webhook-id` but a new timestamp
/// (and so a new signature); only a byte-for-byte replay repeats both, which is why the pair is
/// the key. Entries whose timestamp has left the tolerance window are dropped first: such a
/// replay fails the timestamp check anyway. Past the capacity the oldest entry is dropped, so
/// memory stays bounded under a flood; the inbox's event-id deduplication remains the durable
/// defence.
#[derive(Debug)]
pub(crate) struct ReplayGuard {
    capacity: usize,
    tolerance: Duration,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    keys: HashSet<(Box<str>, i64)>,
    order: VecDeque<(Box<str>, i64)>,
}

impl ReplayGuard {
    pub(crate) fn new(capacity: usize, tolerance: Duration) -> Self {
        ReplayGuard { capacity: capacity.max(1), tolerance, seen: Mutex::new(Seen::default()) }
    }

    /// Records the pair; returns false when it was already recorded (a replay).
    pub(crate) fn first_time(&self, id: &str, timestamp: i64, now: Timestamp) -> bool {
        // A poisoned lock only means another thread panicked while holding it; the set is
        // still consistent (every mutation below is a single insert or remove pair).
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (Box::<str>::from(id), timestamp);
        if seen.keys.contains(&key) {
            return false;
        }
        let oldest_useful = now.saturating_sub(self.tolerance).as_unix_seconds();
        while let Some((_, front_timestamp)) = seen.order.front() {
            if *front_timestamp >= oldest_useful && seen.order.len() < self.capacity {
                break;
            }
            if let Some(old) = seen.order.pop_front() {
                seen.keys.remove(&old);
            }
        }
        seen.keys.insert(key.clone());
        seen.order.push_back(key);
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().map(|s| s.order.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOLERANCE: Duration = Duration::from_secs(300);

    #[test]
    fn the_same_id_and_timestamp_are_accepted_once() {
        let guard = ReplayGuard::new(10, TOLERANCE);
        let now = Timestamp::from_unix_seconds(1_000_000);
        assert!(guard.first_time("msg_1", 1_000_000, now));
        assert!(!guard.first_time("msg_1", 1_000_000, now));
    }

    #[test]
    fn a_retry_with_a_new_timestamp_is_not_a_replay() {
        let guard = ReplayGuard::new(10, TOLERANCE);
        let now = Timestamp::from_unix_seconds(1_000_000);
        assert!(guard.first_time("msg_1", 999_990, now));
        assert!(guard.first_time("msg_1", 1_000_000, now));
    }

    #[test]
    fn memory_stays_within_capacity_under_a_flood() {
        let guard = ReplayGuard::new(3, TOLERANCE);
        let now = Timestamp::from_unix_seconds(1_000_000);
        for n in 0..100 {
            assert!(guard.first_time(&format!("msg_{n}"), 1_000_000, now));
        }
        assert_eq!(guard.len(), 3);
        assert!(!guard.first_time("msg_99", 1_000_000, now));
    }

    #[test]
    fn entries_outside_the_tolerance_are_dropped_first() {
        let guard = ReplayGuard::new(100, TOLERANCE);
        let start = Timestamp::from_unix_seconds(1_000_000);
        assert!(guard.first_time("old", 1_000_000, start));
        let later = start.saturating_add(Duration::from_secs(301));
        assert!(guard.first_time("new", 1_000_301, later));
        assert_eq!(guard.len(), 1);
    }
}
