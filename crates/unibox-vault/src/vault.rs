//! [`Vault`]: the encrypted [`TokenStore`], and its data-key cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::broadcast;
use unibox_core::audit::{AuditOutcome, AuditRecord, AuditSink, TracingAuditSink};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelAccountId, Clock, Error, ErrorKind, Result, SealedSlot, SealedTokenBackend,
    SealedTokens, SystemClock, TenantId, Timestamp, TokenSet, TokenStatus, TokenStore, WrappedDataKey,
};

use crate::conversation::ConversationSeal;
use crate::envelope::{self, Binding, SealingKey};
use crate::key_provider::{DataKey, KeyProvider, WrapContext};
use crate::{Cipher, Purpose, VaultEvent, codec};

/// The name the vault acts under in audit records.
pub(crate) const AUDIT_ACTOR: &str = "unibox-vault";

/// The encrypted token store: every token set is sealed with XChaCha20-Poly1305 (or the
/// [`Cipher`] chosen with [`VaultBuilder::cipher`]) under keys derived from its tenant's data key, which is itself wrapped by a key-encryption key from a
/// [`KeyProvider`]. The [`SealedTokenBackend`] (memory, SQLite) only ever sees ciphertext.
///
/// Beyond [`TokenStore`]: [`get_fresh`](TokenStore::get_fresh) refreshes tokens ahead of expiry
/// through the channel, once per account even across processes; [`rotate`](Vault::rotate)
/// rewraps data keys under a new key-encryption key; [`shred_tenant`](Vault::shred_tenant)
/// destroys a tenant's data keys; [`subscribe`](Vault::subscribe) reports refreshes and
/// accounts that need reauthorization. Connects, refreshes, revokes, rotations and shreds are
/// audited, without secrets. Cheap to clone; clones share everything.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use secrecy::ExposeSecret;
/// use unibox_core::memory::MemorySealedBackend;
/// use unibox_core::{ChannelAccountId, TokenSet, TokenStore};
/// use unibox_vault::{Keyring, Vault};
///
/// let keys = Keyring::parse(&Keyring::generate_entry(1)).unwrap();
/// let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(keys)).build();
/// let (tenant, account) = ("acme".parse().unwrap(), ChannelAccountId::new());
/// vault.put(&tenant, account, TokenSet::new("EAAG-page-token")).await.unwrap();
/// let tokens = vault.get(&tenant, account).await.unwrap().unwrap();
/// assert_eq!(tokens.access_token.expose_secret(), "EAAG-page-token");
/// # });
/// ```
#[derive(Clone)]
pub struct Vault {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) backend: Arc<dyn SealedTokenBackend>,
    pub(crate) keys: Arc<dyn KeyProvider>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) events: broadcast::Sender<VaultEvent>,
    pub(crate) refresh_margin: Duration,
    pub(crate) lease: Duration,
    pub(crate) lease_poll: Duration,
    key_cache_ttl: Duration,
    /// The cipher new values are sealed with; blobs name their own when opened.
    cipher: Cipher,
    cache: Mutex<HashMap<TenantId, TenantKeys>>,
    /// Conversation seals handed to stores (see `conversation.rs`), cached like data keys.
    seals: Mutex<HashMap<TenantId, Arc<ConversationSeal>>>,
    pub(crate) flights: Mutex<HashMap<(TenantId, ChannelAccountId), Turn>>,
    /// This instance's name in refresh leases: unique per process and vault.
    pub(crate) holder: String,
}

/// The per-account queue of in-process refreshers: one holds it, the others wait their turn.
pub(crate) type Turn = Arc<tokio::sync::Mutex<()>>;

/// A tenant's unwrapped keys, as loaded at `loaded`.
struct TenantKeys {
    loaded: Instant,
    /// Generations the backend had at load time, newest last.
    generations: Vec<u32>,
    derived: HashMap<(u32, Purpose, Cipher), Arc<SealingKey>>,
}

