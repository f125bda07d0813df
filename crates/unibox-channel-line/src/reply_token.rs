//! Reply tokens held between a webhook and the sends that answer it.
//!
//! LINE gives each replyable event a single-use token that is valid for about a minute; a reply
//! with it is free, while a push counts against the plan's quota. The channel keeps the newest
//! few tokens of each chat with their receipt time, and a send to that chat within the reply
//! window takes one (so it is used at most once), otherwise it pushes.
//!
//! Tokens are held in this process only: after a restart, or when another process sends, the
//! send pushes. They are secrets (anyone holding one can post into the chat), so they are never
//! formatted.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use secrecy::SecretString;
use unibox_core::Timestamp;
use unibox_core::fingerprint::Fingerprinter;

/// How many chats' tokens are held at most.
const MAX_CHATS: usize = 10_000;
/// How many tokens of one chat are held (a burst of messages answered one by one).
const MAX_PER_CHAT: usize = 5;
/// The most tokens held (and remembered in arrival order) at once.
const MAX_HELD: usize = MAX_CHATS * MAX_PER_CHAT;

/// A chat of a bot: the [`Fingerprinter`] fingerprint of (bot user id, chat id). Two chats
/// sharing one (which would hand one chat's token to a send to the other) are as likely as a
/// guessed 128-bit key; holding fingerprints instead of the two ids keeps a remembered token
/// free of allocations beyond the token itself.
type ChatKey = u128;

/// One held token.
struct Held {
    /// Which remember call this is: its entry in [`Chats::arrivals`].
    arrival: u64,
    token: SecretString,
    /// The earlier of the receipt time and the event's time: the token's age counts from it.
    since: Timestamp,
}

/// The held tokens by chat, and every remembered token in arrival order, so that expiring and
/// evicting the oldest take constant time however many chats are active (a scan of every chat
/// per new chat made a bot with more than [`MAX_CHATS`] active chats a thousand times slower).
#[derive(Default)]
struct Chats {
    held: HashMap<ChatKey, Vec<Held>>,
    /// (arrival, since, chat) of each remembered token, oldest first. A token taken or dropped
    /// since leaves its entry behind until it reaches the front.
    arrivals: VecDeque<(u64, Timestamp, ChatKey)>,
    next_arrival: u64,
}

impl Chats {
    /// Drops the oldest remembered token (if it is still held); false if none is left.
    fn drop_oldest(&mut self) -> bool {
        let Some((arrival, _, key)) = self.arrivals.pop_front() else {
            return false;
        };
        if let Some(held) = self.held.get_mut(&key) {
            held.retain(|h| h.arrival != arrival);
            if held.is_empty() {
                self.held.remove(&key);
            }
        }
        true
    }

    /// Drops tokens from the front of the arrival order while they are too old to use.
    fn expire(&mut self, now: Timestamp, window: Duration) {
        while self.arrivals.front().is_some_and(|(_, since, _)| now.duration_since(*since) >= window) {
            self.drop_oldest();
        }
    }
}

/// The reply tokens of every chat of the channel, keyed by bot id and chat id.
#[derive(Default)]
pub(crate) struct ReplyTokens {
    chats: Mutex<Chats>,
    fingerprints: Fingerprinter,
}

impl fmt::Debug for ReplyTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTokens").field("chats", &self.lock().held.len()).finish()
    }
}

impl ReplyTokens {
    fn key(&self, bot: &str, chat: &str) -> ChatKey {
        self.fingerprints.fingerprint(&(bot, chat))
    }

    fn lock(&self) -> MutexGuard<'_, Chats> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.chats.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Holds `token` of an event in `chat` of `bot`, usable for `window` from `since`; `now` is
    /// the clock, for dropping the tokens that expired meanwhile.
    pub(crate) fn remember(
        &self,
        bot: &str,
        chat: &str,
        token: String,
        since: Timestamp,
        now: Timestamp,
        window: Duration,
    ) {
        let key = self.key(bot, chat);
        let mut chats = self.lock();
        chats.expire(now, window);
        if !chats.held.contains_key(&key) {
            // Room for one more chat: the oldest tokens go first.
            while chats.held.len() >= MAX_CHATS && chats.drop_oldest() {}
        }
        let arrival = chats.next_arrival;
        chats.next_arrival += 1;
        let held = chats.held.entry(key).or_default();
        if held.len() >= MAX_PER_CHAT {
            // The oldest expires first anyway.
            held.remove(0);
        }
        held.push(Held { arrival, token: SecretString::from(token), since });
        chats.arrivals.push_back((arrival, since, key));
        while chats.arrivals.len() > MAX_HELD && chats.drop_oldest() {}
    }

    /// Takes the newest token of `chat` still inside `window` at `now`, if any; it is gone
    /// afterwards (a token is used once).
    pub(crate) fn take(&self, bot: &str, chat: &str, now: Timestamp, window: Duration) -> Option<SecretString> {
        let key = self.key(bot, chat);
        let mut chats = self.lock();
        let held = chats.held.get_mut(&key)?;
        held.retain(|h| fresh(h, now, window));
        let newest = held.pop().map(|h| h.token);
        if held.is_empty() {
            chats.held.remove(&key);
        }
        newest
    }

