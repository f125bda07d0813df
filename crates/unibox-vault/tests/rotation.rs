//! Key rotation (with a rotation killed half-way) and crypto-shredding.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use unibox_core::memory::MemorySealedBackend;
use unibox_core::{
    ChannelAccountId, Error, ErrorKind, Result, SealedSlot, SealedTokenBackend, TenantId, Timestamp, TokenSet,
    TokenStore, WrappedDataKey,
};
use unibox_vault::{Keyring, Purpose, Vault};

const OLD: [u8; 32] = [0x11; 32];
const NEW: [u8; 32] = [0x22; 32];

/// A backend whose process "dies" (every call fails) after `rewraps_left` rewraps.
#[derive(Debug)]
struct DyingBackend {
    inner: Arc<MemorySealedBackend>,
    rewraps_left: AtomicUsize,
}

impl DyingBackend {
    fn check(&self) -> Result<()> {
        if self.rewraps_left.load(Ordering::SeqCst) == 0 {
            return Err(Error::new(ErrorKind::Storage, "the process was killed"));
        }
        Ok(())
    }
}

#[async_trait]
impl SealedTokenBackend for DyingBackend {
    async fn sealed(&self, t: &TenantId, a: ChannelAccountId) -> Result<SealedSlot> {
        self.inner.sealed(t, a).await
    }
    async fn put_sealed(&self, t: &TenantId, a: ChannelAccountId, s: Vec<u8>, e: Option<Timestamp>) -> Result<u64> {
        self.inner.put_sealed(t, a, s, e).await
    }
    async fn swap_sealed(
        &self,
        t: &TenantId,
        a: ChannelAccountId,
        r: u64,
        s: Vec<u8>,
        e: Option<Timestamp>,
    ) -> Result<bool> {
        self.inner.swap_sealed(t, a, r, s, e).await
    }
    async fn revoke_sealed(&self, t: &TenantId, a: ChannelAccountId, at: Timestamp) -> Result<bool> {
        self.inner.revoke_sealed(t, a, at).await
    }
    async fn try_lease(&self, t: &TenantId, a: ChannelAccountId, h: &str, n: Timestamp, u: Timestamp) -> Result<bool> {
        self.inner.try_lease(t, a, h, n, u).await
    }
    async fn release_lease(&self, t: &TenantId, a: ChannelAccountId, h: &str) -> Result<()> {
        self.inner.release_lease(t, a, h).await
    }
    async fn data_keys(&self, t: &TenantId) -> Result<Vec<WrappedDataKey>> {
        self.inner.data_keys(t).await
    }
    async fn insert_data_key(&self, key: WrappedDataKey) -> Result<bool> {
        self.inner.insert_data_key(key).await
    }
    async fn rewrap_data_key(&self, from: u32, key: WrappedDataKey) -> Result<bool> {
        self.check()?;
        self.rewraps_left.fetch_sub(1, Ordering::SeqCst);
        self.inner.rewrap_data_key(from, key).await
    }
    async fn data_keys_not_wrapped_with(&self, v: u32, limit: usize) -> Result<Vec<WrappedDataKey>> {
        self.check()?;
        self.inner.data_keys_not_wrapped_with(v, limit).await
    }
    async fn destroy_tenant_keys(&self, t: &TenantId) -> Result<u64> {
        self.inner.destroy_tenant_keys(t).await
    }
}

fn tenant(i: usize) -> TenantId {
    format!("tenant-{i}").parse().unwrap()
}

