//! [`MemorySyncCursors`]: pull cursors in process memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::history::{SyncCursor, SyncCursorStore, SyncStream};
use crate::{ChannelAccountId, Result, TenantId};

type Key = (TenantId, ChannelAccountId, SyncStream);

/// Pull cursors in process memory, for tests and trials: a restart starts every back-fill over.
///
/// ```
/// use unibox_core::memory::MemorySyncCursors;
/// let cursors = MemorySyncCursors::new();
/// # drop(cursors);
/// ```
#[derive(Default)]
pub struct MemorySyncCursors {
    cursors: Mutex<HashMap<Key, SyncCursor>>,
}

impl MemorySyncCursors {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn cursors(&self) -> MutexGuard<'_, HashMap<Key, SyncCursor>> {
        // Every write replaces one whole cursor, so a poisoned lock still holds consistent data.
        self.cursors.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemorySyncCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySyncCursors").field("cursors", &self.cursors().len()).finish()
    }
}

#[async_trait]
impl SyncCursorStore for MemorySyncCursors {
    async fn cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
    ) -> Result<Option<SyncCursor>> {
        Ok(self.cursors().get(&(tenant.clone(), account, stream)).cloned())
    }

    async fn save_cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
        cursor: &SyncCursor,
    ) -> Result<()> {
        self.cursors().insert((tenant.clone(), account, stream), cursor.clone());
        Ok(())
    }
}

impl MemorySyncCursors {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.cursors().retain(|(owner, ..), _| owner != tenant);
    }
}
