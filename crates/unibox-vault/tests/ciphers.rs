//! The cipher choice: AES-256-GCM-SIV sealing passes what XChaCha20-Poly1305 passes, one store
//! holds values sealed under both and opens all of them, and key rotation crosses ciphers.

use std::sync::Arc;

use secrecy::ExposeSecret;
use unibox_core::memory::MemorySealedBackend;
use unibox_core::{ChannelAccountId, ErrorKind, SealedSlot, SealedTokenBackend, TenantId, TokenSet, TokenStore};
use unibox_store_sqlite::SqliteStore;
use unibox_vault::{Cipher, Keyring, StoreKeys, Vault};

const OLD: [u8; 32] = [0x31; 32];
const NEW: [u8; 32] = [0x32; 32];

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

fn vault(backend: Arc<MemorySealedBackend>, keyring: Keyring, cipher: Cipher) -> Vault {
    Vault::builder(backend, Arc::new(keyring)).cipher(cipher).build()
}

async fn sealed_blob(backend: &MemorySealedBackend, tenant: &TenantId, account: ChannelAccountId) -> Vec<u8> {
    match backend.sealed(tenant, account).await.unwrap() {
        SealedSlot::Active(sealed) => sealed.sealed,
        other => panic!("no sealed tokens: {other:?}"),
    }
}

async fn access_token(store: &dyn TokenStore, tenant: &TenantId, account: ChannelAccountId) -> String {
    store.get(tenant, account).await.unwrap().expect("tokens present").access_token.expose_secret().to_owned()
}

#[tokio::test]
async fn an_aes_vault_passes_the_token_store_conformance_suite() {
    let keyring = Keyring::new().with_key(1, OLD).with_cipher(Cipher::Aes256GcmSiv);
    unibox_testkit::tokens::run_all(&vault(Arc::new(MemorySealedBackend::new()), keyring, Cipher::Aes256GcmSiv)).await;
}

#[tokio::test]
async fn every_single_bit_flip_of_an_aes_sealed_token_set_is_rejected() {
    let backend = Arc::new(MemorySealedBackend::new());
    let vault = vault(backend.clone(), Keyring::new().with_key(1, OLD), Cipher::Aes256GcmSiv);
    let (acme, account) = (tenant("acme"), ChannelAccountId::new());
    vault.put(&acme, account, TokenSet::new("line-channel-token").with_refresh_token("r")).await.unwrap();
    let original = sealed_blob(&backend, &acme, account).await;
    assert_eq!(Vault::cipher_of(&original).unwrap(), Cipher::Aes256GcmSiv);
    for bit in 0..original.len() * 8 {
        let mut flipped = original.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        backend.put_sealed(&acme, account, flipped, None).await.unwrap();
        let error = vault.get(&acme, account).await.expect_err(&format!("bit {bit} flipped and still opened"));
        assert_eq!(error.kind(), ErrorKind::Storage, "bit {bit}: {error}");
    }
    backend.put_sealed(&acme, account, original, None).await.unwrap();
    assert_eq!(access_token(&vault, &acme, account).await, "line-channel-token");
}

#[tokio::test]
async fn values_sealed_under_both_ciphers_open_side_by_side_whichever_cipher_seals_new_ones() {
    let backend = Arc::new(MemorySealedBackend::new());
    let acme = tenant("acme");
    let (line, messenger) = (ChannelAccountId::new(), ChannelAccountId::new());
    let chacha = vault(backend.clone(), Keyring::new().with_key(1, OLD), Cipher::XChaCha20Poly1305);
    chacha.put(&acme, line, TokenSet::new("line-token")).await.unwrap();
    // The deployment switches: same keys, AES from now on.
    let aes =
        vault(backend.clone(), Keyring::new().with_key(1, OLD).with_cipher(Cipher::Aes256GcmSiv), Cipher::Aes256GcmSiv);
    aes.put(&acme, messenger, TokenSet::new("page-token")).await.unwrap();

    assert_eq!(Vault::cipher_of(&sealed_blob(&backend, &acme, line).await).unwrap(), Cipher::XChaCha20Poly1305);
    assert_eq!(Vault::cipher_of(&sealed_blob(&backend, &acme, messenger).await).unwrap(), Cipher::Aes256GcmSiv);
    for store in [&chacha, &aes] {
        assert_eq!(access_token(store, &acme, line).await, "line-token");
        assert_eq!(access_token(store, &acme, messenger).await, "page-token");
    }
    // A rewrite moves a value to the cipher of the vault that writes it.
    aes.put(&acme, line, TokenSet::new("line-token-2")).await.unwrap();
    assert_eq!(Vault::cipher_of(&sealed_blob(&backend, &acme, line).await).unwrap(), Cipher::Aes256GcmSiv);
    assert_eq!(access_token(&chacha, &acme, line).await, "line-token-2");
}

