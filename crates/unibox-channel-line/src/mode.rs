//! The channel's mode per bot: `active`, or `standby` while another module channel holds the
//! chats (LINE's module/Chat mode), when the bot must not send.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use unibox_core::Timestamp;

/// The mode LINE reports on every webhook event.
///
/// ```
/// use unibox_channel_line::ChannelMode;
/// assert!(ChannelMode::Active.can_send());
/// assert!(!ChannelMode::Standby.can_send());
/// assert_eq!(ChannelMode::from_wire("standby"), ChannelMode::Standby);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    /// The bot receives and may send.
    Active,
    /// Another channel (a module) is active: the bot receives events but must not send.
    Standby,
}

impl ChannelMode {
    /// Reads LINE's `mode`; anything but `standby` is active, so sending is not blocked by a
    /// value LINE may add later.
    pub fn from_wire(mode: &str) -> Self {
        if mode == "standby" { ChannelMode::Standby } else { ChannelMode::Active }
    }

    /// Whether the bot may send.
    pub fn can_send(self) -> bool {
        self == ChannelMode::Active
    }
}

/// The latest mode seen per bot (by the events' own time, so a late redelivery does not undo a
/// newer switch).
#[derive(Default)]
pub(crate) struct Modes {
    bots: Mutex<HashMap<String, (ChannelMode, Timestamp)>>,
}

impl fmt::Debug for Modes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.lock().iter().map(|(bot, (mode, _))| (bot.clone(), *mode))).finish()
    }
}

impl Modes {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (ChannelMode, Timestamp)>> {
        self.bots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `mode` reported at `at` for `bot`, unless a newer report is known.
    pub(crate) fn record(&self, bot: &str, mode: ChannelMode, at: Timestamp) {
        let mut bots = self.lock();
        match bots.get_mut(bot) {
            Some(known) if known.1 > at => {}
            Some(known) => *known = (mode, at),
            None => {
                bots.insert(bot.to_owned(), (mode, at));
            }
        }
    }

    /// The latest mode of `bot`: active until an event says otherwise.
    pub(crate) fn of(&self, bot: &str) -> ChannelMode {
        self.lock().get(bot).map_or(ChannelMode::Active, |(mode, _)| *mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_report_wins_whatever_the_arrival_order() {
        let modes = Modes::default();
        assert_eq!(modes.of("Ubot"), ChannelMode::Active);
        modes.record("Ubot", ChannelMode::Standby, Timestamp::from_unix_seconds(20));
        modes.record("Ubot", ChannelMode::Active, Timestamp::from_unix_seconds(10));
        assert_eq!(modes.of("Ubot"), ChannelMode::Standby);
        modes.record("Ubot", ChannelMode::Active, Timestamp::from_unix_seconds(30));
        assert_eq!(modes.of("Ubot"), ChannelMode::Active);
        assert_eq!(modes.of("Uother"), ChannelMode::Active);
    }
}
