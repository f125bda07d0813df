//! Sealed tokens: the TokenStore conformance suite, tamper and context-swap rejection, key
//! commitment, and secrets that never show.

mod common;

use std::sync::Arc;

use secrecy::ExposeSecret;
use unibox_core::memory::{MemoryAuditLog, MemorySealedBackend};
use unibox_core::{ChannelAccountId, ErrorKind, SealedSlot, SealedTokenBackend, TenantId, TokenSet, TokenStore};
use unibox_vault::{DataKey, KeyProvider, Keyring, Purpose, Vault, WrapContext};

const PAGE_TOKEN: &str = "EAAGm0PX4ZCpsBAKZCZBz7ZC9ZA3ZB4ZC5ZB6ZC7ZB8ZC9ZA0ZB1ZC2ZB3ZC4ZD";
const REFRESH_TOKEN: &str = "4e4b6f70736c7a5a6d4e52536f6c4a54";

fn vault(backend: Arc<MemorySealedBackend>) -> Vault {
    Vault::builder(backend, Arc::new(Keyring::new().with_key(1, [0x5a; 32]))).build()
}

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

#[tokio::test]
async fn the_vault_passes_the_token_store_conformance_suite() {
    unibox_testkit::tokens::run_all(&vault(Arc::new(MemorySealedBackend::new()))).await;
}

#[tokio::test]
async fn every_single_bit_flip_of_a_sealed_token_set_is_rejected() {
    let backend = Arc::new(MemorySealedBackend::new());
    let vault = vault(backend.clone());
    let (acme, account) = (tenant("acme"), ChannelAccountId::new());
    let tokens = TokenSet::new(PAGE_TOKEN).with_refresh_token(REFRESH_TOKEN);
    vault.put(&acme, account, tokens).await.unwrap();
    let SealedSlot::Active(original) = backend.sealed(&acme, account).await.unwrap() else { panic!("not stored") };
    for bit in 0..original.sealed.len() * 8 {
        let mut flipped = original.sealed.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        backend.put_sealed(&acme, account, flipped, None).await.unwrap();
        let error = vault.get(&acme, account).await.expect_err(&format!("bit {bit} flipped and still opened"));
        assert_eq!(error.kind(), ErrorKind::Storage, "bit {bit}: {error}");
        assert!(!error.to_string().contains(PAGE_TOKEN));
    }
    // Truncated and extended blobs too.
    for cut in [0, 1, 5, 29, 61, original.sealed.len() - 1] {
        backend.put_sealed(&acme, account, original.sealed[..cut].to_vec(), None).await.unwrap();
        assert!(vault.get(&acme, account).await.is_err(), "truncated to {cut}");
    }
    let mut longer = original.sealed.clone();
    longer.push(0);
    backend.put_sealed(&acme, account, longer, None).await.unwrap();
    assert!(vault.get(&acme, account).await.is_err(), "extended by one byte");
    // The intact blob still opens: the failures were the flips.
    backend.put_sealed(&acme, account, original.sealed.clone(), None).await.unwrap();
    assert_eq!(vault.get(&acme, account).await.unwrap().unwrap().access_token.expose_secret(), PAGE_TOKEN);
}

#[tokio::test]
async fn a_blob_copied_to_another_account_tenant_or_purpose_does_not_open() {
    let backend = Arc::new(MemorySealedBackend::new());
    let vault = vault(backend.clone());
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let (page, line) = (ChannelAccountId::new(), ChannelAccountId::new());
    vault.put(&acme, page, TokenSet::new(PAGE_TOKEN)).await.unwrap();
    vault.put(&globex, line, TokenSet::new("line-token")).await.unwrap();
    let SealedSlot::Active(blob) = backend.sealed(&acme, page).await.unwrap() else { panic!("not stored") };

    // Another account of the same tenant (same data key): the associated data differs.
    backend.put_sealed(&acme, line, blob.sealed.clone(), None).await.unwrap();
    assert!(vault.get(&acme, line).await.is_err(), "opened under another account");
    // Another tenant, same account id.
    backend.put_sealed(&globex, page, blob.sealed.clone(), None).await.unwrap();
    assert!(vault.get(&globex, page).await.is_err(), "opened under another tenant");
    // Another purpose: the same bytes as message content.
    let subject = page.to_string();
    assert!(vault.open(&acme, &subject, Purpose::new("message-content"), &blob.sealed).await.is_err());
    assert!(vault.open(&acme, &subject, Purpose::TOKENS, &blob.sealed).await.is_ok(), "and in place it opens");
}

