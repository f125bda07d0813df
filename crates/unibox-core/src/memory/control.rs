//! [`MemoryConversationControl`]: the handoff state in process memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ai::{ControlChange, ControlState, ConversationControlStore};
use crate::{ConversationId, Result, TenantId};

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
}

#[async_trait]
impl ConversationControlStore for MemoryConversationControl {
    async fn state(&self, tenant: &TenantId, conversation: ConversationId) -> Result<ControlState> {
        let states = self.states.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(states.get(&(tenant.clone(), conversation)).cloned().unwrap_or_default())
    }

    async fn change(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        change: ControlChange,
    ) -> Result<(ControlState, bool)> {
        let mut states = self.states.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (tenant.clone(), conversation);
        let current = states.get(&key).cloned().unwrap_or_default();
        Ok(match change.apply(&current) {
            Some(next) => {
                states.insert(key, next.clone());
                (next, true)
            }
            None => (current, false),
        })
    }
}
