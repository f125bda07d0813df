//! [`StoreKeys`]: the keys a durable store is opened with.

use std::fmt;
use std::sync::Arc;

use unibox_core::audit::{AuditKey, AuditLog, AuditTrail};
use unibox_core::{Error, ErrorKind, Result};

use crate::{Cipher, KeyProvider, Keyring};

/// What a durable store needs to keep secrets: the [`KeyProvider`] that wraps the vault's data
/// keys, and the [`AuditKey`] that signs the audit trail's checkpoints (plus retired ones,
/// still accepted when verifying).
///
/// From a [`Keyring`] both come from the same keys: the audit keys are derived from its KEKs
/// ([`Keyring::audit_key`]), so one environment variable or key file is all a store needs.
/// With a KMS, pass the provider and an audit key of your own to [`StoreKeys::new`].
///
/// [`with_cipher`](StoreKeys::with_cipher) chooses the cipher of the deployment (default
/// XChaCha20-Poly1305; AES-256-GCM-SIV for a deployment that must state "AES-256"): the store's
/// vault seals tokens with it, and a keyring wraps data keys with it.
///
/// ```
/// use unibox_vault::{Keyring, StoreKeys};
/// let text = Keyring::generate_entry(1); // production: Keyring::from_env("UNIBOX_VAULT_KEYS")?
/// let keys = StoreKeys::try_from(Keyring::parse(&text).unwrap()).unwrap();
/// assert_eq!(keys.audit_key_id(), "vault-kek-1");
/// ```
pub struct StoreKeys {
    provider: Arc<dyn KeyProvider>,
    /// Kept when the provider is a keyring, so the cipher choice reaches its wrappings too.
    keyring: Option<Keyring>,
    cipher: Cipher,
    audit: AuditKey,
    retired_audit: Vec<AuditKey>,
}

impl StoreKeys {
    /// Keys from a provider (a KMS) and an audit checkpoint key.
    pub fn new(provider: Arc<dyn KeyProvider>, audit: AuditKey) -> Self {
        StoreKeys { provider, keyring: None, audit, retired_audit: Vec::new(), cipher: Cipher::default() }
    }

    /// Reads a [`Keyring`] from the environment variable `name` ([`Keyring::from_env`]).
    pub fn from_env(name: &str) -> Result<Self> {
        Keyring::from_env(name)?.try_into()
    }

    /// Reads a [`Keyring`] from a file ([`Keyring::from_file`]).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Keyring::from_file(path)?.try_into()
    }

    /// Also accepts checkpoints signed by `key` when verifying (a retired audit key).
    pub fn retired_audit_key(mut self, key: AuditKey) -> Self {
        self.retired_audit.push(key);
        self
    }

    /// Seals new values with `cipher`: the store's token vault seals with it, and a
    /// [`Keyring`] provider wraps new data keys with it (a KMS provider wraps as the KMS does).
    /// Values sealed before keep their cipher and keep opening.
    ///
    /// ```
    /// use unibox_vault::{Cipher, Keyring, StoreKeys};
    /// let keys = StoreKeys::try_from(Keyring::ephemeral()).unwrap().with_cipher(Cipher::Aes256GcmSiv);
    /// assert_eq!(keys.cipher(), Cipher::Aes256GcmSiv);
    /// ```
    pub fn with_cipher(mut self, cipher: Cipher) -> Self {
        self.cipher = cipher;
        if let Some(keyring) = self.keyring.take() {
            let keyring = keyring.with_cipher(cipher);
            self.provider = Arc::new(keyring.clone());
            self.keyring = Some(keyring);
        }
        self
    }

    /// The cipher new values are sealed with.
    ///
    /// ```
    /// use unibox_vault::{Cipher, Keyring, StoreKeys};
    /// assert_eq!(StoreKeys::try_from(Keyring::ephemeral()).unwrap().cipher(), Cipher::XChaCha20Poly1305);
    /// ```
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The provider that wraps the vault's data keys.
    pub fn key_provider(&self) -> &Arc<dyn KeyProvider> {
        &self.provider
    }

    /// The id of the key that signs new checkpoints.
    pub fn audit_key_id(&self) -> &str {
        self.audit.id()
    }

    /// An audit trail over `log`, signing with these keys.
    pub fn audit_trail(self, log: Arc<dyn AuditLog>) -> (Arc<dyn KeyProvider>, AuditTrail) {
        let trail = self.retired_audit.into_iter().fold(AuditTrail::new(log, self.audit), AuditTrail::retired_key);
        (self.provider, trail)
    }
}

impl TryFrom<Keyring> for StoreKeys {
    type Error = Error;

    /// Fails only for an empty keyring (no key to derive the audit key from).
    fn try_from(keyring: Keyring) -> Result<Self> {
        let primary = keyring.primary_version();
        let audit = keyring.audit_key(primary).ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the vault keyring is empty; add a key with Keyring::generate_entry")
        })?;
        let retired: Vec<AuditKey> =
            keyring.versions().into_iter().filter(|v| *v != primary).filter_map(|v| keyring.audit_key(v)).collect();
        let cipher = keyring.cipher();
        let keys = StoreKeys {
            provider: Arc::new(keyring.clone()),
            keyring: Some(keyring),
            cipher,
            audit,
            retired_audit: retired,
        };
        Ok(keys)
    }
}

impl fmt::Debug for StoreKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreKeys")
            .field("provider", &self.provider)
            .field("cipher", &self.cipher)
            .field("audit", &self.audit)
            .field("retired_audit", &self.retired_audit.len())
            .finish()
    }
}
