//! Conversation data sealed under each tenant's data key: the vault as a
//! [`DataKeys`](unibox_core::privacy::DataKeys) for stores.
//!
//! A [`ConversationSeal`] holds, for one tenant, the sealing keys of every data-key generation
//! for both ciphers (so a deployment that switched ciphers opens blobs of either), the blind
//! index key (HMAC-SHA256) and the search term key (SipHash-2-4), all derived with HKDF-SHA256
//! from the tenant's data key under labels of their own. It is cached for the vault's key cache
//! time; [`Vault::shred_tenant`](crate::Vault::shred_tenant) marks the cached seal destroyed at
//! once, so every later open fails with the typed "shredded" error.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use siphasher::sip::SipHasher24;
use unibox_core::privacy::{BLIND_LEN, DataKeys, SealedCell, TenantSeal, hex};
use unibox_core::{Error, ErrorKind, Result, TenantId};
use zeroize::Zeroizing;

use crate::envelope::{self, Binding, SealingKey};
use crate::key_provider::WrapContext;
use crate::primitives::{self, KEY_LEN};
use crate::vault::{Vault, shredded};
use crate::{Cipher, Purpose};

/// The purpose every sealed conversation value is bound to (its own HKDF keys and associated data).
pub(crate) const CONVERSATION: Purpose = Purpose::new("conversation-data");

const BLIND_LABEL: &[u8] = b"unibox-vault/v1/conversation-data/blind-index";
const TERM_LABEL: &[u8] = b"unibox-vault/v1/conversation-data/search-terms";
const HKDF_SALT: &[u8] = b"unibox-vault/v1/hkdf";

/// One tenant's conversation keys (see the module docs). Keys never appear in `Debug`.
pub(crate) struct ConversationSeal {
    tenant: TenantId,
    /// The cipher and generation new values are sealed with; `None`: the tenant has no key.
    current: Option<(Cipher, u32)>,
    keys: HashMap<(u32, Cipher), SealingKey>,
    blind: Hmac<Sha256>,
    term: (u64, u64),
    destroyed: AtomicBool,
    pub(crate) loaded: Instant,
}

impl ConversationSeal {
    /// A seal for a tenant without data keys: opens nothing, and its blinds (under a random
    /// key) match nothing stored.
    fn keyless(tenant: &TenantId) -> Result<Self> {
        let root = envelope::random_key();
        let (blind, term) = index_keys(&root)?;
        Ok(ConversationSeal {
            tenant: tenant.clone(),
            current: None,
            keys: HashMap::new(),
            blind,
            term,
            destroyed: AtomicBool::new(false),
            loaded: Instant::now(),
        })
    }

    pub(crate) fn destroy(&self) {
        self.destroyed.store(true, Ordering::Release);
    }

    fn usable(&self) -> Result<()> {
        if self.destroyed.load(Ordering::Acquire) || self.current.is_none() {
            return Err(shredded(&self.tenant));
        }
        Ok(())
    }
}

fn index_keys(root: &[u8; KEY_LEN]) -> Result<(Hmac<Sha256>, (u64, u64))> {
    let mut blind = Zeroizing::new([0u8; KEY_LEN]);
    primitives::hkdf_sha256(root, Some(HKDF_SALT), BLIND_LABEL, blind.as_mut())?;
    let mut term = Zeroizing::new([0u8; 16]);
    primitives::hkdf_sha256(root, Some(HKDF_SALT), TERM_LABEL, term.as_mut())?;
    let blind = <Hmac<Sha256> as KeyInit>::new_from_slice(blind.as_ref())
        .map_err(|_| Error::new(ErrorKind::Unexpected, "HMAC accepts any key length"))?;
    let (k0, k1) = term.split_at(8);
    let k0 = u64::from_le_bytes(k0.try_into().unwrap_or_default());
    let k1 = u64::from_le_bytes(k1.try_into().unwrap_or_default());
    Ok((blind, (k0, k1)))
}

/// The associated-data subject of a cell: its field and the row id in hex.
fn subject(cell: SealedCell<'_>) -> String {
    format!("{}:{}", cell.field, hex(cell.row))
}

