//! The conversation of each (shop, buyer) the channel saw, for marking it read: sends and the
//! read call address buyers and conversations by different ids.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many conversations are remembered; past it the memory starts over (a miss only
/// means the caller passes the conversation id itself).
const CAPACITY: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct Conversations {
    by_buyer: Mutex<HashMap<(String, String), String>>,
}

impl Conversations {
    pub(crate) fn remember(&self, shop: &str, buyer: &str, conversation: &str) {
        let mut map = self.by_buyer.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&(shop.to_owned(), buyer.to_owned())) {
            map.clear();
        }
        map.insert((shop.to_owned(), buyer.to_owned()), conversation.to_owned());
    }

    pub(crate) fn of(&self, shop: &str, buyer: &str) -> Option<String> {
        let map = self.by_buyer.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(shop.to_owned(), buyer.to_owned())).cloned()
    }
}
