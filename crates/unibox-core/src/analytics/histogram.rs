//! A compact latency histogram: exact below 64 ms, within 1/64 (1.6%) of the true value above,
//! in at most a few hundred sparse buckets for any realistic spread. Histograms add, so
//! per-day and per-agent tallies combine into any range without going back to the messages.

use std::time::Duration;

use crate::{Error, ErrorKind, Result};

/// Values below this many milliseconds get a bucket each.
const LINEAR: u64 = 64;
/// Sub-buckets per power of two above [`LINEAR`], as a bit count.
const SUB_BITS: u32 = 5;
const SUB_BUCKETS: u64 = 1 << SUB_BITS;
/// One past the largest bucket (the bucket of `u64::MAX`).
const BUCKETS: usize = (LINEAR + (63 - 6) * SUB_BUCKETS + SUB_BUCKETS) as usize;

/// A histogram of durations in milliseconds, log-linear: buckets are one millisecond wide up to
/// 64 ms, then 32 per power of two, so a reported percentile is within 1/64 of the truth.
///
/// Stored sparse (only buckets that were hit, in order), so a tally of one day of one agent
/// stays small.
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
/// assert!((median - 60.0).abs() <= 60.0 / 64.0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// (bucket, count), strictly increasing by bucket, counts above zero.
    buckets: Vec<(u16, u64)>,
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one duration.
    pub fn record(&mut self, duration: Duration) {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let bucket = bucket_of(millis);
        match self.buckets.binary_search_by_key(&bucket, |(b, _)| *b) {
            Ok(at) => self.buckets[at].1 += 1,
            Err(at) => self.buckets.insert(at, (bucket, 1)),
        }
    }

    /// Adds every duration of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.buckets.is_empty() {
            return;
        }
        let (mine, theirs) = (&self.buckets, &other.buckets);
        let mut merged = Vec::with_capacity(mine.len() + theirs.len());
        let (mut i, mut j) = (0, 0);
        while i < mine.len() && j < theirs.len() {
            let (a, b) = (mine[i], theirs[j]);
            if a.0 == b.0 {
                merged.push((a.0, a.1 + b.1));
                i += 1;
                j += 1;
            } else if a.0 < b.0 {
                merged.push(a);
                i += 1;
            } else {
                merged.push(b);
                j += 1;
            }
        }
        merged.extend_from_slice(&mine[i..]);
        merged.extend_from_slice(&theirs[j..]);
        self.buckets = merged;
    }

    /// How many durations it holds.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, count)| count).sum()
    }

    /// The `quantile` (0.0 to 1.0) by nearest rank, or `None` when empty.
    pub fn percentile(&self, quantile: f64) -> Option<Duration> {
        percentile_of(self.buckets.iter().copied(), self.count(), quantile)
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

    /// Reads [`to_bytes`](Self::to_bytes) back; a torn length or a bucket out of range is a
    /// [`ErrorKind::Storage`] error (the stored value was damaged).
    ///
    /// ```
    /// use unibox_core::analytics::LatencyHistogram;
    /// let mut histogram = LatencyHistogram::new();
    /// histogram.record(std::time::Duration::from_millis(4_321));
    /// assert_eq!(LatencyHistogram::from_bytes(&histogram.to_bytes()).unwrap(), histogram);
    /// assert!(LatencyHistogram::from_bytes(&[1, 2, 3]).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let damaged = || Error::new(ErrorKind::Storage, "a stored latency histogram is damaged");
        if !bytes.len().is_multiple_of(10) {
            return Err(damaged());
        }
        let mut buckets: Vec<(u16, u64)> = Vec::with_capacity(bytes.len() / 10);
        let mut ordered = true;
        for pair in bytes.chunks_exact(10) {
            let bucket = u16::from_le_bytes([pair[0], pair[1]]);
            let mut count = [0u8; 8];
            count.copy_from_slice(&pair[2..]);
            let count = u64::from_le_bytes(count);
            if usize::from(bucket) >= BUCKETS {
                return Err(damaged());
            }
            ordered &= buckets.last().is_none_or(|(last, _)| *last < bucket);
            if count > 0 {
                buckets.push((bucket, count));
            }
        }
        if !ordered {
            // Not written by `to_bytes`, but still meaningful: put it in order.
            buckets.sort_unstable_by_key(|(bucket, _)| *bucket);
            buckets.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    earlier.1 += later.1;
                }
                same
            });
        }
        Ok(LatencyHistogram { buckets })
    }
}

/// A histogram being added up for a report: one counter per bucket, so adding a stored tally
/// costs one addition per bucket it hit.
#[derive(Clone, Debug, Default)]
pub(crate) struct DenseHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl DenseHistogram {
    pub(crate) fn add(&mut self, histogram: &LatencyHistogram) {
        if histogram.buckets.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        for (bucket, count) in &histogram.buckets {
            self.counts[usize::from(*bucket)] += count;
            self.total += count;
        }
    }