impl TenantSeal for ConversationSeal {
    fn seal(&self, cell: SealedCell<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.usable()?;
        let (cipher, generation) = self.current.ok_or_else(|| shredded(&self.tenant))?;
        let key = self.keys.get(&(generation, cipher)).ok_or_else(|| shredded(&self.tenant))?;
        let subject = subject(cell);
        key.seal(Binding { tenant: &self.tenant, subject: &subject, purpose: CONVERSATION }, plaintext)
    }

    fn open(&self, cell: SealedCell<'_>, sealed: &[u8]) -> Result<Vec<u8>> {
        self.usable()?;
        let (cipher, generation) = envelope::header(sealed)?;
        let key = self.keys.get(&(generation, cipher)).ok_or_else(primitives::unopenable)?;
        let subject = subject(cell);
        let opened = key.open(Binding { tenant: &self.tenant, subject: &subject, purpose: CONVERSATION }, sealed)?;
        Ok(opened.to_vec())
    }

    fn blind(&self, index: &str, value: &[u8]) -> [u8; BLIND_LEN] {
        let mut mac = self.blind.clone();
        // Length-prefixed, so ("ab", "c") and ("a", "bc") stay apart.
        mac.update(&(index.len() as u32).to_be_bytes());
        mac.update(index.as_bytes());
        mac.update(value);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; BLIND_LEN];
        out.copy_from_slice(&full[..BLIND_LEN]);
        out
    }

    fn term(&self, term: &str) -> u64 {
        let mut hasher = SipHasher24::new_with_keys(self.term.0, self.term.1);
        hasher.write(term.as_bytes());
        hasher.finish()
    }
}

impl fmt::Debug for ConversationSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversationSeal")
            .field("tenant", &self.tenant)
            .field("current", &self.current)
            .field("destroyed", &self.destroyed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Loads the tenant's conversation seal (creating its first data key when `create`).
    async fn load_conversation_seal(&self, tenant: &TenantId, create: bool) -> Result<Arc<ConversationSeal>> {
        if let Some(seal) = self.cached_conversation_seal(tenant) {
            return Ok(seal);
        }
        let mut wrapped = self.inner.backend.data_keys(tenant).await?;
        if wrapped.is_empty() && create {
            self.create_first_data_key(tenant).await?;
            wrapped = self.inner.backend.data_keys(tenant).await?;
        }
        if wrapped.is_empty() {
            // Not cached: a key created later (the tenant's first write) must be found.
            return Ok(Arc::new(ConversationSeal::keyless(tenant)?));
        }
        wrapped.sort_by_key(|key| key.generation);
        let mut keys = HashMap::new();
        let mut index = None;
        for record in &wrapped {
            let context = WrapContext { tenant, generation: record.generation };
            let data_key = self.inner.keys.unwrap(record.kek_version, &record.wrapped, context).await?;
            for cipher in Cipher::ALL {
                let key = SealingKey::derive(data_key.expose(), record.generation, CONVERSATION, cipher)?;
                keys.insert((record.generation, cipher), key);
            }
            // The index keys come from the first generation, so blinds stay equal for the
            // tenant's whole life (lookups and search compare them with stored ones).
            if index.is_none() {
                index = Some(index_keys(data_key.expose())?);
            }
        }
        let newest = wrapped.last().map(|key| key.generation).unwrap_or(1);
        let (blind, term) =
            index.ok_or_else(|| Error::new(ErrorKind::Unexpected, "a tenant with data keys has index keys"))?;
        let seal = Arc::new(ConversationSeal {
            tenant: tenant.clone(),
            current: Some((self.cipher(), newest)),
            keys,
            blind,
            term,
            destroyed: AtomicBool::new(false),
            loaded: Instant::now(),
        });
        self.cache_conversation_seal(tenant, seal.clone());
        Ok(seal)
    }
}

#[async_trait]
impl DataKeys for Vault {
    async fn for_writing(&self, tenant: &TenantId) -> Result<Arc<dyn TenantSeal>> {
        let seal: Arc<dyn TenantSeal> = self.load_conversation_seal(tenant, true).await?;
        Ok(seal)
    }