#[tokio::test]
async fn a_blob_of_another_data_key_fails_at_the_key_commitment() {
    // Two vaults with the same KEK but separate backends: each tenant "acme" gets its own data key.
    let (one, two) = (vault(Arc::new(MemorySealedBackend::new())), vault(Arc::new(MemorySealedBackend::new())));
    let acme = tenant("acme");
    let blob = one.seal(&acme, "s", Purpose::TOKENS, b"value").await.unwrap();
    two.seal(&acme, "s", Purpose::TOKENS, b"other").await.unwrap();
    let error = two.open(&acme, "s", Purpose::TOKENS, &blob).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(one.open(&acme, "s", Purpose::TOKENS, &blob).await.is_ok());
}

#[tokio::test]
async fn a_wrapped_data_key_moved_to_another_tenant_or_generation_does_not_unwrap() {
    let keyring = Keyring::new().with_key(3, [1; 32]);
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let here = WrapContext { tenant: &acme, generation: 1 };
    let wrapped = keyring.wrap(3, &DataKey::from_bytes([9; 32]), here).await.unwrap();
    assert!(keyring.unwrap(3, &wrapped, here).await.is_ok());
    assert!(keyring.unwrap(3, &wrapped, WrapContext { tenant: &globex, generation: 1 }).await.is_err());
    assert!(keyring.unwrap(3, &wrapped, WrapContext { tenant: &acme, generation: 2 }).await.is_err());
    let retired = keyring.unwrap(4, &wrapped, here).await.unwrap_err();
    assert_eq!(retired.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn secrets_never_reach_debug_display_errors_or_audit_records() {
    let backend = Arc::new(MemorySealedBackend::new());
    let audit = Arc::new(MemoryAuditLog::new());
    let key_entry = Keyring::generate_entry(1);
    let keyring = Keyring::parse(&key_entry).unwrap();
    let vault = Vault::builder(backend.clone(), Arc::new(keyring.clone())).audit(audit.clone()).build();
    let (acme, account) = (tenant("acme"), ChannelAccountId::new());
    vault.put(&acme, account, TokenSet::new(PAGE_TOKEN).with_refresh_token(REFRESH_TOKEN)).await.unwrap();
    let fetched = vault.get(&acme, account).await.unwrap();
    let SealedSlot::Active(sealed) = backend.sealed(&acme, account).await.unwrap() else { panic!("not stored") };
    let mut tampered = sealed.sealed.clone();
    tampered[70] ^= 1;
    backend.put_sealed(&acme, account, tampered, None).await.unwrap();
    let error = vault.get(&acme, account).await.unwrap_err();
    let bad_keys = Keyring::parse("1:not-base64!").unwrap_err();
    vault.revoke(&acme, account, unibox_core::Timestamp::from_unix_seconds(1)).await.unwrap();

    let key_text = key_entry.split_once(':').unwrap().1;
    let outputs = [
        format!("{vault:?}"),
        format!("{vault:#?}"),
        format!("{fetched:?}"),
        format!("{sealed:?}"),
        format!("{keyring:?}"),
        format!("{:?}", DataKey::from_bytes([0x41; 32])),
        format!("{error}"),
        format!("{error:?}"),
        format!("{bad_keys}"),
        format!("{:?}", audit.records(&acme)),
        format!("{backend:?}"),
    ];
    for output in &outputs {
        for secret in [PAGE_TOKEN, REFRESH_TOKEN, &PAGE_TOKEN[..12], key_text, "AAAAAAAA", "not-base64"] {
            assert!(!output.contains(secret), "{secret:?} shows in {output}");
        }
    }
    let actions: Vec<String> = audit.records(&acme).iter().map(|r| r.action.clone()).collect();
    assert_eq!(actions, ["channel.connect", "channel.revoke"]);
}

#[tokio::test]
async fn the_backend_holds_no_plaintext() {
    let backend = Arc::new(MemorySealedBackend::new());
    let vault = vault(backend.clone());
    let (acme, account) = (tenant("acme"), ChannelAccountId::new());
    vault.put(&acme, account, TokenSet::new(PAGE_TOKEN).with_refresh_token(REFRESH_TOKEN)).await.unwrap();
    let SealedSlot::Active(sealed) = backend.sealed(&acme, account).await.unwrap() else { panic!("not stored") };
    for secret in [PAGE_TOKEN.as_bytes(), REFRESH_TOKEN.as_bytes(), &PAGE_TOKEN.as_bytes()[..8]] {
        assert!(!sealed.sealed.windows(secret.len()).any(|w| w == secret));
    }
    for key in backend.data_keys(&acme).await.unwrap() {
        assert_eq!(key.kek_version, 1);
        assert!(!key.wrapped.windows(8).any(|w| w == [0x5a; 8]), "the KEK shows in a wrapped key");
    }
}
