//! `X-Line-Retry-Key`: the same key on the first push of a message and on every retry, so LINE
//! accepts it once and answers later attempts with 409.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use unibox_core::MessageId;

/// The retry key of a message: its unibox id in UUID form (a UUIDv7 in lowercase hex with
/// hyphens), which the outbox keeps stable across attempts, processes and restarts.
///
/// ```
/// use unibox_core::MessageId;
/// let id: MessageId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".parse().unwrap();
/// assert_eq!(unibox_channel_line::retry_key(id), "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
/// ```
pub fn retry_key(message: MessageId) -> String {
    message.as_uuid().hyphenated().to_string()
}

/// How many pushed message ids are remembered.
const REMEMBERED: usize = 100_000;

/// The messages this process pushed, so a retry of one never switches to a reply (which has
/// no retry key and could deliver it a second time).
#[derive(Default)]
pub(crate) struct Pushed {
    inner: Mutex<(HashSet<MessageId>, VecDeque<MessageId>)>,
}

impl fmt::Debug for Pushed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pushed").field("remembered", &self.lock().0.len()).finish()
    }
}

impl Pushed {
    fn lock(&self) -> MutexGuard<'_, (HashSet<MessageId>, VecDeque<MessageId>)> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers that `message` was pushed.
    pub(crate) fn insert(&self, message: MessageId) {
        let mut guard = self.lock();
        let (set, order) = &mut *guard;
        if set.insert(message) {
            order.push_back(message);
            if order.len() > REMEMBERED
                && let Some(oldest) = order.pop_front()
            {
                set.remove(&oldest);
            }
        }
    }

    /// Whether `message` was pushed before.
    pub(crate) fn contains(&self, message: MessageId) -> bool {
        self.lock().0.contains(&message)
    }
}
