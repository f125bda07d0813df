//! [`Keyring`]: the built-in [`KeyProvider`], with key-encryption keys from an environment
//! variable or a file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use unibox_core::{Error, ErrorKind, Result};
use zeroize::Zeroizing;

use crate::envelope::{Binding, SealingKey};
use crate::key_provider::{DataKey, KeyProvider, WrapContext};
use crate::primitives::KEY_LEN;
use crate::{Cipher, Purpose};

/// Key-encryption keys held in process memory, by version; the highest version is primary.
///
/// The text form (environment variable or file) lists `version:base64-key` entries separated
/// by whitespace, commas or new lines; `#` starts a comment line. Each key is 32 random bytes;
/// [`Keyring::generate_entry`] makes one.
///
/// ```text
/// # /etc/unibox/vault-keys: added v2 on 2026-11-01, v1 retired after rotation
/// 1:3q2+7w8XgA2yq0n0Qm9kS1x2V5b6N7m8P9q0R1s2T3U=
/// 2:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg=
/// ```
///
/// ```
/// use unibox_vault::{KeyProvider, Keyring};
/// let text = format!("{}\n{}", Keyring::generate_entry(1), Keyring::generate_entry(2));
/// let keyring = Keyring::parse(&text).unwrap();
/// assert_eq!(keyring.primary_version(), 2);
/// assert_eq!(keyring.versions(), vec![1, 2]);
/// assert!(!format!("{keyring:?}").contains(&text[2..20]));
/// ```
#[derive(Clone, Default)]
pub struct Keyring {
    /// Per version, the wrapping keys of every cipher: data keys wrapped under either open.
    keys: BTreeMap<(u32, Cipher), Arc<SealingKey>>,
    /// The cipher new wrappings use.
    cipher: Cipher,
    /// Per version, the audit checkpoint key derived from the KEK (see [`Keyring::audit_key`]).
    audit: BTreeMap<u32, Arc<Zeroizing<[u8; KEY_LEN]>>>,
}

/// The HKDF salt of the audit checkpoint keys derived from KEKs: distinct from every key the
/// envelope derives, so a checkpoint key reveals nothing about the KEK or what it wraps.
const AUDIT_KEY_SALT: &[u8] = b"unibox-vault/v1/audit-checkpoint";

impl Keyring {
    /// An empty keyring (add keys with [`with_key`](Keyring::with_key)).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) KEK `version`.
    pub fn with_key(mut self, version: u32, key: [u8; KEY_LEN]) -> Self {
        let key = Zeroizing::new(key);
        for cipher in Cipher::ALL {
            // Deriving from a 32-byte key cannot fail (HKDF output lengths are fixed and small).
            if let Ok(sealing) = SealingKey::derive(&key, version, Purpose::DATA_KEY, cipher) {
                self.keys.insert((version, cipher), Arc::new(sealing));
            }
        }
        let mut audit = Zeroizing::new([0u8; KEY_LEN]);
        let info = format!("kek-version:{version}");
        if crate::primitives::hkdf_sha256(key.as_ref(), Some(AUDIT_KEY_SALT), info.as_bytes(), audit.as_mut()).is_ok() {
            self.audit.insert(version, Arc::new(audit));
        }
        self
    }

    /// Wraps new data keys with `cipher` (default [`Cipher::XChaCha20Poly1305`]). Data keys
    /// already wrapped keep their cipher and keep unwrapping; [`Vault::rotate`](crate::Vault::rotate)
    /// to a new key version rewraps them with this one.
    ///
    /// ```
    /// use unibox_vault::{Cipher, Keyring};
    /// let keyring = Keyring::new().with_key(1, [7; 32]).with_cipher(Cipher::Aes256GcmSiv);
    /// assert_eq!(keyring.cipher(), Cipher::Aes256GcmSiv);
    /// ```
    pub fn with_cipher(mut self, cipher: Cipher) -> Self {
        self.cipher = cipher;
        self
    }

    /// The cipher new data keys are wrapped with.
    ///
    /// ```
    /// assert_eq!(unibox_vault::Keyring::new().cipher(), unibox_vault::Cipher::XChaCha20Poly1305);
    /// ```
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// A keyring with one random key (version 1) that is never written anywhere: what it seals
    /// cannot be opened after the process exits. For tests and trials; a product reads its
    /// keys with [`from_env`](Keyring::from_env) or [`from_file`](Keyring::from_file).
    ///
    /// ```
    /// use unibox_vault::{KeyProvider, Keyring};
    /// assert_eq!(Keyring::ephemeral().primary_version(), 1);
    /// ```
    pub fn ephemeral() -> Self {
        Keyring::new().with_key(1, *crate::envelope::random_key())
    }

    /// The key that signs audit checkpoints, derived from KEK `version` (HKDF-SHA256 with its
    /// own salt), named `vault-kek-<version>`. A store opened with this keyring signs with the
    /// primary version's and accepts the others', so rotating the KEK rotates it too.
    ///
    /// ```
    /// use unibox_vault::Keyring;
    /// let keyring = Keyring::new().with_key(3, [5; 32]);
    /// assert_eq!(keyring.audit_key(3).unwrap().id(), "vault-kek-3");
    /// assert!(keyring.audit_key(4).is_none());
    /// ```
    pub fn audit_key(&self, version: u32) -> Option<unibox_core::audit::AuditKey> {
        let secret = self.audit.get(&version)?;
        unibox_core::audit::AuditKey::new(format!("vault-kek-{version}"), secret.to_vec()).ok()
    }

