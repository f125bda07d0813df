//! Keeping under a platform's sending limits: a GCRA (generic cell rate algorithm) per channel
//! account and per recipient, and a count per channel account and UTC day for daily quotas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::channel::{Rate, RateLimits};
use crate::metering::UsageDay;
use crate::{ChannelAccountId, Error, ErrorKind, Timestamp};

/// When the recipient map holds more keys than this, idle ones are dropped (a key whose
/// theoretical arrival time has passed carries no state worth keeping).
const PRUNE_ABOVE: usize = 10_000;

/// Spaces sends so each channel account and each recipient stays within its [`RateLimits`].
///
/// Each key keeps one instant, its theoretical arrival time (TAT): a send may start once
/// `now >= TAT - (burst - 1) * interval`, and moves the TAT on by one interval. Both the
/// account's and the recipient's limit must allow a send; it then counts against both.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// use std::time::Duration;
/// use unibox_core::channel::{Rate, RateLimits};
/// use unibox_core::delivery::RateLimiter;
/// use unibox_core::ChannelAccountId;
///
/// let limiter = RateLimiter::new();
/// let account = ChannelAccountId::new();
/// let limits = RateLimits { per_recipient: Some(Rate::per_second(1)), ..RateLimits::default() };
/// assert_eq!(limiter.reserve(account, "chat-1", &limits, Duration::from_secs(5)), Ok(Duration::ZERO));
/// // The second message to the same chat waits a second; another chat does not wait.
/// assert_eq!(limiter.reserve(account, "chat-1", &limits, Duration::from_secs(5)), Ok(Duration::from_secs(1)));
/// assert_eq!(limiter.reserve(account, "chat-2", &limits, Duration::from_secs(5)), Ok(Duration::ZERO));
/// # });
/// ```
#[derive(Debug, Default)]
pub struct RateLimiter {
    state: Mutex<Tats>,
    /// Sends counted per account on its current UTC day, for [`RateLimits::per_account_daily`].
    daily: Mutex<HashMap<ChannelAccountId, (UsageDay, u32)>>,
}

#[derive(Debug, Default)]
struct Tats {
    accounts: HashMap<ChannelAccountId, Instant>,
    recipients: HashMap<(ChannelAccountId, String), Instant>,
    /// The size at which `recipients` is next pruned: twice what the last prune left (at least
    /// [`PRUNE_ABOVE`]), so that many recipients still inside their spacing cost a scan per
    /// doubling, not a scan per send.
    prune_at: usize,
}

/// How long a send must wait under `rate` given the key's TAT, at `now`.
fn wait(tat: Option<Instant>, rate: &Rate, now: Instant) -> Duration {
    let Some(tat) = tat else { return Duration::ZERO };
    let tolerance = rate.interval().saturating_mul(rate.count.saturating_sub(1));
    tat.checked_sub(tolerance).map_or(Duration::ZERO, |allowed_at| allowed_at.saturating_duration_since(now))
}

/// The key's TAT after a send that starts at `start`.
fn advance(tat: Option<Instant>, rate: &Rate, start: Instant) -> Instant {
    tat.map_or(start, |tat| tat.max(start)) + rate.interval()
}

impl RateLimiter {
    /// A limiter with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves a send from `account` to `recipient` and returns how long to wait before it
    /// may start, or, when that is longer than `max_wait`, reserves nothing and returns
    /// `Err(wait)`, so the caller can reschedule the send instead of holding it.
    pub fn reserve(
        &self,
        account: ChannelAccountId,
        recipient: &str,
        limits: &RateLimits,
        max_wait: Duration,
    ) -> Result<Duration, Duration> {
        if limits.per_account.is_none() && limits.per_recipient.is_none() {
            return Ok(Duration::ZERO);
        }
        let now = Instant::now();
        let mut tats = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let recipient_key = (account, recipient.to_string());
        let account_tat = tats.accounts.get(&account).copied();
        let recipient_tat = tats.recipients.get(&recipient_key).copied();
        let mut delay = Duration::ZERO;
        if let Some(rate) = &limits.per_account {
            delay = delay.max(wait(account_tat, rate, now));
        }
        if let Some(rate) = &limits.per_recipient {
            delay = delay.max(wait(recipient_tat, rate, now));
        }
        if delay > max_wait {
            return Err(delay);
        }
        let start = now + delay;
        if let Some(rate) = &limits.per_account {
            tats.accounts.insert(account, advance(account_tat, rate, start));
        }
        if let Some(rate) = &limits.per_recipient {
            if tats.recipients.len() >= tats.prune_at.max(PRUNE_ABOVE) {
                tats.recipients.retain(|_, tat| *tat > now);
                tats.prune_at = 2 * tats.recipients.len();
            }
            tats.recipients.insert(recipient_key, advance(recipient_tat, rate, start));
        }
        Ok(delay)
    }
}

