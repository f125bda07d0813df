//! Key-encryption-key rotation and crypto-shredding.

use unibox_core::audit::AuditOutcome;
use unibox_core::{Error, ErrorKind, Result, TenantId, WrappedDataKey};

use crate::VaultEvent;
use crate::key_provider::WrapContext;
use crate::vault::Vault;

/// What a [`Vault::rotate`] run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// The key-encryption-key version every data key is now wrapped with.
    pub kek_version: u32,
    /// Data keys rewrapped by this run (a resumed run counts only its own).
    pub rewrapped: u64,
}

/// How many data keys one rotation step reads at a time.
const ROTATION_BATCH: usize = 64;

impl Vault {
    /// Rewraps every data key that is not yet wrapped with the key provider's primary
    /// key-encryption key. Tokens are not decrypted: only the 32-byte data keys are unwrapped
    /// and wrapped again, each swapped in with a compare-and-swap on its old wrapping version.
    ///
    /// Safe to run from several processes at once and to interrupt: every rewrapped key is
    /// stored on its own, so a rotation killed half-way resumes where it stopped when run
    /// again, and old versions keep opening until [`ensure_retirable`](Vault::ensure_retirable)
    /// says they can go.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use unibox_core::{ChannelAccountId, TokenSet, TokenStore};
    /// use unibox_core::memory::MemorySealedBackend;
    /// use unibox_vault::{Keyring, Vault};
    /// let backend = Arc::new(MemorySealedBackend::new());
    /// let old = Keyring::new().with_key(1, [1; 32]);
    /// let tenant = "acme".parse().unwrap();
    /// Vault::builder(backend.clone(), Arc::new(old)).build()
    ///     .put(&tenant, ChannelAccountId::new(), TokenSet::new("t")).await.unwrap();
    ///
    /// let both = Keyring::new().with_key(1, [1; 32]).with_key(2, [2; 32]);
    /// let vault = Vault::builder(backend, Arc::new(both)).build();
    /// assert_eq!(vault.rotate().await.unwrap().rewrapped, 1);
    /// vault.ensure_retirable(1).await.unwrap();
    /// # });
    /// ```
    pub async fn rotate(&self) -> Result<RotationReport> {
        let target = self.inner.keys.primary_version();
        let mut report = RotationReport { kek_version: target, rewrapped: 0 };
        loop {
            let stale = self.inner.backend.data_keys_not_wrapped_with(target, ROTATION_BATCH).await?;
            if stale.is_empty() {
                return Ok(report);
            }
            for key in stale {
                if self.rewrap(&key, target).await? {
                    report.rewrapped += 1;
                }
            }
        }
    }

    async fn rewrap(&self, key: &WrappedDataKey, target: u32) -> Result<bool> {
        let context = WrapContext { tenant: &key.tenant, generation: key.generation };
        let data_key = self.inner.keys.unwrap(key.kek_version, &key.wrapped, context).await?;
        let wrapped = self.inner.keys.wrap(target, &data_key, context).await?;
        let replacement =
            WrappedDataKey { tenant: key.tenant.clone(), generation: key.generation, kek_version: target, wrapped };
        // `false`: another rotation got there first, or the tenant was shredded meanwhile.
        let swapped = self.inner.backend.rewrap_data_key(key.kek_version, replacement).await?;
        if swapped {
            let target_name = format!("data_key:{}:kek_v{}->v{target}", key.generation, key.kek_version);
            self.audit(&key.tenant, "vault.rotate", target_name, AuditOutcome::Success).await;
        }
        Ok(swapped)
    }

    /// Succeeds only when no data key is still wrapped with key-encryption key `version`, so
    /// removing it from the key provider cannot make anything unreadable. Fails with
    /// [`ErrorKind::Conflict`] otherwise: run [`rotate`](Vault::rotate) first.
    pub async fn ensure_retirable(&self, version: u32) -> Result<()> {
        let primary = self.inner.keys.primary_version();
        if version == primary {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "vault key version {version} is the primary one; make a newer version primary and rotate first"
                ),
            ));
        }
        let remaining = self.inner.backend.data_keys_not_wrapped_with(primary, usize::MAX).await?;
        let still_used = remaining.iter().filter(|key| key.kek_version == version).count();
        if still_used > 0 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{still_used} data keys are still wrapped with vault key version {version}; run the rotation to the end first"
                ),
            ));
        }
        Ok(())
    }

    /// Crypto-shredding: destroys every data key of the tenant (with its sealed tokens and
    /// leases). Every blob sealed for the tenant, including copies in backups and replicas of
    /// the token rows, can no longer be opened; other tenants are untouched. Returns how many
    /// data keys were destroyed. Irreversible.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use std::sync::Arc;
    /// # use unibox_vault::{Keyring, Purpose, Vault};
    /// # let vault = Vault::builder(Arc::new(unibox_core::memory::MemorySealedBackend::new()),
    /// #     Arc::new(Keyring::new().with_key(1, [1; 32]))).build();
    /// let tenant = "acme".parse().unwrap();
    /// let blob = vault.seal(&tenant, "note-1", Purpose::new("note"), b"secret").await.unwrap();
    /// assert_eq!(vault.shred_tenant(&tenant).await.unwrap(), 1);
    /// assert!(vault.open(&tenant, "note-1", Purpose::new("note"), &blob).await.is_err());
    /// # });
    /// ```
    pub async fn shred_tenant(&self, tenant: &TenantId) -> Result<u64> {
        let destroyed = self.inner.backend.destroy_tenant_keys(tenant).await?;
        self.forget_tenant(tenant);
        self.audit(tenant, "vault.shred", format!("tenant:{tenant}"), AuditOutcome::Success).await;
        self.emit(VaultEvent::Shredded { tenant: tenant.clone() });
        Ok(destroyed)
    }
}