/// Configures a [`Vault`].
///
/// Defaults: refresh 5 minutes before expiry, a 60-second refresh lease polled every 50 ms,
/// unwrapped data keys cached for 60 seconds, audit to `tracing`, the system clock, new values
/// sealed with XChaCha20-Poly1305.
#[derive(Debug)]
pub struct VaultBuilder {
    backend: Arc<dyn SealedTokenBackend>,
    keys: Arc<dyn KeyProvider>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
    refresh_margin: Duration,
    lease: Duration,
    lease_poll: Duration,
    key_cache_ttl: Duration,
    cipher: Cipher,
}

impl VaultBuilder {
    /// The cipher new values are sealed with (default [`Cipher::XChaCha20Poly1305`]). Values
    /// already sealed keep theirs and keep opening, so a deployment can switch at any time;
    /// each value moves to the new cipher when it is next written (a token refresh, a reconnect).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use unibox_core::memory::MemorySealedBackend;
    /// use unibox_vault::{Cipher, Keyring, Purpose, Vault};
    /// let keys = Keyring::new().with_key(1, [7; 32]).with_cipher(Cipher::Aes256GcmSiv);
    /// let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(keys))
    ///     .cipher(Cipher::Aes256GcmSiv)
    ///     .build();
    /// let tenant = "acme".parse().unwrap();
    /// let blob = vault.seal(&tenant, "note-1", Purpose::new("note"), b"hello").await.unwrap();
    /// assert_eq!(Vault::cipher_of(&blob).unwrap(), Cipher::Aes256GcmSiv);
    /// # });
    /// ```
    pub fn cipher(mut self, cipher: Cipher) -> Self {
        self.cipher = cipher;
        self
    }

    /// The clock that decides when tokens are due for refresh.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where audit records go.
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = audit;
        self
    }

    /// How long before expiry tokens are refreshed.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// How long one process may hold an account's refresh lease; it must exceed the channel's
    /// refresh request timeout. Refreshes that take longer are abandoned unstored.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How often a caller waiting for another process's refresh looks for its result.
    pub fn lease_poll(mut self, poll: Duration) -> Self {
        self.lease_poll = poll;
        self
    }

    /// How long unwrapped data keys stay cached. Another process's crypto-shredding takes
    /// effect here within this time; a shred through this vault takes effect at once.
    pub fn key_cache_ttl(mut self, ttl: Duration) -> Self {
        self.key_cache_ttl = ttl;
        self
    }

    /// Builds the vault.
    pub fn build(self) -> Vault {
        let (events, _) = broadcast::channel(256);
        Vault {
            inner: Arc::new(Inner {
                backend: self.backend,
                keys: self.keys,
                clock: self.clock,
                audit: self.audit,
                events,
                refresh_margin: self.refresh_margin,
                lease: self.lease,
                lease_poll: self.lease_poll,
                key_cache_ttl: self.key_cache_ttl,
                cipher: self.cipher,
                cache: Mutex::new(HashMap::new()),
                seals: Mutex::new(HashMap::new()),
                flights: Mutex::new(HashMap::new()),
                holder: format!("vault-{}", uuid::Uuid::now_v7()),
            }),
        }
    }
}

impl Vault {
    /// Starts configuring a vault over a backend and a key provider.
    pub fn builder(backend: Arc<dyn SealedTokenBackend>, keys: Arc<dyn KeyProvider>) -> VaultBuilder {
        VaultBuilder {
            backend,
            keys,
            clock: Arc::new(SystemClock),
            audit: Arc::new(TracingAuditSink),
            refresh_margin: Duration::from_secs(300),
            lease: Duration::from_secs(60),
            lease_poll: Duration::from_millis(50),
            key_cache_ttl: Duration::from_secs(60),
            cipher: Cipher::default(),
        }
    }

    /// The cipher new values are sealed with.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use unibox_vault::{Cipher, Keyring, Vault};
    /// let vault = Vault::builder(Arc::new(unibox_core::memory::MemorySealedBackend::new()),
    ///     Arc::new(Keyring::ephemeral())).build();
    /// assert_eq!(vault.cipher(), Cipher::XChaCha20Poly1305);
    /// ```
    pub fn cipher(&self) -> Cipher {
        self.inner.cipher
    }

