//! A bounded, in-memory memory of recently verified deliveries, so that an exact replay of a
//! captured request is refused while its timestamp is still inside the tolerance.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher, RandomState};
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
///
/// Pairs are stored as 64-bit fingerprints from a randomly keyed SipHash, so the guard
/// allocates nothing per delivery. Two different pairs share a fingerprint with probability
/// about 2⁻⁶⁴ per stored entry; the worst outcome would be one authentic delivery refused as
/// a replay, which the sender then retries with a new timestamp.
pub(crate) struct ReplayGuard {
    capacity: usize,
    tolerance: Duration,
    keys: RandomState,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    fingerprints: HashSet<u64>,
    /// Fingerprints with their timestamps, oldest insertion first.
    order: VecDeque<(u64, i64)>,
}

impl ReplayGuard {
    pub(crate) fn new(capacity: usize, tolerance: Duration) -> Self {
        ReplayGuard {
            capacity: capacity.max(1),
            tolerance,
            keys: RandomState::new(),
            seen: Mutex::new(Seen::default()),
        }
    }

    fn fingerprint(&self, id: &str, timestamp: i64) -> u64 {
        let mut hasher = self.keys.build_hasher();
        hasher.write(id.as_bytes());
        // Ids never contain '.', so it separates the id from the timestamp unambiguously.
        hasher.write_u8(b'.');
        hasher.write_i64(timestamp);
        hasher.finish()
    }

    /// Records the pair; returns false when it was already recorded (a replay).
    pub(crate) fn first_time(&self, id: &str, timestamp: i64, now: Timestamp) -> bool {
        let fingerprint = self.fingerprint(id, timestamp);
        // A poisoned lock only means another thread panicked while holding it; the set is
        // still consistent (every mutation below is a single insert or remove pair).
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.fingerprints.contains(&fingerprint) {
            return false;
        }
        let oldest_useful = now.saturating_sub(self.tolerance).as_unix_seconds();
        while let Some(&(old, old_timestamp)) = seen.order.front() {
            if old_timestamp >= oldest_useful && seen.order.len() < self.capacity {
                break;
            }
            seen.order.pop_front();
            seen.fingerprints.remove(&old);
        }
        seen.fingerprints.insert(fingerprint);
        seen.order.push_back((fingerprint, timestamp));
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().map(|s| s.fingerprints.len()).unwrap_or(0)
    }
}

impl std::fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayGuard").field("capacity", &self.capacity).field("tolerance", &self.tolerance).finish()
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
