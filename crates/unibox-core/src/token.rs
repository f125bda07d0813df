//! The [`TokenStore`] port: platform credentials per channel account.

use std::fmt;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{Channel, ChannelAccount, ChannelAccountId, Result, TenantId, Timestamp};

/// A channel account's credentials: access token, optional refresh token, expiry and scopes.
/// Tokens are [`SecretString`]s: they never appear in `Debug` output, logs or errors.
///
/// ```
/// use unibox_core::TokenSet;
/// let tokens = TokenSet::new("EAAG-live-token-123");
/// assert!(!format!("{tokens:?}").contains("EAAG"));
/// ```
#[derive(Clone)]
pub struct TokenSet {
    /// The token sent with API calls.
    pub access_token: SecretString,
    /// The token that obtains a new access token, if the platform has one.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    pub expires_at: Option<Timestamp>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<Timestamp>,
    /// The scopes or permissions granted.
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// An access token that does not expire, without refresh token or scopes.
    pub fn new(access_token: impl Into<String>) -> Self {
        TokenSet {
            access_token: SecretString::from(access_token.into()),
            refresh_token: None,
            expires_at: None,
            refresh_expires_at: None,
            scopes: Vec::new(),
        }
    }

    /// Sets the expiry.
    pub fn expiring_at(mut self, at: Timestamp) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_token = Some(SecretString::from(token.into()));
        self
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Where a channel account's credentials stand, without revealing them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenStatus {
    /// Nothing stored.
    Missing,
    /// Stored and usable.
    Active {
        /// When the access token expires, if it does.
        expires_at: Option<Timestamp>,
    },
    /// Revoked; gone for good.
    Revoked {
        /// When.
        at: Timestamp,
    },
}

/// Stores platform credentials, isolated per tenant and channel account: revoking one account's
/// tokens leaves every other account's working.
///
/// ```
/// # tokio_test_block(async {
/// use unibox_core::memory::MemoryTokenStore;
/// use unibox_core::{ChannelAccountId, TokenSet, TokenStatus, TokenStore, Timestamp};
/// use secrecy::ExposeSecret;
/// let store = MemoryTokenStore::new();
/// let tenant = "acme".parse().unwrap();
/// let account = ChannelAccountId::new();
/// store.put(&tenant, account, TokenSet::new("line-token")).await.unwrap();
/// let tokens = store.get(&tenant, account).await.unwrap().unwrap();
/// assert_eq!(tokens.access_token.expose_secret(), "line-token");
/// assert!(store.revoke(&tenant, account, Timestamp::from_unix_seconds(1)).await.unwrap());
/// assert!(store.get(&tenant, account).await.unwrap().is_none());
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// Stores (or replaces) the account's tokens.
    async fn put(&self, tenant: &TenantId, account: ChannelAccountId, tokens: TokenSet) -> Result<()>;

    /// The account's tokens, or `None` when missing or revoked.
    async fn get(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<Option<TokenSet>>;

    /// Revokes the account's tokens; `false` when there were none. Other accounts are untouched.
    async fn revoke(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool>;

    /// Where the account's tokens stand.
    async fn status(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<TokenStatus>;

    /// The account's tokens for immediate use: a store that can refresh (the token vault)
    /// refreshes them first through `channel` when they expire soon, and fails with
    /// [`ErrorKind::TokenInvalid`](crate::ErrorKind::TokenInvalid) when the platform refused the
    /// refresh for good, so the hub marks the account for reauthorization instead of retrying.
    ///
    /// The default is [`get`](TokenStore::get): stores that cannot refresh hand out what they hold.
    async fn get_fresh(&self, account: &ChannelAccount, channel: &dyn Channel) -> Result<Option<TokenSet>> {
        let _ = channel;
        self.get(&account.tenant, account.id).await
    }

    /// Like [`get_fresh`](TokenStore::get_fresh), but also refreshes tokens that expire before
    /// `horizon`: what a platform's "authorization expiring" push asks for (Lazada warns 48
    /// hours ahead, further out than a usual refresh margin). A store that can refresh uses the
    /// same single flight as `get_fresh`, so tokens another caller already refreshed past the
    /// horizon are not refreshed again.
    ///
    /// The default is [`get_fresh`](TokenStore::get_fresh).
    async fn get_fresh_before(
        &self,
        account: &ChannelAccount,
        channel: &dyn Channel,
        horizon: Timestamp,
    ) -> Result<Option<TokenSet>> {
        let _ = horizon;
        self.get_fresh(account, channel).await
    }
}

/// A sealed (encrypted) token set as a [`SealedTokenBackend`] holds it: opaque ciphertext plus
/// the little metadata the vault needs without decrypting.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedTokens {
    /// The ciphertext, header included; only the vault can open it.
    pub sealed: Vec<u8>,
    /// When the access token expires (kept in the clear so refreshes can be planned).
    pub expires_at: Option<Timestamp>,
    /// Bumped by every write; the compare-and-swap of a refresh checks it.
    pub revision: u64,
}

impl fmt::Debug for SealedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedTokens")
            .field("sealed_bytes", &self.sealed.len())
            .field("expires_at", &self.expires_at)
            .field("revision", &self.revision)
            .finish()
    }
}