    pub(crate) fn percentile(&self, quantile: f64) -> Option<Duration> {
        let hit = self.counts.iter().enumerate().filter(|(_, count)| **count > 0);
        percentile_of(hit.map(|(bucket, count)| (bucket as u16, *count)), self.total, quantile)
    }
}

/// Nearest rank over buckets in order: the smallest value with at least `quantile` of the
/// values at or below it.
fn percentile_of(buckets: impl Iterator<Item = (u16, u64)>, count: u64, quantile: f64) -> Option<Duration> {
    if count == 0 {
        return None;
    }
    let rank = ((quantile.clamp(0.0, 1.0) * count as f64).ceil() as u64).clamp(1, count);
    let mut seen = 0;
    for (bucket, bucket_count) in buckets {
        seen += bucket_count;
        if seen >= rank {
            return Some(Duration::from_millis(representative(bucket)));
        }
    }
    None
}

fn bucket_of(millis: u64) -> u16 {
    if millis < LINEAR {
        return millis as u16;
    }
    let exponent = u64::from(63 - millis.leading_zeros());
    let sub = (millis >> (exponent - u64::from(SUB_BITS))) & (SUB_BUCKETS - 1);
    (LINEAR + (exponent - 6) * SUB_BUCKETS + sub) as u16
}

/// The middle of a bucket (its only value below [`LINEAR`]).
fn representative(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < LINEAR {
        return bucket;
    }
    let exponent = (bucket - LINEAR) / SUB_BUCKETS + 6;
    let sub = (bucket - LINEAR) % SUB_BUCKETS;
    let shift = exponent - u64::from(SUB_BITS);
    let low = (SUB_BUCKETS + sub) << shift;
    low + (1u64 << shift) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_large_ones_within_a_64th() {
        for millis in [0, 1, 63, 64, 65, 127, 128, 255, 256, 1_000, 59_999, 90_000, 3_600_000, 86_400_000, u64::MAX / 2]
        {
            let mut histogram = LatencyHistogram::new();
            histogram.record(Duration::from_millis(millis));
            let got = histogram.percentile(0.5).unwrap().as_millis() as u64;
            if millis < LINEAR {
                assert_eq!(got, millis);
            } else {
                let error = got.abs_diff(millis) as f64 / millis as f64;
                assert!(error <= 1.0 / 64.0, "{millis} ms reported as {got} ms");
            }
        }
    }

    #[test]
    fn buckets_are_ordered_like_their_values_and_in_range() {
        let mut previous = 0;
        for millis in (0..20_000).chain([1 << 40, u64::MAX]) {
            let bucket = bucket_of(millis);
            assert!(bucket >= previous, "{millis}");
            assert!(usize::from(bucket) < BUCKETS);
            previous = bucket;
        }
        assert_eq!(usize::from(bucket_of(u64::MAX)), BUCKETS - 1);
    }

    #[test]
    fn nearest_rank_percentiles_of_a_hand_computed_set() {
        let mut histogram = LatencyHistogram::new();
        for millis in (1..=50).rev() {
            histogram.record(Duration::from_millis(millis));
        }
        assert_eq!(histogram.percentile(0.5), Some(Duration::from_millis(25)));
        assert_eq!(histogram.percentile(0.9), Some(Duration::from_millis(45)));
        assert_eq!(histogram.percentile(0.99), Some(Duration::from_millis(50)));
        assert_eq!(histogram.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(LatencyHistogram::new().percentile(0.5), None);
        let mut dense = DenseHistogram::default();
        dense.add(&histogram);
        assert_eq!(dense.percentile(0.9), Some(Duration::from_millis(45)), "dense and sparse agree");
    }

    #[test]
    fn merging_adds_counts_and_keeps_order() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        a.record(Duration::from_millis(5));
        a.record(Duration::from_secs(3));
        b.record(Duration::from_millis(5));
        b.record(Duration::from_secs(60));
        b.record(Duration::from_millis(1));
        a.merge(&b);
        assert_eq!(a.count(), 5);
        assert_eq!(a.percentile(0.5), Some(Duration::from_millis(5)));
        assert!(a.buckets.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn damaged_bytes_are_refused_and_unordered_ones_repaired() {
        let mut bytes = Vec::new();
        for (bucket, count) in [(9u16, 2u64), (3, 1), (9, 1)] {
            bytes.extend_from_slice(&bucket.to_le_bytes());
            bytes.extend_from_slice(&count.to_le_bytes());
        }
        let histogram = LatencyHistogram::from_bytes(&bytes).unwrap();
        assert_eq!(histogram.buckets, vec![(3, 1), (9, 3)]);
        let mut out_of_range = u16::MAX.to_le_bytes().to_vec();
        out_of_range.extend_from_slice(&1u64.to_le_bytes());
        assert_eq!(LatencyHistogram::from_bytes(&out_of_range).unwrap_err().kind(), ErrorKind::Storage);
    }
}