impl RateLimiter {
    /// Checks, without counting, that `account` has sends left today under `limits`' daily cap;
    /// otherwise a [`ErrorKind::RateLimited`] error whose [`retry_after`](Error::retry_after) is
    /// the time until the next UTC midnight. The hub checks before it records a send.
    ///
    /// ```
    /// use std::time::Duration;
    /// use unibox_core::channel::RateLimits;
    /// use unibox_core::delivery::RateLimiter;
    /// use unibox_core::{ChannelAccountId, ErrorKind, Timestamp};
    /// let limiter = RateLimiter::new();
    /// let shop = ChannelAccountId::new();
    /// let limits = RateLimits { per_account_daily: Some(1), ..RateLimits::default() };
    /// let noon = Timestamp::from_unix_seconds(1_732_190_400); // 2024-11-21 12:00 UTC
    /// assert!(limiter.check_daily(shop, &limits, noon).is_ok());
    /// limiter.take_daily(shop, &limits, noon).unwrap();
    /// let refused = limiter.check_daily(shop, &limits, noon).unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::RateLimited);
    /// assert_eq!(refused.retry_after(), Some(Duration::from_secs(12 * 3600)));
    /// ```
    pub fn check_daily(&self, account: ChannelAccountId, limits: &RateLimits, now: Timestamp) -> Result<(), Error> {
        self.daily_count(account, limits, now, false)
    }

    /// Counts one send of `account` today, or refuses it like [`check_daily`](RateLimiter::check_daily)
    /// when the cap is reached. The delivery path takes one right before each attempt. Counts
    /// are kept in this process: hubs sharing accounts across processes each count their own.
    pub fn take_daily(&self, account: ChannelAccountId, limits: &RateLimits, now: Timestamp) -> Result<(), Error> {
        self.daily_count(account, limits, now, true)
    }

