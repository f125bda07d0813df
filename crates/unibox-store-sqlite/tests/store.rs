//! `SqliteStore`: the bundle describes itself truly, keeps tokens sealed in its file, and its
//! audit trail (the vault's records included) survives a reopen.

use unibox_core::audit::{AuditQuery, actor_name};
use unibox_core::store::Store;
use unibox_core::{ChannelAccountId, TokenSet};
use unibox_store_sqlite::SqliteStore;
use unibox_testkit::fixtures;
use unibox_vault::{Keyring, StoreKeys};

fn keys(text: &str) -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(text).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_what_its_capabilities_say_and_keeps_tokens_sealed_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let text = Keyring::generate_entry(1);
    let store: Store = SqliteStore::open(&path, keys(&text)).await.unwrap().into();
    let capabilities = store.capabilities;
    assert!(capabilities.durable && capabilities.sealed_tokens && capabilities.durable_audit);
    unibox_testkit::store::capabilities_are_true(&store).await;

    let tenant = fixtures::tenant("acme");
    let account = ChannelAccountId::new();
    let secret = "EAAG-page-token-5f1c2e";
    store.tokens.put(&tenant, account, TokenSet::new(secret)).await.unwrap();
    drop(store);

    let reopened = SqliteStore::open(&path, keys(&text)).await.unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "a file holds the token in the clear");
    }
    let tokens = unibox_core::TokenStore::get(reopened.vault(), &tenant, account).await.unwrap().unwrap();
    assert_eq!(unibox_core::secrecy::ExposeSecret::expose_secret(&tokens.access_token), secret);
    let trail = reopened.audit_trail();
    assert!(trail.verify(&tenant).await.unwrap().is_intact());
    let records = trail.query(&tenant, &AuditQuery::new()).await.unwrap().items;
    assert!(
        records.iter().any(|r| actor_name(&r.record.actor) == "unibox-vault"
            && r.record.target == format!("channel_account:{account}")),
        "the vault's record is in the store's chain: {records:?}"
    );

    // One store per file: this open waits for the dropped one to let go of it.
    drop(reopened);
    let wrong = SqliteStore::open(&path, keys(&Keyring::generate_entry(1))).await.unwrap();
    assert!(unibox_core::TokenStore::get(wrong.vault(), &tenant, account).await.is_err(), "another key opens nothing");
}