#[tokio::test]
async fn a_rotation_killed_half_way_resumes_and_finishes_without_decrypting_tokens() {
    let backend = Arc::new(MemorySealedBackend::new());
    let before = Vault::builder(backend.clone(), Arc::new(Keyring::new().with_key(1, OLD))).build();
    let mut accounts = Vec::new();
    for i in 0..150 {
        let account = ChannelAccountId::new();
        before.put(&tenant(i), account, TokenSet::new(format!("token-{i}"))).await.unwrap();
        accounts.push(account);
    }
    let sealed_before = backend.sealed(&tenant(7), accounts[7]).await.unwrap();

    // v2 becomes primary; the rotating process dies after 70 of 150 rewraps.
    let both = || Arc::new(Keyring::new().with_key(1, OLD).with_key(2, NEW));
    let dying = Arc::new(DyingBackend { inner: backend.clone(), rewraps_left: AtomicUsize::new(70) });
    let killed = Vault::builder(dying, both()).build();
    assert_eq!(killed.rotate().await.unwrap_err().kind(), ErrorKind::Storage);

    // Half-rotated: everything still opens (old versions open until retired), v1 cannot go yet.
    let resumed = Vault::builder(backend.clone(), both()).build();
    for (i, account) in accounts.iter().enumerate() {
        let tokens = resumed.get(&tenant(i), *account).await.unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), format!("token-{i}"));
    }
    assert_eq!(resumed.ensure_retirable(1).await.unwrap_err().kind(), ErrorKind::Conflict);
    let report = resumed.rotate().await.unwrap();
    assert_eq!((report.kek_version, report.rewrapped), (2, 80), "the resumed run did the rest");
    resumed.ensure_retirable(1).await.unwrap();
    assert_eq!(resumed.rotate().await.unwrap().rewrapped, 0, "a finished rotation has nothing to do");
    assert_eq!(backend.sealed(&tenant(7), accounts[7]).await.unwrap(), sealed_before, "tokens were not re-encrypted");

    // v1 retired: a vault with only v2 opens every token, and new tenants' keys are wrapped with v2.
    let after = Vault::builder(backend.clone(), Arc::new(Keyring::new().with_key(2, NEW))).build();
    for (i, account) in accounts.iter().enumerate() {
        assert!(after.get(&tenant(i), *account).await.unwrap().is_some());
    }
    after.put(&tenant(999), ChannelAccountId::new(), TokenSet::new("new")).await.unwrap();
    assert!(backend.data_keys(&tenant(999)).await.unwrap().iter().all(|k| k.kek_version == 2));
    // And a vault holding only the retired key opens nothing.
    let stale = Vault::builder(backend, Arc::new(Keyring::new().with_key(1, OLD))).build();
    assert_eq!(stale.get(&tenant(0), accounts[0]).await.unwrap_err().kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn shredding_a_tenant_makes_its_tokens_unreadable_and_leaves_the_other_tenant_readable() {
    let backend = Arc::new(MemorySealedBackend::new());
    let vault = Vault::builder(backend.clone(), Arc::new(Keyring::new().with_key(1, OLD))).build();
    let (acme, globex) = (tenant(1), tenant(2));
    let (acme_line, acme_page, globex_line) =
        (ChannelAccountId::new(), ChannelAccountId::new(), ChannelAccountId::new());
    vault.put(&acme, acme_line, TokenSet::new("acme-line")).await.unwrap();
    vault.put(&acme, acme_page, TokenSet::new("acme-page")).await.unwrap();
    vault.put(&globex, globex_line, TokenSet::new("globex-line")).await.unwrap();
    let note = vault.seal(&acme, "note-1", Purpose::new("note"), b"sealed content").await.unwrap();
    // A backup copy of acme's sealed row, taken before the shred.
    let SealedSlot::Active(backup) = backend.sealed(&acme, acme_line).await.unwrap() else { panic!() };

    assert_eq!(vault.shred_tenant(&acme).await.unwrap(), 1);

    assert!(vault.get(&acme, acme_page).await.unwrap().is_none());
    // Restoring the row from the backup does not bring the token back.
    backend.put_sealed(&acme, acme_line, backup.sealed, None).await.unwrap();
    let error = vault.get(&acme, acme_line).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert!(error.message().contains("crypto-shredded"), "{error}");
    // Nor does another vault instance (nothing cached) over the same store.
    let fresh = Vault::builder(backend.clone(), Arc::new(Keyring::new().with_key(1, OLD))).build();
    assert!(fresh.get(&acme, acme_line).await.is_err());
    assert!(vault.open(&acme, "note-1", Purpose::new("note"), &note).await.is_err(), "other sealed data goes too");

    let other = vault.get(&globex, globex_line).await.unwrap().unwrap();
    assert_eq!(other.access_token.expose_secret(), "globex-line");
    assert!(fresh.get(&globex, globex_line).await.unwrap().is_some());
}