#[tokio::test]
async fn rotation_rewraps_data_keys_into_the_new_cipher_and_the_old_key_retires() {
    let backend = Arc::new(MemorySealedBackend::new());
    let tenants: Vec<TenantId> = (0..5).map(|i| tenant(&format!("tenant-{i}"))).collect();
    let before = vault(backend.clone(), Keyring::new().with_key(1, OLD), Cipher::XChaCha20Poly1305);
    let mut accounts = Vec::new();
    for tenant in &tenants {
        let account = ChannelAccountId::new();
        before.put(tenant, account, TokenSet::new(format!("token-of-{tenant}"))).await.unwrap();
        accounts.push(account);
    }
    for key in backend.data_keys(&tenants[0]).await.unwrap() {
        assert_eq!(Vault::cipher_of(&key.wrapped).unwrap(), Cipher::XChaCha20Poly1305);
    }

    let both = Keyring::new().with_key(1, OLD).with_key(2, NEW).with_cipher(Cipher::Aes256GcmSiv);
    let rotating = vault(backend.clone(), both, Cipher::Aes256GcmSiv);
    assert_eq!(rotating.rotate().await.unwrap().rewrapped, 5);
    rotating.ensure_retirable(1).await.unwrap();
    for tenant in &tenants {
        let keys = backend.data_keys(tenant).await.unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!((keys[0].kek_version, Vault::cipher_of(&keys[0].wrapped).unwrap()), (2, Cipher::Aes256GcmSiv));
    }

    // Version 1 is gone: every token (still XChaCha-sealed under its data key) opens.
    let after =
        vault(backend.clone(), Keyring::new().with_key(2, NEW).with_cipher(Cipher::Aes256GcmSiv), Cipher::Aes256GcmSiv);
    for (tenant, account) in tenants.iter().zip(&accounts) {
        assert_eq!(access_token(&after, tenant, *account).await, format!("token-of-{tenant}"));
    }
    // And back: rotating to a version 3 wrapped with XChaCha20-Poly1305 crosses the other way.
    let back = Keyring::new().with_key(2, NEW).with_key(3, [0x33; 32]);
    let returning = vault(backend.clone(), back, Cipher::XChaCha20Poly1305);
    assert_eq!(returning.rotate().await.unwrap().rewrapped, 5);
    let last = vault(backend.clone(), Keyring::new().with_key(3, [0x33; 32]), Cipher::XChaCha20Poly1305);
    for (tenant, account) in tenants.iter().zip(&accounts) {
        assert_eq!(access_token(&last, tenant, *account).await, format!("token-of-{tenant}"));
        let keys = backend.data_keys(tenant).await.unwrap();
        assert_eq!(Vault::cipher_of(&keys[0].wrapped).unwrap(), Cipher::XChaCha20Poly1305);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sqlite_file_holds_tokens_of_both_ciphers_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let keys = |cipher: Cipher| StoreKeys::try_from(Keyring::parse(&entry).unwrap()).unwrap().with_cipher(cipher);
    let acme = tenant("acme");
    let (line, messenger) = (ChannelAccountId::new(), ChannelAccountId::new());

    let first = SqliteStore::open(&path, keys(Cipher::XChaCha20Poly1305)).await.unwrap();
    first.vault().put(&acme, line, TokenSet::new("line-token")).await.unwrap();
    drop(first);

    let second = SqliteStore::open(&path, keys(Cipher::Aes256GcmSiv)).await.unwrap();
    assert_eq!(second.vault().cipher(), Cipher::Aes256GcmSiv);
    second.vault().put(&acme, messenger, TokenSet::new("page-token")).await.unwrap();
    assert_eq!(access_token(second.vault(), &acme, line).await, "line-token");
    let SealedSlot::Active(sealed) = second.inbox().sealed(&acme, messenger).await.unwrap() else { panic!("stored") };
    assert_eq!(Vault::cipher_of(&sealed.sealed).unwrap(), Cipher::Aes256GcmSiv);
    drop(second);

    let third = SqliteStore::open(&path, keys(Cipher::XChaCha20Poly1305)).await.unwrap();
    assert_eq!(access_token(third.vault(), &acme, line).await, "line-token");
    assert_eq!(access_token(third.vault(), &acme, messenger).await, "page-token");
    assert!(third.audit_trail().verify(&acme).await.unwrap().is_intact());
}

#[test]
fn cipher_names_parse_from_configuration_and_unknown_ones_are_refused() {
    assert_eq!("XChaCha20-Poly1305".parse::<Cipher>().unwrap(), Cipher::XChaCha20Poly1305);
    assert_eq!(" AES-256-GCM-SIV ".parse::<Cipher>().unwrap(), Cipher::Aes256GcmSiv);
    let error = "AES-128-GCM".parse::<Cipher>().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.message().contains("AES-256-GCM-SIV"), "{error}");
    for cipher in Cipher::ALL {
        assert_eq!(cipher.to_string().parse::<Cipher>().unwrap(), cipher);
    }
}
