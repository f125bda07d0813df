//! [`EventTimeBounds`]: how far an event's own timestamp may stray from the moment it was
//! received before the hub stops believing it.
//!
//! A conversation sorts by its last event's time and a messaging window counts from the
//! customer's last message, so a timestamp of `i64::MAX` would sort its conversation first
//! forever and keep its window open forever; `i64::MIN` or `-1` (1969) would bury it. The hub
//! settles every event's time against its receipt time once, where events are accepted, so
//! every channel and every inbox backend gets the same rule.

use std::time::Duration;

use crate::Timestamp;

/// How far ahead of its receipt an event's time may be by default: clocks of platforms and of
/// this host disagree by seconds, rarely minutes.
pub const DEFAULT_MAX_AHEAD_OF_RECEIPT: Duration = Duration::from_secs(5 * 60);
/// How far behind its receipt an event's time may be by default: platforms redeliver for days
/// and history imports reach back months, never years.
pub const DEFAULT_MAX_BEHIND_RECEIPT: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// The bounds, around the receipt time, within which an event's timestamp is kept as sent.
///
/// Outside them the time is clamped, and [`settle`](Self::settle) says why:
///
/// - **ahead of receipt** by more than `max_ahead`: the event is dated at its receipt, the
///   moment it demonstrably existed; a messaging window then counts from receipt, as it does
///   for any message that just arrived, and closes on time;
/// - **behind receipt** by more than `max_behind`: the event is dated `max_behind` before its
///   receipt, older than any messaging window, so it never opens one, and it sorts as old.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::Timestamp;
/// use unibox_core::hub::{EventTimeAdjustment, EventTimeBounds};
///
/// let bounds = EventTimeBounds::default();
/// let received = Timestamp::from_unix_seconds(1_764_000_000);
/// let mut far_future = Timestamp::from_unix_millis(i64::MAX);
/// assert_eq!(bounds.settle(&mut far_future, received), Some(EventTimeAdjustment::AheadOfReceipt));
/// assert_eq!(far_future, received);
///
/// let mut fine = received.saturating_sub(Duration::from_secs(3));
/// assert_eq!(bounds.settle(&mut fine, received), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTimeBounds {
    max_ahead: Duration,
    max_behind: Duration,
}

/// Why an event's time was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventTimeAdjustment {
    /// It was further ahead of its receipt than allowed; it is now the receipt time.
    AheadOfReceipt,
    /// It was further behind its receipt than allowed; it is now the oldest time allowed.
    BehindReceipt,
}

impl EventTimeAdjustment {
    /// A stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            EventTimeAdjustment::AheadOfReceipt => "ahead_of_receipt",
            EventTimeAdjustment::BehindReceipt => "behind_receipt",
        }
    }
}

impl Default for EventTimeBounds {
    fn default() -> Self {
        EventTimeBounds { max_ahead: DEFAULT_MAX_AHEAD_OF_RECEIPT, max_behind: DEFAULT_MAX_BEHIND_RECEIPT }
    }
}

impl EventTimeBounds {
    /// Bounds of `max_ahead` after and `max_behind` before the receipt time.
    pub fn new(max_ahead: Duration, max_behind: Duration) -> Self {
        EventTimeBounds { max_ahead, max_behind }
    }

    /// Clamps `occurred_at` into the bounds around `received_at`; returns why when it changed.
    pub fn settle(&self, occurred_at: &mut Timestamp, received_at: Timestamp) -> Option<EventTimeAdjustment> {
        if *occurred_at > received_at.saturating_add(self.max_ahead) {
            *occurred_at = received_at;
            return Some(EventTimeAdjustment::AheadOfReceipt);
        }
        let oldest = received_at.saturating_sub(self.max_behind);
        if *occurred_at < oldest {
            *occurred_at = oldest;
            return Some(EventTimeAdjustment::BehindReceipt);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_and_pre_epoch_times_are_clamped_and_plausible_ones_kept() {
        let bounds = EventTimeBounds::new(Duration::from_secs(60), Duration::from_secs(86_400));
        let received = Timestamp::from_unix_seconds(1_764_000_000);
        let oldest = received.saturating_sub(Duration::from_secs(86_400));
        let cases = [
            (i64::MAX, Some(EventTimeAdjustment::AheadOfReceipt), received),
            (i64::MIN, Some(EventTimeAdjustment::BehindReceipt), oldest),
            (-1, Some(EventTimeAdjustment::BehindReceipt), oldest),
            (0, Some(EventTimeAdjustment::BehindReceipt), oldest),
        ];
        for (millis, adjustment, settled) in cases {
            let mut at = Timestamp::from_unix_millis(millis);
            assert_eq!(bounds.settle(&mut at, received), adjustment, "{millis}");
            assert_eq!(at, settled, "{millis}");
        }
        for kept in [received, received.saturating_add(Duration::from_secs(60)), oldest] {
            let mut at = kept;
            assert_eq!(bounds.settle(&mut at, received), None);
            assert_eq!(at, kept);
        }
    }
}
