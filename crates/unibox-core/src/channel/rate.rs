use std::time::Duration;

/// A sending rate: at most `count` messages per `per`, in bursts of up to `count`.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::channel::Rate;
/// let telegram_chat = Rate::per_second(1);
/// assert_eq!(telegram_chat.interval(), Duration::from_secs(1));
/// assert_eq!(Rate::new(50, Duration::from_secs(1)).interval(), Duration::from_millis(20));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// How many messages.
    pub count: u32,
    /// In how long.
    pub per: Duration,
}

impl Rate {
    /// `count` messages per `per`.
    pub const fn new(count: u32, per: Duration) -> Self {
        Rate { count, per }
    }

    /// `count` messages per second.
    pub const fn per_second(count: u32) -> Self {
        Rate { count, per: Duration::from_secs(1) }
    }

    /// The steady-state time between two messages (`per / count`); zero for a zero count,
    /// which means "no limit".
    pub fn interval(&self) -> Duration {
        if self.count == 0 { Duration::ZERO } else { self.per / self.count }
    }
}

/// The platform's documented sending limits, so the delivery worker slows itself down instead
/// of being throttled or banned. `None` means the platform documents no limit.
///
/// ```
/// use unibox_core::channel::{Rate, RateLimits};
/// // Telegram: about 30 messages a second overall, and 1 a second per chat.
/// let telegram = RateLimits { per_account: Some(Rate::per_second(30)), per_recipient: Some(Rate::per_second(1)), per_account_daily: None };
/// assert!(telegram.per_recipient.is_some());
/// assert_eq!(RateLimits::default().per_account, None);
/// // TikTok Shop: 50 requests a second and 10,000 messages a day per shop.
/// let shop = RateLimits { per_account: Some(Rate::per_second(50)), per_account_daily: Some(10_000), ..RateLimits::default() };
/// assert_eq!(shop.per_account_daily, Some(10_000));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RateLimits {
    /// For all sends of one channel account (a bot, a phone number, a page, a shop).
    pub per_account: Option<Rate>,
    /// For the sends of one channel account to one recipient (a chat, a customer).
    pub per_recipient: Option<Rate>,
    /// At most this many sends of one channel account per UTC day (a platform's daily quota).
    /// Once reached, further sends are refused with [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited)
    /// carrying the delay until the next UTC midnight, before they are recorded; queued sends
    /// wait for it.
    pub per_account_daily: Option<u32>,
}
