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

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use secrecy::SecretString;
use unibox_core::Timestamp;

/// How many chats' tokens are held at most.
const MAX_CHATS: usize = 10_000;
/// How many tokens of one chat are held (a burst of messages answered one by one).
const MAX_PER_CHAT: usize = 5;

/// One held token.
struct Held {
    token: SecretString,
    /// The earlier of the receipt time and the event's time: the token's age counts from it.
    since: Timestamp,
}

/// The reply tokens of every chat of the channel, keyed by bot id and chat id.
#[derive(Default)]
pub(crate) struct ReplyTokens {
    chats: Mutex<HashMap<(String, String), Vec<Held>>>,
}

impl fmt::Debug for ReplyTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTokens").field("chats", &self.lock().len()).finish()
    }
}

impl ReplyTokens {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), Vec<Held>>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.chats.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Holds `token` of an event in `chat` of `bot`, usable for `window` from `since`.
    pub(crate) fn remember(&self, bot: &str, chat: &str, token: String, since: Timestamp, window: Duration) {
        let mut chats = self.lock();
        let key = (bot.to_owned(), chat.to_owned());
        if !chats.contains_key(&key) && chats.len() >= MAX_CHATS {
            make_room(&mut chats, since, window);
        }
        let held = chats.entry(key).or_default();
        if held.len() >= MAX_PER_CHAT {
            // The oldest expires first anyway.
            held.remove(0);
        }
        held.push(Held { token: SecretString::from(token), since });
    }

    /// Takes the newest token of `chat` still inside `window` at `now`, if any; it is gone
    /// afterwards (a token is used once).
    pub(crate) fn take(&self, bot: &str, chat: &str, now: Timestamp, window: Duration) -> Option<SecretString> {
        let mut chats = self.lock();
        let key = (bot.to_owned(), chat.to_owned());
        let held = chats.get_mut(&key)?;
        held.retain(|h| fresh(h, now, window));
        let newest = held.pop().map(|h| h.token);
        if held.is_empty() {
            chats.remove(&key);
        }
        newest
    }

    /// How many tokens are held (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}

fn fresh(held: &Held, now: Timestamp, window: Duration) -> bool {
    now.duration_since(held.since) < window
}

/// Drops expired tokens, then the chat with the oldest token if that freed nothing.
fn make_room(chats: &mut HashMap<(String, String), Vec<Held>>, now: Timestamp, window: Duration) {
    chats.retain(|_, held| {
        held.retain(|h| fresh(h, now, window));
        !held.is_empty()
    });
    if chats.len() < MAX_CHATS {
        return;
    }
    let oldest = chats
        .iter()
        .filter_map(|(key, held)| held.iter().map(|h| h.since).min().map(|since| (since, key.clone())))
        .min_by_key(|(since, _)| *since)
        .map(|(_, key)| key);
    if let Some(key) = oldest {
        chats.remove(&key);
    }
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
        tokens.remember("Ubot", "Uuser", "token-1".into(), at(0), WINDOW);
        let taken = tokens.take("Ubot", "Uuser", at(10), WINDOW).expect("fresh");
        assert_eq!(taken.expose_secret(), "token-1");
        assert!(tokens.take("Ubot", "Uuser", at(11), WINDOW).is_none());

        tokens.remember("Ubot", "Uuser", "token-2".into(), at(0), WINDOW);
        assert!(tokens.take("Ubot", "Uuser", at(50), WINDOW).is_none());
        assert_eq!(tokens.len(), 0);
    }

    #[test]
    fn the_newest_token_of_the_chat_goes_first_and_chats_are_separate() {
        let tokens = ReplyTokens::default();
        tokens.remember("Ubot", "Uuser", "older".into(), at(0), WINDOW);
        tokens.remember("Ubot", "Uuser", "newer".into(), at(5), WINDOW);
        tokens.remember("Ubot", "Cgroup", "group".into(), at(5), WINDOW);
        assert_eq!(tokens.take("Ubot", "Uuser", at(6), WINDOW).unwrap().expose_secret(), "newer");
        assert_eq!(tokens.take("Ubot", "Uuser", at(6), WINDOW).unwrap().expose_secret(), "older");
        assert!(tokens.take("Uother-bot", "Cgroup", at(6), WINDOW).is_none());
        assert_eq!(tokens.take("Ubot", "Cgroup", at(6), WINDOW).unwrap().expose_secret(), "group");
    }

    #[test]
    fn memory_stays_bounded() {
        let tokens = ReplyTokens::default();
        for chat in 0..(MAX_CHATS + 10) {
            tokens.remember("Ubot", &format!("U{chat}"), "t".into(), at(0), WINDOW);
        }
        for _ in 0..(MAX_PER_CHAT + 3) {
            tokens.remember("Ubot", "Ubusy", "t".into(), at(1), WINDOW);
        }
        assert!(tokens.lock().len() <= MAX_CHATS);
        assert_eq!(tokens.lock()[&("Ubot".to_owned(), "Ubusy".to_owned())].len(), MAX_PER_CHAT);
        tokens.remember("Ubot", "Usecret", "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA".into(), at(1), WINDOW);
        assert!(!format!("{tokens:?}").contains("nHuyWiB7"));
    }
}
