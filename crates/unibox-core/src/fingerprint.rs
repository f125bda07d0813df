//! 128-bit keyed fingerprints: a small, allocation-free stand-in for a key made of several
//! strings, for in-memory sets and maps that must stay bounded (events waiting in a journal,
//! reply tokens by chat).
//!
//! A [`Fingerprinter`] draws two independent random SipHash keys when it is created, so the
//! fingerprints of one process cannot be predicted from outside it and two different values
//! share a fingerprint about as likely as someone guessing a 128-bit key. They are not stable
//! across processes: never store them.

use std::hash::{BuildHasher, Hash, RandomState};

/// Computes 128-bit keyed fingerprints of hashable values.
///
/// # Examples
///
/// ```
/// use unibox_core::fingerprint::Fingerprinter;
///
/// let fingerprints = Fingerprinter::new();
/// let chat = fingerprints.fingerprint(&("U4af4980629c37e7b3ad0a4e2e0a8b2ed", "Uc0ffee"));
/// assert_eq!(chat, fingerprints.fingerprint(&("U4af4980629c37e7b3ad0a4e2e0a8b2ed", "Uc0ffee")));
/// // The parts are kept apart: moving a character from one to the other is another value.
/// assert_ne!(chat, fingerprints.fingerprint(&("U4af4980629c37e7b3ad0a4e2e0a8b2edU", "c0ffee")));
/// ```
#[derive(Debug, Default)]
pub struct Fingerprinter {
    keys: (RandomState, RandomState),
}

impl Fingerprinter {
    /// A fingerprinter with fresh random keys.
    pub fn new() -> Self {
        Fingerprinter::default()
    }

    /// The fingerprint of `value` under this fingerprinter's keys.
    pub fn fingerprint<T: Hash + ?Sized>(&self, value: &T) -> u128 {
        (u128::from(self.keys.0.hash_one(value)) << 64) | u128::from(self.keys.1.hash_one(value))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn equal_values_agree_and_distinct_ones_do_not_collide() {
        let fingerprints = Fingerprinter::new();
        let seen: HashSet<u128> =
            (0..100_000).map(|i| fingerprints.fingerprint(&("acme", format!("evt-{i}").as_str()))).collect();
        assert_eq!(seen.len(), 100_000);
        assert!(seen.contains(&fingerprints.fingerprint(&("acme", "evt-99999"))));
    }

    #[test]
    fn two_fingerprinters_have_different_keys() {
        let value = ("acme", "evt-1");
        assert_ne!(Fingerprinter::new().fingerprint(&value), Fingerprinter::new().fingerprint(&value));
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", Fingerprinter::new());
        assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text}");
    }
}