/// What a [`SealedTokenBackend`] holds for one channel account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealedSlot {
    /// Nothing stored.
    Missing,
    /// Sealed tokens.
    Active(SealedTokens),
    /// Revoked at the given time; the ciphertext is gone.
    Revoked {
        /// When.
        at: Timestamp,
    },
}

/// A tenant's data key, encrypted ("wrapped") under a key-encryption key.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedDataKey {
    /// The tenant the key belongs to.
    pub tenant: TenantId,
    /// The data key's number within the tenant (sealed blobs name it in their header).
    pub generation: u32,
    /// The version of the key-encryption key that wrapped it.
    pub kek_version: u32,
    /// The wrapped key bytes.
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for WrappedDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedDataKey")
            .field("tenant", &self.tenant)
            .field("generation", &self.generation)
            .field("kek_version", &self.kek_version)
            .field("wrapped_bytes", &self.wrapped.len())
            .finish()
    }
}

/// Storage for the token vault: it only ever sees ciphertext (sealed token sets and wrapped
/// data keys), never a token or a key. Implemented in memory
/// ([`MemorySealedBackend`](crate::memory::MemorySealedBackend)) and by `unibox-store-sqlite`.
///
/// Every token operation is scoped by tenant and channel account. The compare-and-swap
/// ([`swap_sealed`](SealedTokenBackend::swap_sealed)) and the refresh lease
/// ([`try_lease`](SealedTokenBackend::try_lease)) are what make one refresh happen exactly once
/// when several processes share the store, so they must be atomic in the backend.
#[async_trait]
pub trait SealedTokenBackend: Send + Sync + fmt::Debug + 'static {
    /// What is stored for the account.
    async fn sealed(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<SealedSlot>;

    /// Stores (or replaces, or un-revokes) the account's sealed tokens; returns the new revision.
    async fn put_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<u64>;

    /// Replaces the sealed tokens only if they are active at revision `expected`; `false` (and
    /// no change) otherwise. Returns whether it replaced them.
    async fn swap_sealed(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        expected: u64,
        sealed: Vec<u8>,
        expires_at: Option<Timestamp>,
    ) -> Result<bool>;

    /// Revokes: forgets the ciphertext and remembers when; `false` when nothing was active.
    async fn revoke_sealed(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool>;

    /// Takes the account's refresh lease for `holder` until `until`, if nobody else holds an
    /// unexpired one at `now`. Taking it again as the same holder extends it.
    async fn try_lease(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;

    /// Gives the lease back, if `holder` still has it.
    async fn release_lease(&self, tenant: &TenantId, account: ChannelAccountId, holder: &str) -> Result<()>;

    /// The tenant's wrapped data keys, every generation.
    async fn data_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedDataKey>>;

    /// Adds a data key; `false` (and no change) when the tenant already has that generation,
    /// so two processes creating a tenant's first key agree on one.
    async fn insert_data_key(&self, key: WrappedDataKey) -> Result<bool>;

    /// Replaces a data key's wrapping, only if it is still wrapped under `from_kek_version`
    /// (a rotation's compare-and-swap). Returns whether it replaced it.
    async fn rewrap_data_key(&self, from_kek_version: u32, key: WrappedDataKey) -> Result<bool>;

    /// Up to `limit` data keys of any tenant not wrapped under `kek_version`: the work left to
    /// a rotation. This is the one operator-level query that spans tenants.
    async fn data_keys_not_wrapped_with(&self, kek_version: u32, limit: usize) -> Result<Vec<WrappedDataKey>>;

    /// Crypto-shredding: destroys every data key of the tenant, together with its sealed tokens
    /// and leases. Returns how many data keys were destroyed.
    async fn destroy_tenant_keys(&self, tenant: &TenantId) -> Result<u64>;
}
