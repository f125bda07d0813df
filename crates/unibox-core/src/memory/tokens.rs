use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{
    ChannelAccountId, Result, SealedSlot, SealedTokenBackend, SealedTokens, TenantId, Timestamp, TokenSet, TokenStatus,
    TokenStore, WrappedDataKey,
};

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

#[derive(Default)]
struct SealedState {
    slots: HashMap<(TenantId, ChannelAccountId), (SealedSlot, u64)>,
    leases: HashMap<(TenantId, ChannelAccountId), (String, Timestamp)>,
    data_keys: HashMap<(TenantId, u32), WrappedDataKey>,
}

/// A [`SealedTokenBackend`] in process memory: the token vault's storage for tests and trials.
/// It holds only ciphertext; sharing one between two vaults stands in for two processes
/// sharing a database.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::memory::MemorySealedBackend;
/// use unibox_core::{ChannelAccountId, SealedSlot, SealedTokenBackend};
/// let backend = MemorySealedBackend::new();
/// let (tenant, account) = ("acme".parse().unwrap(), ChannelAccountId::new());
/// let revision = backend.put_sealed(&tenant, account, vec![1, 2, 3], None).await.unwrap();
/// assert!(!backend.swap_sealed(&tenant, account, revision + 1, vec![4], None).await.unwrap());
/// assert!(backend.swap_sealed(&tenant, account, revision, vec![4], None).await.unwrap());
/// assert!(matches!(backend.sealed(&tenant, account).await.unwrap(), SealedSlot::Active(s) if s.sealed == [4]));
/// # });
/// ```
#[derive(Default)]
pub struct MemorySealedBackend {
    state: Mutex<SealedState>,
}

impl MemorySealedBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SealedState> {
        // Every change below is a single map operation, so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemorySealedBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("MemorySealedBackend")
            .field("accounts", &state.slots.len())
            .field("data_keys", &state.data_keys.len())
            .finish()
    }
}

#[async_trait]
impl SealedTokenBackend for MemorySealedBackend {
    async fn sealed(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<SealedSlot> {
        Ok(self.state().slots.get(&(tenant.clone(), account)).map_or(SealedSlot::Missing, |(slot, _)| slot.clone()))
    }

    async fn put_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<u64> {
        let mut state = self.state();
        let entry = state.slots.entry((tenant.clone(), account)).or_insert((SealedSlot::Missing, 0));
        let revision = entry.1 + 1;
        *entry = (SealedSlot::Active(SealedTokens { sealed, expires_at, revision }), revision);
        Ok(revision)
    }

    async fn swap_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        expected: u64,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<bool> {
        let mut state = self.state();
        match state.slots.get_mut(&(tenant.clone(), account)) {
            Some((SealedSlot::Active(current), last)) if current.revision == expected => {
                *last += 1;
                *current = SealedTokens { sealed, expires_at, revision: *last };
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_sealed(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool> {
        let mut state = self.state();
        match state.slots.get_mut(&(tenant.clone(), account)) {
            Some((slot @ SealedSlot::Active(_), last)) => {
                *last += 1;
                *slot = SealedSlot::Revoked { at };
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn try_lease(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let mut state = self.state();
        let key = (tenant.clone(), account);
        let free = match state.leases.get(&key) {
            Some((current, expires)) => current == holder || *expires <= now,
            None => true,
        };
        if free {
            state.leases.insert(key, (holder.to_string(), until));
        }
        Ok(free)
    }

    async fn release_lease(&self, tenant: &TenantId, account: ChannelAccountId, holder: &str) -> Result<()> {
        let mut state = self.state();
        let key = (tenant.clone(), account);
        if state.leases.get(&key).is_some_and(|(current, _)| current == holder) {
            state.leases.remove(&key);
        }
        Ok(())
    }

    async fn data_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedDataKey>> {
        let state = self.state();
        let mut keys: Vec<WrappedDataKey> =
            state.data_keys.values().filter(|key| &key.tenant == tenant).cloned().collect();
        keys.sort_by_key(|key| key.generation);
        Ok(keys)
    }

    async fn insert_data_key(&self, key: WrappedDataKey) -> Result<bool> {
        let mut state = self.state();
        let id = (key.tenant.clone(), key.generation);
        if state.data_keys.contains_key(&id) {
            return Ok(false);
        }
        state.data_keys.insert(id, key);
        Ok(true)
    }

    async fn rewrap_data_key(&self, from_kek_version: u32, key: WrappedDataKey) -> Result<bool> {
        let mut state = self.state();
        match state.data_keys.get_mut(&(key.tenant.clone(), key.generation)) {
            Some(current) if current.kek_version == from_kek_version => {
                *current = key;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn data_keys_not_wrapped_with(&self, kek_version: u32, limit: usize) -> Result<Vec<WrappedDataKey>> {
        let state = self.state();
        Ok(state.data_keys.values().filter(|key| key.kek_version != kek_version).take(limit).cloned().collect())
    }

    async fn destroy_tenant_keys(&self, tenant: &TenantId) -> Result<u64> {
        let mut state = self.state();
        let before = state.data_keys.len();
        state.data_keys.retain(|(owner, _), _| owner != tenant);
        let destroyed = before - state.data_keys.len();
        state.slots.retain(|(owner, _), _| owner != tenant);
        state.leases.retain(|(owner, _), _| owner != tenant);
        Ok(destroyed as u64)
    }
}

impl MemoryTokenStore {
    /// Forgets every token of `tenant`.
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.slots().retain(|(owner, _), _| owner != tenant);
    }
}
