//! [`MemoryConversationControl`]: the handoff state in process memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ai::{ControlState, ConversationControlStore, HandoffReason};
use crate::{ConversationId, Result, TenantId, Timestamp};

/// Who holds each conversation, in memory: lost on restart, so every conversation goes back to
/// bot control. A choice for tests; `unibox_store_sqlite::SqliteInbox` keeps it durably.
///
/// ```
/// let store = unibox_core::memory::MemoryConversationControl::new();
/// # drop(store);
/// ```
#[derive(Debug, Default)]
pub struct MemoryConversationControl {
    states: Mutex<HashMap<(TenantId, ConversationId), ControlState>>,
}

impl MemoryConversationControl {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn update<T>(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        change: impl FnOnce(&ControlState) -> (Option<ControlState>, T),
    ) -> T {
        let mut states = self.states.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (tenant.clone(), conversation);
        let current = states.get(&key).cloned().unwrap_or_default();
        let (next, answer) = change(&current);
        if let Some(next) = next {
            states.insert(key, next);
        }
        answer
    }
}

#[async_trait]
impl ConversationControlStore for MemoryConversationControl {
    async fn state(&self, tenant: &TenantId, conversation: ConversationId) -> Result<ControlState> {
        Ok(self.update(tenant, conversation, |current| (None, current.clone())))
    }

    async fn take_for_human(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        reason: HandoffReason,
        at: Timestamp,
    ) -> Result<(ControlState, bool)> {
        Ok(self.update(tenant, conversation, |current| match current.take_for_human(reason, at) {
            Some(next) => (Some(next.clone()), (next, true)),
            None => (None, (current.clone(), false)),
        }))
    }

    async fn release_to_bot(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<ControlState> {
        Ok(self.update(tenant, conversation, |current| match current.release_to_bot(at) {
            Some(next) => (Some(next.clone()), next),
            None => (None, current.clone()),
        }))
    }

    async fn admit_bot_reply(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        expected_version: u64,
        at: Timestamp,
    ) -> Result<Option<ControlState>> {
        Ok(self.update(tenant, conversation, |current| {
            let next = current.admit_bot_reply(expected_version, at);
            (next.clone(), next)
        }))
    }
}