    /// How many tokens are held (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.lock().held.values().map(Vec::len).sum()
    }
}

fn fresh(held: &Held, now: Timestamp, window: Duration) -> bool {
    now.duration_since(held.since) < window
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const WINDOW: Duration = Duration::from_secs(50);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_700_000_000 + seconds)
    }

    #[test]
    fn a_token_is_taken_once_and_only_while_fresh() {
        let tokens = ReplyTokens::default();
        tokens.remember("Ubot", "Uuser", "token-1".into(), at(0), at(0), WINDOW);
        let taken = tokens.take("Ubot", "Uuser", at(10), WINDOW).expect("fresh");
        assert_eq!(taken.expose_secret(), "token-1");
        assert!(tokens.take("Ubot", "Uuser", at(11), WINDOW).is_none());

        tokens.remember("Ubot", "Uuser", "token-2".into(), at(0), at(0), WINDOW);
        assert!(tokens.take("Ubot", "Uuser", at(50), WINDOW).is_none());
        assert_eq!(tokens.len(), 0);
    }

    #[test]
    fn the_newest_token_of_the_chat_goes_first_and_chats_are_separate() {
        let tokens = ReplyTokens::default();
        tokens.remember("Ubot", "Uuser", "older".into(), at(0), at(0), WINDOW);
        tokens.remember("Ubot", "Uuser", "newer".into(), at(5), at(5), WINDOW);
        tokens.remember("Ubot", "Cgroup", "group".into(), at(5), at(5), WINDOW);
        assert_eq!(tokens.take("Ubot", "Uuser", at(6), WINDOW).unwrap().expose_secret(), "newer");
        assert_eq!(tokens.take("Ubot", "Uuser", at(6), WINDOW).unwrap().expose_secret(), "older");
        assert!(tokens.take("Uother-bot", "Cgroup", at(6), WINDOW).is_none());
        assert_eq!(tokens.take("Ubot", "Cgroup", at(6), WINDOW).unwrap().expose_secret(), "group");
    }

    #[test]
    fn memory_stays_bounded() {
        let tokens = ReplyTokens::default();
        for chat in 0..(MAX_CHATS + 10) {
            tokens.remember("Ubot", &format!("U{chat}"), "t".into(), at(0), at(0), WINDOW);
        }
        for _ in 0..(MAX_PER_CHAT + 3) {
            tokens.remember("Ubot", "Ubusy", "t".into(), at(1), at(1), WINDOW);
        }
        assert!(tokens.lock().held.len() <= MAX_CHATS);
        assert_eq!(tokens.lock().held[&tokens.key("Ubot", "Ubusy")].len(), MAX_PER_CHAT);
        assert!(tokens.lock().arrivals.len() <= MAX_HELD);
        tokens.remember("Ubot", "Usecret", "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA".into(), at(1), at(1), WINDOW);
        assert!(!format!("{tokens:?}").contains("nHuyWiB7"));
    }

    #[test]
    fn past_the_chat_limit_the_oldest_chats_make_room_and_fresh_ones_stay() {
        let tokens = ReplyTokens::default();
        // Three times the limit of chats, all within one reply window.
        for chat in 0..(3 * MAX_CHATS) {
            let second = i64::try_from(chat / 1000).unwrap();
            tokens.remember("Ubot", &format!("U{chat}"), format!("t{chat}"), at(second), at(second), WINDOW);
        }
        assert_eq!(tokens.lock().held.len(), MAX_CHATS);
        assert!(tokens.take("Ubot", "U0", at(30), WINDOW).is_none(), "the oldest chat made room");
        assert!(tokens.take("Ubot", &format!("U{}", 2 * MAX_CHATS - 1), at(30), WINDOW).is_none());
        let newest = format!("U{}", 3 * MAX_CHATS - 1);
        assert_eq!(
            tokens.take("Ubot", &newest, at(30), WINDOW).unwrap().expose_secret(),
            format!("t{}", 3 * MAX_CHATS - 1)
        );
        assert_eq!(
            tokens.take("Ubot", &format!("U{}", 2 * MAX_CHATS), at(30), WINDOW).unwrap().expose_secret(),
            format!("t{}", 2 * MAX_CHATS),
            "the newest MAX_CHATS chats are all kept"
        );
    }

    #[test]
    fn expired_tokens_are_dropped_as_new_ones_arrive() {
        let tokens = ReplyTokens::default();
        for chat in 0..100 {
            tokens.remember("Ubot", &format!("U{chat}"), "t".into(), at(0), at(0), WINDOW);
        }
        tokens.remember("Ubot", "Ulate", "late".into(), at(60), at(60), WINDOW);
        assert_eq!(tokens.len(), 1, "the hundred tokens of a minute ago are gone");
        assert_eq!(tokens.lock().arrivals.len(), 1);
    }
}
