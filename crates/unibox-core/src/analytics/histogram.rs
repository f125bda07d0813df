//! A compact latency histogram: exact below 128 ms, within 1/128 (0.8%) of the true value
//! above, in at most a few thousand sparse buckets. Histograms add, so per-day and per-agent
//! tallies combine into any range without going back to the messages.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{Error, ErrorKind, Result};

/// Values below this many milliseconds get a bucket each.
const LINEAR: u64 = 128;
/// Sub-buckets per power of two above [`LINEAR`].
const SUB_BUCKETS: u64 = 64;

/// A histogram of durations in milliseconds, log-linear: buckets are one millisecond wide up to
/// 128 ms, then 64 per power of two, so a reported percentile is within 1/128 of the truth.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::analytics::LatencyHistogram;
/// let mut histogram = LatencyHistogram::new();
/// for seconds in [30, 60, 90, 120] {
///     histogram.record(Duration::from_secs(seconds));
/// }
/// assert_eq!(histogram.count(), 4);
/// let median = histogram.percentile(0.5).unwrap().as_secs_f64();
/// assert!((median - 60.0).abs() <= 60.0 / 128.0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    buckets: BTreeMap<u16, u64>,
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one duration.
    pub fn record(&mut self, duration: Duration) {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        *self.buckets.entry(bucket_of(millis)).or_default() += 1;
    }

    /// Adds every duration of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (bucket, count) in &other.buckets {
            *self.buckets.entry(*bucket).or_default() += count;
        }
    }

    /// How many durations it holds.
    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// The `quantile` (0.0 to 1.0) by nearest rank, or `None` when empty.
    pub fn percentile(&self, quantile: f64) -> Option<Duration> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let quantile = quantile.clamp(0.0, 1.0);
        // Nearest rank: the smallest value with at least `quantile` of the values at or below it.
        let rank = ((quantile * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for (bucket, bucket_count) in &self.buckets {
            seen += bucket_count;
            if seen >= rank {
                return Some(Duration::from_millis(representative(*bucket)));
            }
        }
        None
    }

    /// A compact binary form for storage: (bucket u16, count u64) little-endian pairs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.buckets.len() * 10);
        for (bucket, count) in &self.buckets {
            bytes.extend_from_slice(&bucket.to_le_bytes());
            bytes.extend_from_slice(&count.to_le_bytes());
        }
        bytes
    }

    /// Reads [`to_bytes`](Self::to_bytes) back.
    ///
    /// ```
    /// use unibox_core::analytics::LatencyHistogram;
    /// let mut histogram = LatencyHistogram::new();
    /// histogram.record(std::time::Duration::from_millis(4_321));
    /// assert_eq!(LatencyHistogram::from_bytes(&histogram.to_bytes()).unwrap(), histogram);
    /// assert!(LatencyHistogram::from_bytes(&[1, 2, 3]).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if !bytes.len().is_multiple_of(10) {
            return Err(Error::new(ErrorKind::Storage, "a stored latency histogram has a torn length"));
        }
        let mut buckets = BTreeMap::new();
        for pair in bytes.chunks_exact(10) {
            let bucket = u16::from_le_bytes([pair[0], pair[1]]);
            let mut count = [0u8; 8];
            count.copy_from_slice(&pair[2..]);
            *buckets.entry(bucket).or_default() += u64::from_le_bytes(count);
        }
        Ok(LatencyHistogram { buckets })
    }
}

fn bucket_of(millis: u64) -> u16 {
    if millis < LINEAR {
        return millis as u16;
    }
    let exponent = u64::from(63 - millis.leading_zeros());
    let sub = (millis >> (exponent - 6)) & (SUB_BUCKETS - 1);
    (LINEAR + (exponent - 7) * SUB_BUCKETS + sub) as u16
}

/// The middle of a bucket (its only value below [`LINEAR`]).
fn representative(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < LINEAR {
        return bucket;
    }
    let exponent = (bucket - LINEAR) / SUB_BUCKETS + 7;
    let sub = (bucket - LINEAR) % SUB_BUCKETS;
    let width = 1u64 << (exponent - 6);
    let low = (SUB_BUCKETS + sub) << (exponent - 6);
    low + width / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_large_ones_within_a_128th() {
        for millis in [0, 1, 127, 128, 129, 255, 256, 1_000, 59_999, 90_000, 3_600_000, 86_400_000, u64::MAX / 2] {
            let mut histogram = LatencyHistogram::new();
            histogram.record(Duration::from_millis(millis));
            let got = histogram.percentile(0.5).unwrap().as_millis() as u64;
            if millis < LINEAR {
                assert_eq!(got, millis);
            } else {
                let error = got.abs_diff(millis) as f64 / millis as f64;
                assert!(error <= 1.0 / 128.0, "{millis} ms reported as {got} ms");
            }
        }
    }

    #[test]
    fn buckets_are_ordered_like_their_values() {
        let mut previous = 0;
        for millis in (0..20_000).chain([1 << 40, u64::MAX]) {
            let bucket = bucket_of(millis);
            assert!(bucket >= previous, "{millis}");
            previous = bucket;
        }
    }

    #[test]
    fn nearest_rank_percentiles_of_a_hand_computed_set() {
        let mut histogram = LatencyHistogram::new();
        for millis in 1..=100 {
            histogram.record(Duration::from_millis(millis));
        }
        assert_eq!(histogram.percentile(0.5), Some(Duration::from_millis(50)));
        assert_eq!(histogram.percentile(0.9), Some(Duration::from_millis(90)));
        assert_eq!(histogram.percentile(0.99), Some(Duration::from_millis(99)));
        assert_eq!(histogram.percentile(1.0), Some(Duration::from_millis(100)));
        assert_eq!(histogram.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(LatencyHistogram::new().percentile(0.5), None);
    }

    #[test]
    fn merging_adds_counts() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        a.record(Duration::from_millis(5));
        b.record(Duration::from_millis(5));
        b.record(Duration::from_secs(60));
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.percentile(0.5), Some(Duration::from_millis(5)));
    }
}
