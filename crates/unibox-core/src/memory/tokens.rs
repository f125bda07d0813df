use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{ChannelAccountId, Result, TenantId, Timestamp, TokenSet, TokenStatus, TokenStore};

enum Slot {
    Active(TokenSet),
    Revoked(Timestamp),
}

/// Tokens in process memory. Useful for tests; production uses the encrypted vault.
#[derive(Default)]
pub struct MemoryTokenStore {
    slots: Mutex<HashMap<(TenantId, ChannelAccountId), Slot>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, ChannelAccountId), Slot>> {
        // A panic while holding the lock cannot leave a half-written slot (inserts are single
        // operations), so a poisoned lock is still consistent.
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTokenStore").field("accounts", &self.slots().len()).finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn put(&self, tenant: &TenantId, account: ChannelAccountId, tokens: TokenSet) -> Result<()> {
        self.slots().insert((tenant.clone(), account), Slot::Active(tokens));
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<Option<TokenSet>> {
        Ok(match self.slots().get(&(tenant.clone(), account)) {
            Some(Slot::Active(tokens)) => Some(tokens.clone()),
            _ => None,
        })
    }

    async fn revoke(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool> {
        let mut slots = self.slots();
        let key = (tenant.clone(), account);
        let had_tokens = matches!(slots.get(&key), Some(Slot::Active(_)));
        if had_tokens {
            slots.insert(key, Slot::Revoked(at));
        }
        Ok(had_tokens)
    }

    async fn status(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<TokenStatus> {
        Ok(match self.slots().get(&(tenant.clone(), account)) {
            None => TokenStatus::Missing,
            Some(Slot::Active(tokens)) => TokenStatus::Active { expires_at: tokens.expires_at },
            Some(Slot::Revoked(at)) => TokenStatus::Revoked { at: *at },
        })
    }
}