    fn daily_count(
        &self,
        account: ChannelAccountId,
        limits: &RateLimits,
        now: Timestamp,
        take: bool,
    ) -> Result<(), Error> {
        let Some(cap) = limits.per_account_daily else { return Ok(()) };
        let today = UsageDay::of(now);
        let mut daily = self.daily.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Yesterday's counts say nothing about today: dropped as a new day's first send sees them.
        if daily.len() >= PRUNE_ABOVE {
            daily.retain(|_, (day, _)| *day == today);
        }
        let (day, count) = daily.entry(account).or_insert((today, 0));
        if *day != today {
            *day = today;
            *count = 0;
        }
        if *count >= cap {
            let reset = today.next().start();
            return Err(Error::new(
                ErrorKind::RateLimited,
                format!("the account's daily cap of {cap} sends is reached; it resets at {reset}"),
            )
            .with_retry_after(reset.duration_since(now)));
        }
        if take {
            *count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: Duration = Duration::from_secs(3600);

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_the_account_rate_passes_then_sends_are_spaced() {
        let limiter = RateLimiter::new();
        let account = ChannelAccountId::new();
        // WhatsApp Cloud API: 80 messages a second per phone number.
        let limits = RateLimits { per_account: Some(Rate::per_second(80)), ..RateLimits::default() };
        for n in 0..80 {
            assert_eq!(limiter.reserve(account, &format!("r{n}"), &limits, FOREVER), Ok(Duration::ZERO));
        }
        assert_eq!(limiter.reserve(account, "r80", &limits, FOREVER), Ok(Duration::from_micros(12_500)));
        assert_eq!(limiter.reserve(account, "r81", &limits, FOREVER), Ok(Duration::from_micros(25_000)));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(limiter.reserve(account, "r82", &limits, FOREVER), Ok(Duration::ZERO), "the bucket refilled");
    }

    #[tokio::test(start_paused = true)]
    async fn both_limits_apply_and_accounts_are_independent() {
        let limiter = RateLimiter::new();
        let (bot, other_bot) = (ChannelAccountId::new(), ChannelAccountId::new());
        // Telegram: about 30 a second per bot, 1 a second per chat.
        let limits = RateLimits {
            per_account: Some(Rate::per_second(30)),
            per_recipient: Some(Rate::per_second(1)),
            ..RateLimits::default()
        };
        assert_eq!(limiter.reserve(bot, "chat", &limits, FOREVER), Ok(Duration::ZERO));
        assert_eq!(limiter.reserve(bot, "chat", &limits, FOREVER), Ok(Duration::from_secs(1)));
        assert_eq!(limiter.reserve(bot, "chat", &limits, FOREVER), Ok(Duration::from_secs(2)));
        assert_eq!(limiter.reserve(other_bot, "chat", &limits, FOREVER), Ok(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_longer_than_allowed_reserves_nothing() {
        let limiter = RateLimiter::new();
        let account = ChannelAccountId::new();
        let limits = RateLimits { per_recipient: Some(Rate::new(1, Duration::from_secs(10))), ..RateLimits::default() };
        assert_eq!(limiter.reserve(account, "c", &limits, Duration::from_secs(1)), Ok(Duration::ZERO));
        assert_eq!(limiter.reserve(account, "c", &limits, Duration::from_secs(1)), Err(Duration::from_secs(10)));
        // Nothing was reserved by the refusal: the next wait is still ten seconds, not twenty.
        assert_eq!(limiter.reserve(account, "c", &limits, FOREVER), Ok(Duration::from_secs(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn many_recipients_inside_their_spacing_are_kept_and_scanned_once_per_doubling() {
        let limiter = RateLimiter::new();
        let account = ChannelAccountId::new();
        let limits = RateLimits { per_recipient: Some(Rate::per_second(1)), ..RateLimits::default() };
        // More recipients than PRUNE_ABOVE within one second: none of them is idle yet.
        for n in 0..(3 * PRUNE_ABOVE) {
            assert_eq!(limiter.reserve(account, &format!("chat-{n}"), &limits, FOREVER), Ok(Duration::ZERO));
        }
        {
            let tats = limiter.state.lock().unwrap();
            assert_eq!(tats.recipients.len(), 3 * PRUNE_ABOVE, "no recipient's spacing was forgotten");
            assert_eq!(tats.prune_at, 4 * PRUNE_ABOVE, "pruned at 10,000 and at 20,000, not on every send after");
        }
        assert_eq!(limiter.reserve(account, "chat-0", &limits, FOREVER), Ok(Duration::from_secs(1)));

        tokio::time::advance(Duration::from_secs(2)).await;
        for n in 0..(2 * PRUNE_ABOVE) {
            limiter.reserve(account, &format!("later-{n}"), &limits, FOREVER).unwrap();
        }
        let tats = limiter.state.lock().unwrap();
        assert!(tats.recipients.len() <= 2 * PRUNE_ABOVE, "idle recipients were dropped: {}", tats.recipients.len());
    }

    #[test]
    fn a_daily_cap_counts_per_account_and_resets_at_utc_midnight() {
        let limiter = RateLimiter::new();
        let (shop, other_shop) = (ChannelAccountId::new(), ChannelAccountId::new());
        let limits = RateLimits { per_account_daily: Some(3), ..RateLimits::default() };
        let evening = Timestamp::from_unix_seconds(1_732_147_200 + 23 * 3600); // 2024-11-21 23:00 UTC
        for _ in 0..3 {
            limiter.take_daily(shop, &limits, evening).unwrap();
        }
        let refused = limiter.take_daily(shop, &limits, evening).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::RateLimited);
        assert_eq!(refused.retry_after(), Some(Duration::from_secs(3600)), "an hour to midnight");
        assert!(limiter.check_daily(shop, &limits, evening).is_err(), "a refusal counted nothing");
        limiter.take_daily(other_shop, &limits, evening).unwrap();
        let next_day = evening.saturating_add(Duration::from_secs(3600));
        limiter.take_daily(shop, &limits, next_day).unwrap();
        assert!(limiter.check_daily(shop, &RateLimits::default(), next_day).is_ok(), "no cap, no count");
    }
}