    /// Parses the text form (see the type's docs). Errors name the entry's position, never its key.
    pub fn parse(text: &str) -> Result<Self> {
        let mut keyring = Keyring::new();
        let entries = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(|line| line.split(|c: char| c == ',' || c.is_whitespace()))
            .filter(|entry| !entry.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let invalid = |what: &str| {
                Error::new(
                    ErrorKind::Configuration,
                    format!("vault key entry {position} {what}; expected version:base64-of-32-bytes"),
                )
            };
            let (version, key) = entry.split_once(':').ok_or_else(|| invalid("has no ':'"))?;
            let version: u32 = version.parse().map_err(|_| invalid("has a version that is not a number"))?;
            let bytes = Zeroizing::new(STANDARD.decode(key).map_err(|_| invalid("is not base64"))?);
            let key: Zeroizing<[u8; KEY_LEN]> =
                Zeroizing::new(bytes.as_slice().try_into().map_err(|_| invalid("does not decode to 32 bytes"))?);
            if keyring.keys.contains_key(&(version, Cipher::default())) {
                return Err(invalid("repeats a version"));
            }
            keyring = keyring.with_key(version, *key);
        }
        if keyring.keys.is_empty() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "no vault keys given; add one with Keyring::generate_entry",
            ));
        }
        Ok(keyring)
    }

    /// Reads keys from the environment variable `name` (for example `UNIBOX_VAULT_KEYS`).
    pub fn from_env(name: &str) -> Result<Self> {
        let text = Zeroizing::new(std::env::var(name).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                format!("the environment variable {name} with the vault keys is not set"),
            )
        })?);
        Self::parse(&text).map_err(|e| e.with_context("variable", name))
    }

    /// Reads keys from a file (readable by the service only).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            Error::new(ErrorKind::Configuration, format!("could not read the vault key file {}", path.display()))
                .with_source(e)
        })?);
        Self::parse(&text).map_err(|e| e.with_context("file", path.display()))
    }

    /// A new random key as a text-form entry for `version`, to append to the key file or variable.
    pub fn generate_entry(version: u32) -> String {
        let key = crate::envelope::random_key();
        format!("{version}:{}", STANDARD.encode(key.as_ref()))
    }

    /// The versions held, ascending.
    pub fn versions(&self) -> Vec<u32> {
        let mut versions: Vec<u32> = self.keys.keys().map(|(version, _)| *version).collect();
        versions.dedup();
        versions
    }

    fn key(&self, version: u32, cipher: Cipher) -> Result<&SealingKey> {
        self.keys.get(&(version, cipher)).map(Arc::as_ref).ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                format!("vault key version {version} is not in the keyring; it was retired or never added"),
            )
        })
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("versions", &self.versions()).field("cipher", &self.cipher).finish()
    }
}

#[async_trait]
impl KeyProvider for Keyring {
    fn primary_version(&self) -> u32 {
        self.keys.keys().next_back().map_or(0, |(version, _)| *version)
    }

    async fn wrap(&self, version: u32, data_key: &DataKey, context: WrapContext<'_>) -> Result<Vec<u8>> {
        let subject = format!("generation:{}", context.generation);
        let binding = Binding { tenant: context.tenant, subject: &subject, purpose: Purpose::DATA_KEY };
        self.key(version, self.cipher)?.seal(binding, data_key.expose())
    }

    async fn unwrap(&self, version: u32, wrapped: &[u8], context: WrapContext<'_>) -> Result<DataKey> {
        let subject = format!("generation:{}", context.generation);
        let binding = Binding { tenant: context.tenant, subject: &subject, purpose: Purpose::DATA_KEY };
        // The wrapping names its cipher: keys wrapped before a switch still unwrap.
        let (cipher, _) = crate::envelope::header(wrapped)?;
        let bytes = self.key(version, cipher)?.open(binding, wrapped)?;
        DataKey::from_slice(&bytes).ok_or_else(crate::primitives::unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_entries_are_configuration_errors_that_never_echo_the_key() {
        let short = STANDARD.encode([7u8; 31]);
        let good = Keyring::generate_entry(1);
        for (text, says) in [
            ("", "no vault keys"),
            ("# only a comment", "no vault keys"),
            ("c2VjcmV0", "has no ':'"),
            ("one:c2VjcmV0", "not a number"),
            ("1:***", "not base64"),
            (&format!("1:{short}"), "32 bytes"),
            (&format!("{good}\n{good}"), "repeats a version"),
        ] {
            let error = Keyring::parse(text).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Configuration, "{text:?}");
            assert!(error.message().contains(says), "{text:?}: {error}");
            assert!(!error.to_string().contains(&good[2..]), "the key shows in {error}");
        }
    }

    #[test]
    fn comments_commas_and_blank_lines_are_allowed_and_the_highest_version_is_primary() {
        let text = format!(
            "# vault keys\n\n{}, {}\n{}\n",
            Keyring::generate_entry(3),
            Keyring::generate_entry(1),
            Keyring::generate_entry(2)
        );
        let keyring = Keyring::parse(&text).unwrap();
        assert_eq!(keyring.versions(), vec![1, 2, 3]);
        assert_eq!(keyring.primary_version(), 3);
    }

    #[test]
    fn a_key_file_is_read_and_a_missing_one_is_named() {
        let dir = std::env::temp_dir().join(format!("unibox-vault-keyring-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault-keys");
        std::fs::write(&path, Keyring::generate_entry(4)).unwrap();
        assert_eq!(Keyring::from_file(&path).unwrap().primary_version(), 4);
        let missing = Keyring::from_file(dir.join("absent")).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::Configuration);
        assert!(missing.message().contains("absent"), "{missing}");
        let unset = Keyring::from_env("UNIBOX_VAULT_KEYS_SURELY_UNSET_IN_TESTS").unwrap_err();
        assert!(unset.message().contains("UNIBOX_VAULT_KEYS_SURELY_UNSET_IN_TESTS"), "{unset}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
