//! The conversation of each (shop, buyer) the channel saw, for marking it read: sends and the
//! read call address buyers and conversations by different ids.

use std::collections::HashMap;
use std::sync::Mutex;

use unibox_core::fingerprint::Fingerprinter;

/// At most this many conversations are remembered; past it the memory starts over (a miss only
/// means the caller passes the conversation id itself).
const CAPACITY: usize = 100_000;

/// Keyed by a fingerprint of (shop, buyer): a lookup on the parse path allocates nothing, and
/// a conversation already known is not written again.
#[derive(Debug, Default)]
pub(crate) struct Conversations {
    keys: Fingerprinter,
    by_buyer: Mutex<HashMap<u128, String>>,
}

impl Conversations {
    pub(crate) fn remember(&self, shop: &str, buyer: &str, conversation: &str) {
        let key = self.keys.fingerprint(&(shop, buyer));
        let mut map = self.by_buyer.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(&key).is_some_and(|known| known == conversation) {
            return;
        }
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, conversation.to_owned());
    }

    pub(crate) fn of(&self, shop: &str, buyer: &str) -> Option<String> {
        let key = self.keys.fingerprint(&(shop, buyer));
        self.by_buyer.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned()
    }
}