    async fn for_reading(&self, tenant: &TenantId) -> Result<Arc<dyn TenantSeal>> {
        let seal: Arc<dyn TenantSeal> = self.load_conversation_seal(tenant, false).await?;
        Ok(seal)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use unibox_core::memory::MemorySealedBackend;
    use unibox_core::privacy::{DataKeys, SealedCell};

    use crate::{Cipher, Keyring, Vault};

    fn vault(backend: Arc<MemorySealedBackend>, cipher: Cipher) -> Vault {
        let keys = Keyring::new().with_key(1, [9; 32]).with_cipher(cipher);
        Vault::builder(backend, Arc::new(keys)).cipher(cipher).build()
    }

    #[tokio::test]
    async fn a_value_opens_in_its_cell_only_and_either_cipher_opens_the_other() {
        let backend = Arc::new(MemorySealedBackend::new());
        let chacha = vault(backend.clone(), Cipher::XChaCha20Poly1305);
        let aes = vault(backend, Cipher::Aes256GcmSiv);
        let tenant = "acme".parse().unwrap();
        let cell = SealedCell::new("messages.content", b"m1");
        let by_chacha = chacha.for_writing(&tenant).await.unwrap().seal(cell, b"hello").unwrap();
        let by_aes = aes.for_writing(&tenant).await.unwrap().seal(cell, b"hello").unwrap();
        assert_eq!(Vault::cipher_of(&by_chacha).unwrap(), Cipher::XChaCha20Poly1305);
        assert_eq!(Vault::cipher_of(&by_aes).unwrap(), Cipher::Aes256GcmSiv);
        for vault in [&chacha, &aes] {
            let seal = vault.for_reading(&tenant).await.unwrap();
            assert_eq!(seal.open(cell, &by_chacha).unwrap(), b"hello");
            assert_eq!(seal.open(cell, &by_aes).unwrap(), b"hello");
            assert!(seal.open(SealedCell::new("messages.content", b"m2"), &by_aes).is_err());
            assert!(seal.open(SealedCell::new("notes.body", b"m1"), &by_aes).is_err());
        }
        // Blinds do not depend on the cipher.
        let (a, b) = (chacha.for_reading(&tenant).await.unwrap(), aes.for_reading(&tenant).await.unwrap());
        assert_eq!(a.blind("identity", b"U1"), b.blind("identity", b"U1"));
        assert_eq!(a.term("abc"), b.term("abc"));
        assert_ne!(a.blind("identity", b"U1"), a.blind("identity", b"U2"));
    }

    #[tokio::test]
    async fn another_tenant_gets_other_blinds_and_opens_nothing() {
        let vault = vault(Arc::new(MemorySealedBackend::new()), Cipher::XChaCha20Poly1305);
        let (acme, globex) = ("acme".parse().unwrap(), "globex".parse().unwrap());
        let a = vault.for_writing(&acme).await.unwrap();
        let g = vault.for_writing(&globex).await.unwrap();
        assert_ne!(a.blind("identity", b"U1"), g.blind("identity", b"U1"));
        assert_ne!(a.term("สวั"), g.term("สวั"));
        let cell = SealedCell::new("notes.body", b"n1");
        assert!(g.open(cell, &a.seal(cell, b"secret").unwrap()).is_err());
    }

    #[tokio::test]
    async fn after_shredding_opens_fail_typed_even_through_a_seal_held_before() {
        let vault = vault(Arc::new(MemorySealedBackend::new()), Cipher::XChaCha20Poly1305);
        let tenant = "acme".parse().unwrap();
        let held = vault.for_writing(&tenant).await.unwrap();
        let cell = SealedCell::new("contacts.display_name", b"c1");
        let blob = held.seal(cell, b"Somchai").unwrap();
        vault.shred_tenant(&tenant).await.unwrap();
        let error = held.open(cell, &blob).unwrap_err();
        assert_eq!(error.kind(), unibox_core::ErrorKind::TokenInvalid);
        let fresh = vault.for_reading(&tenant).await.unwrap();
        assert_eq!(fresh.open(cell, &blob).unwrap_err().kind(), unibox_core::ErrorKind::TokenInvalid);
        assert!(format!("{held:?}").contains("acme"));
    }
}