    /// The cipher a sealed value (a token blob, sealed content, or a data key wrapped by a
    /// [`Keyring`](crate::Keyring)) names in its header; an error for anything that is not a
    /// sealed value. For operators' checks after switching ciphers.
    ///
    /// ```
    /// use unibox_vault::{Cipher, Vault};
    /// assert!(Vault::cipher_of(b"plain text").is_err());
    /// ```
    pub fn cipher_of(blob: &[u8]) -> Result<Cipher> {
        envelope::header(blob).map(|(cipher, _)| cipher)
    }

    /// Events from now on: refreshes, accounts needing reauthorization, revocations, shreds.
    /// A receiver that falls more than 256 events behind skips the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<VaultEvent> {
        self.inner.events.subscribe()
    }

    /// The backend, for operators' tools.
    pub fn backend(&self) -> &Arc<dyn SealedTokenBackend> {
        &self.inner.backend
    }

    /// Seals `plaintext` for (tenant, subject, purpose) under the tenant's current data key,
    /// creating the tenant's first data key if needed. Tokens use this with
    /// [`Purpose::TOKENS`] and the channel account id as subject; other sealed data (message
    /// content) uses its own purpose, so it is shredded with the tenant's tokens.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use std::sync::Arc;
    /// # use unibox_vault::{Keyring, Purpose, Vault};
    /// # let vault = Vault::builder(Arc::new(unibox_core::memory::MemorySealedBackend::new()),
    /// #     Arc::new(Keyring::new().with_key(1, [1; 32]))).build();
    /// let tenant = "acme".parse().unwrap();
    /// let note = Purpose::new("internal-note");
    /// let blob = vault.seal(&tenant, "note-17", note, b"call back at 3pm").await.unwrap();
    /// assert_eq!(vault.open(&tenant, "note-17", note, &blob).await.unwrap().as_slice(), b"call back at 3pm");
    /// assert!(vault.open(&tenant, "note-18", note, &blob).await.is_err());
    /// # });
    /// ```
    pub async fn seal(&self, tenant: &TenantId, subject: &str, purpose: Purpose, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.current_key(tenant, purpose, self.inner.cipher).await?;
        key.seal(Binding { tenant, subject, purpose }, plaintext)
    }

    /// Opens what [`seal`](Vault::seal) sealed for the same (tenant, subject, purpose). Fails
    /// with an opaque [`ErrorKind::Storage`] error when the blob was altered or belongs
    /// elsewhere, and with [`ErrorKind::TokenInvalid`] when the tenant's data key was shredded.
    pub async fn open(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: Purpose,
        blob: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let (cipher, generation) = envelope::header(blob)?;
        let key = self.key(tenant, generation, purpose, cipher).await?;
        key.open(Binding { tenant, subject, purpose }, blob)
    }

    pub(crate) async fn seal_tokens(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        tokens: &TokenSet,
    ) -> Result<Vec<u8>> {
        let plaintext = codec::encode(tokens);
        self.seal(tenant, &account.to_string(), Purpose::TOKENS, &plaintext).await
    }

    pub(crate) async fn open_tokens(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        sealed: &SealedTokens,
    ) -> Result<TokenSet> {
        let plaintext = self.open(tenant, &account.to_string(), Purpose::TOKENS, &sealed.sealed).await?;
        codec::decode(&plaintext)
    }

    /// The keys of `purpose` for `cipher` under the tenant's newest data key, creating the first one.
    async fn current_key(&self, tenant: &TenantId, purpose: Purpose, cipher: Cipher) -> Result<Arc<SealingKey>> {
        if let Some(generation) = self.cached_generations(tenant).and_then(|g| g.last().copied()) {
            return self.key(tenant, generation, purpose, cipher).await;
        }
        let mut generations = self.load(tenant).await?;
        if generations.is_empty() {
            self.create_data_key(tenant, 1).await?;
            generations = self.load(tenant).await?;
        }
        let generation = generations.last().copied().ok_or_else(|| {
            Error::new(ErrorKind::Storage, "the vault backend did not keep the tenant's new data key")
        })?;
        self.key(tenant, generation, purpose, cipher).await
    }

    /// The keys of `purpose` for `cipher` under data key `generation` of the tenant.
    async fn key(
        &self,
        tenant: &TenantId,
        generation: u32,
        purpose: Purpose,
        cipher: Cipher,
    ) -> Result<Arc<SealingKey>> {
        if let Some(key) = self.cached(tenant, generation, purpose, cipher) {
            return Ok(key);
        }
        let wrapped = self.inner.backend.data_keys(tenant).await?;
        let Some(record) = wrapped.iter().find(|k| k.generation == generation) else {
            // No key at all: the tenant was shredded. Keys, but not this one: a forged header.
            return Err(if wrapped.is_empty() { shredded(tenant) } else { crate::primitives::unopenable() });
        };
        let context = WrapContext { tenant, generation };
        let data_key = self.inner.keys.unwrap(record.kek_version, &record.wrapped, context).await?;
        let derived = Arc::new(SealingKey::derive(data_key.expose(), generation, purpose, cipher)?);
        let ttl = self.inner.key_cache_ttl;
        let mut cache = self.cache();
        let entry = cache.entry(tenant.clone()).or_insert_with(|| TenantKeys {
            loaded: Instant::now(),
            generations: Vec::new(),
            derived: HashMap::new(),
        });
        if entry.loaded.elapsed() >= ttl || entry.generations.is_empty() {
            // Stale: what was cached may since have been shredded elsewhere; start over from
            // the list just read.
            *entry = TenantKeys {
                loaded: Instant::now(),
                generations: wrapped.iter().map(|k| k.generation).collect(),
                derived: HashMap::new(),
            };
        }
        entry.derived.insert((generation, purpose, cipher), derived.clone());
        Ok(derived)
    }

    fn cached(&self, tenant: &TenantId, generation: u32, purpose: Purpose, cipher: Cipher) -> Option<Arc<SealingKey>> {
        let cache = self.cache();
        let keys = cache.get(tenant).filter(|keys| keys.loaded.elapsed() < self.inner.key_cache_ttl)?;
        keys.derived.get(&(generation, purpose, cipher)).cloned()
    }

    fn cached_generations(&self, tenant: &TenantId) -> Option<Vec<u32>> {
        let cache = self.cache();
        let keys = cache.get(tenant).filter(|keys| keys.loaded.elapsed() < self.inner.key_cache_ttl)?;
        Some(keys.generations.clone()).filter(|g| !g.is_empty())
    }

    /// Reloads the tenant's data-key list, dropping cached keys; returns the generations.
    async fn load(&self, tenant: &TenantId) -> Result<Vec<u32>> {
        let wrapped = self.inner.backend.data_keys(tenant).await?;
        let generations: Vec<u32> = wrapped.iter().map(|k| k.generation).collect();
        self.cache().insert(
            tenant.clone(),
            TenantKeys { loaded: Instant::now(), generations: generations.clone(), derived: HashMap::new() },
        );
        Ok(generations)
    }

    async fn create_data_key(&self, tenant: &TenantId, generation: u32) -> Result<()> {
        let data_key = DataKey::generate();
        let kek_version = self.inner.keys.primary_version();
        let wrapped = self.inner.keys.wrap(kek_version, &data_key, WrapContext { tenant, generation }).await?;
        // `false`: another process created this generation first; its key is the one to use.
        let _created = self
            .inner
            .backend
            .insert_data_key(WrappedDataKey { tenant: tenant.clone(), generation, kek_version, wrapped })
            .await?;
        Ok(())
    }

    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.cache().remove(tenant);
        // A seal a store still holds stops opening at once.
        if let Some(seal) = self.seals().remove(tenant) {
            seal.destroy();
        }
    }

    /// The tenant's first data key, for a store sealing its first conversation value.
    pub(crate) async fn create_first_data_key(&self, tenant: &TenantId) -> Result<()> {
        self.create_data_key(tenant, 1).await
    }

    pub(crate) fn cached_conversation_seal(&self, tenant: &TenantId) -> Option<Arc<ConversationSeal>> {
        let seals = self.seals();
        seals.get(tenant).filter(|seal| seal.loaded.elapsed() < self.inner.key_cache_ttl).cloned()
    }

    pub(crate) fn cache_conversation_seal(&self, tenant: &TenantId, seal: Arc<ConversationSeal>) {
        self.seals().insert(tenant.clone(), seal);
    }

    fn seals(&self) -> MutexGuard<'_, HashMap<TenantId, Arc<ConversationSeal>>> {
        // Entries are inserted and removed whole, so a poisoned lock is still consistent.
        self.inner.seals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<TenantId, TenantKeys>> {
        // Entries are inserted and removed whole, so a poisoned lock is still consistent.
        self.inner.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn emit(&self, event: VaultEvent) {
        // No subscriber is not an error.
        let _ = self.inner.events.send(event);
    }

    /// Records an audit entry for an action that already happened: a failure to record is
    /// logged, since the action cannot be undone.
    pub(crate) async fn audit(&self, tenant: &TenantId, action: &str, target: String, outcome: AuditOutcome) {
        let actor = Actor::automation(tenant.clone(), AUDIT_ACTOR);
        let record = AuditRecord::new(&actor, action, target, self.now(), outcome);
        if let Err(error) = self.inner.audit.record(record).await {
            tracing::error!(target: "unibox::vault", %error, action, "could not record an audit entry");
        }
    }
}

