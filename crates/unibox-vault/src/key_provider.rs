//! The [`KeyProvider`] port: where key-encryption keys live and how data keys are wrapped.

use std::fmt;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretBox};
use unibox_core::{Result, TenantId};

use crate::primitives::KEY_LEN;

/// A tenant's data key: 32 random bytes, never stored unwrapped, zeroized on drop. It has no
/// `Clone` (and no `Serialize`), and its `Debug` shows nothing.
///
/// ```
/// let key = unibox_vault::DataKey::from_bytes([0x41; 32]);
/// assert_eq!(format!("{key:?}"), "DataKey([redacted])");
/// ```
///
/// ```compile_fail
/// fn copies<T: Clone>(_: &T) {}
/// copies(&unibox_vault::DataKey::from_bytes([0x41; 32])); // a data key cannot be cloned
/// ```
pub struct DataKey(SecretBox<[u8; KEY_LEN]>);

impl DataKey {
    /// A data key from its bytes (what a [`KeyProvider`] unwraps).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let mut bytes = bytes;
        let key = DataKey(SecretBox::init_with_mut(|slot: &mut [u8; KEY_LEN]| slot.copy_from_slice(&bytes)));
        zeroize::Zeroize::zeroize(&mut bytes);
        key
    }

    /// A data key from a 32-byte slice; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == KEY_LEN)
            .then(|| DataKey(SecretBox::init_with_mut(|slot: &mut [u8; KEY_LEN]| slot.copy_from_slice(bytes))))
    }

    /// A new random data key from the operating system's generator.
    pub(crate) fn generate() -> Self {
        let bytes = crate::envelope::random_key();
        DataKey(SecretBox::init_with_mut(|slot: &mut [u8; KEY_LEN]| slot.copy_from_slice(bytes.as_ref())))
    }

    /// The key bytes, for wrapping.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// Which data key is being wrapped: bound into the wrapping's associated data, so a wrapped key
/// copied to another tenant or generation does not unwrap.
#[derive(Clone, Copy, Debug)]
pub struct WrapContext<'a> {
    /// The tenant that owns the data key.
    pub tenant: &'a TenantId,
    /// The data key's generation within the tenant.
    pub generation: u32,
}

/// Holds the key-encryption keys (KEKs) and wraps and unwraps tenants' data keys with them.
///
/// KEKs have versions. New data keys are wrapped with the [primary](KeyProvider::primary_version)
/// version; any version the provider still has can unwrap. Rotating means: make a new version
/// primary, run [`Vault::rotate`](crate::Vault::rotate), check
/// [`Vault::ensure_retirable`](crate::Vault::ensure_retirable), then remove the old version.
///
/// Built in: [`Keyring`](crate::Keyring), with keys from an environment variable or a file.
/// Integrators plug a KMS by implementing `wrap` and `unwrap` as KMS calls (the KEK never leaves
/// the KMS, and the context goes into the KMS encryption context).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_vault::{DataKey, KeyProvider, Keyring, WrapContext};
/// let keyring = Keyring::new().with_key(1, [42u8; 32]);
/// let tenant = "acme".parse().unwrap();
/// let context = WrapContext { tenant: &tenant, generation: 1 };
/// let wrapped = keyring.wrap(1, &DataKey::from_bytes([9u8; 32]), context).await.unwrap();
/// assert_eq!(keyring.unwrap(1, &wrapped, context).await.unwrap().expose(), &[9u8; 32]);
/// # });
/// ```
#[async_trait]
pub trait KeyProvider: Send + Sync + fmt::Debug + 'static {
    /// The KEK version new data keys are wrapped with.
    fn primary_version(&self) -> u32;

    /// Wraps `data_key` under KEK `version`.
    async fn wrap(&self, version: u32, data_key: &DataKey, context: WrapContext<'_>) -> Result<Vec<u8>>;

    /// Unwraps a data key wrapped under KEK `version`. Fails when the version is unknown
    /// (retired) or the wrapping was altered or moved.
    async fn unwrap(&self, version: u32, wrapped: &[u8], context: WrapContext<'_>) -> Result<DataKey>;
}