/// The tenant has no data key for a blob: it was crypto-shredded (or the blob is foreign).
pub(crate) fn shredded(tenant: &TenantId) -> Error {
    Error::new(
        ErrorKind::TokenInvalid,
        format!("tenant {tenant} has no data key for this sealed value: its keys were destroyed (crypto-shredded)"),
    )
    .permanent()
}

pub(crate) fn account_target(account: ChannelAccountId) -> String {
    unibox_core::audit::targets::channel_account(account)
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("backend", &self.inner.backend)
            .field("keys", &self.inner.keys)
            .field("refresh_margin", &self.inner.refresh_margin)
            .field("lease", &self.inner.lease)
            .field("cipher", &self.inner.cipher)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenStore for Vault {
    async fn put(&self, tenant: &TenantId, account: ChannelAccountId, tokens: TokenSet) -> Result<()> {
        let sealed = self.seal_tokens(tenant, account, &tokens).await.map_err(|e| e.with_operation("vault.put"))?;
        self.inner.backend.put_sealed(tenant, account, sealed, tokens.expires_at).await?;
        self.audit(tenant, "channel.connect", account_target(account), AuditOutcome::Success).await;
        self.emit(VaultEvent::Connected { tenant: tenant.clone(), account });
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<Option<TokenSet>> {
        match self.inner.backend.sealed(tenant, account).await? {
            SealedSlot::Active(sealed) => {
                self.open_tokens(tenant, account, &sealed).await.map(Some).map_err(|e| e.with_operation("vault.get"))
            }
            SealedSlot::Missing | SealedSlot::Revoked { .. } => Ok(None),
        }
    }

    async fn revoke(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool> {
        let revoked = self.inner.backend.revoke_sealed(tenant, account, at).await?;
        if revoked {
            self.audit(tenant, "channel.revoke", account_target(account), AuditOutcome::Success).await;
            self.emit(VaultEvent::Revoked { tenant: tenant.clone(), account });
        }
        Ok(revoked)
    }

    async fn status(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<TokenStatus> {
        Ok(match self.inner.backend.sealed(tenant, account).await? {
            SealedSlot::Missing => TokenStatus::Missing,
            SealedSlot::Active(sealed) => TokenStatus::Active { expires_at: sealed.expires_at },
            SealedSlot::Revoked { at } => TokenStatus::Revoked { at },
        })
    }

    async fn get_fresh(&self, account: &ChannelAccount, channel: &dyn Channel) -> Result<Option<TokenSet>> {
        self.fresh(account, channel).await.map_err(|e| e.with_operation("vault.get_fresh"))
    }

    async fn get_fresh_before(
        &self,
        account: &ChannelAccount,
        channel: &dyn Channel,
        horizon: Timestamp,
    ) -> Result<Option<TokenSet>> {
        self.fresh_before(account, channel, horizon).await.map_err(|e| e.with_operation("vault.get_fresh_before"))
    }
}
