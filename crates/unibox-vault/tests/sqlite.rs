//! The vault over SQLite: conformance, no plaintext in the file, and two instances sharing
//! one file (standing in for two processes) refreshing exactly once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, RefreshingChannel, shop_tokens, shopee_platform};
use secrecy::ExposeSecret;
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelKind, ManualClock, SealedTokenBackend, Timestamp, TokenSet, TokenStore,
};
use unibox_store_sqlite::SqliteInbox;
use unibox_vault::{Keyring, Vault};

fn keys() -> Arc<Keyring> {
    Arc::new(Keyring::new().with_key(1, [0x42; 32]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_over_sqlite_passes_the_token_store_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    unibox_testkit::tokens::run_all(&Vault::builder(store, keys()).build()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_tokens_never_appear_in_the_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = Arc::new(SqliteInbox::open(&path).await.unwrap());
    let vault = Vault::builder(store.clone(), keys()).build();
    let mut planted = Vec::new();
    for (t, tenant) in ["acme", "globex"].into_iter().enumerate() {
        let tenant = tenant.parse().unwrap();
        for platform in ["line", "messenger", "shopee"] {
            let access = format!("CANARY-{t}-{platform}-access-7f3a9c1e5b");
            let refresh = format!("CANARY-{t}-{platform}-refresh-2d8e4f6a0c");
            let account = ChannelAccountId::new();
            vault.put(&tenant, account, TokenSet::new(&access).with_refresh_token(&refresh)).await.unwrap();
            assert_eq!(vault.get(&tenant, account).await.unwrap().unwrap().access_token.expose_secret(), access);
            planted.extend([access, refresh]);
        }
    }
    // Revoke one and rotate nothing: the files now hold every write the vault makes.
    let mut files = Vec::new();
    for suffix in ["", "-wal"] {
        let file = dir.path().join(format!("inbox.db{suffix}"));
        if let Ok(bytes) = std::fs::read(&file) {
            files.push((file, bytes));
        }
    }
    assert!(files.iter().map(|(_, b)| b.len()).sum::<usize>() > 0, "the database was written");
    for (file, bytes) in &files {
        for canary in &planted {
            for needle in [canary.as_bytes(), &canary.as_bytes()[..16], b"7f3a9c1e5b".as_slice()] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} holds {canary:?}", file.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vaults_sharing_one_sqlite_file_refresh_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    // Two vaults (separate caches and single-flight state, as two hubs in one process have) on
    // one store: a SQLite file takes one store at a time (a second open is refused), so only
    // the store's refresh lease can keep them to one refresh. Across processes, the PostgreSQL
    // store's tests show the same.
    let store = Arc::new(SqliteInbox::open(&path).await.unwrap());
    let (platform, books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let build = |store: Arc<SqliteInbox>| {
        Vault::builder(store as Arc<dyn SealedTokenBackend>, keys())
            .clock(clock.clone())
            .lease_poll(Duration::from_millis(5))
            .build()
    };
    let (first, second) = (build(store.clone()), build(store));
    let channel = Arc::new(RefreshingChannel::new(&platform, clock.clone()));
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-shopee".parse().unwrap(),
        ChannelKind::SHOPEE,
        "600000012",
        Timestamp::from_unix_seconds(NOW - 86_400),
    );
    first.put(&account.tenant, account.id, shop_tokens("r0", 120)).await.unwrap();

    let callers: Vec<_> = (0..100)
        .map(|i| {
            let vault = if i % 2 == 0 { first.clone() } else { second.clone() };
            let (channel, account) = (channel.clone(), account.clone());
            tokio::spawn(async move { vault.get_fresh(&account, channel.as_ref()).await })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    }
    assert_eq!(platform.request_count(), 1, "exactly one refresh reached the platform");
    assert_eq!(books.lock().unwrap().spent.len(), 1, "no refresh token was presented twice");
    let seen_by_second = second.get(&account.tenant, account.id).await.unwrap().unwrap();
    assert_eq!(seen_by_second.refresh_token.unwrap().expose_secret(), "5a6d4e52536f6c4a54-r1");
}

/// Whether `needle` appears in the database file or its write-ahead log.
fn on_disk(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    ["inbox.db", "inbox.db-wal"]
        .into_iter()
        .filter(|name| {
            std::fs::read(dir.join(name)).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shred_or_revoke_leaves_no_copy_of_the_key_or_ciphertext_in_the_live_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    let vault = Vault::builder(store.clone(), keys()).build();
    let (leaving, staying) = ("leaving".parse().unwrap(), "staying".parse().unwrap());
    let (shredded_account, revoked_account) = (ChannelAccountId::new(), ChannelAccountId::new());
    vault.put(&leaving, shredded_account, TokenSet::new("leaving-access")).await.unwrap();
    vault.put(&staying, revoked_account, TokenSet::new("staying-access")).await.unwrap();
    let wrapped = store.data_keys(&leaving).await.unwrap().remove(0).wrapped;
    let sealed_of = |slot| match slot {
        unibox_core::SealedSlot::Active(tokens) => tokens.sealed,
        other => panic!("expected sealed tokens, found {other:?}"),
    };
    let shredded_row = sealed_of(store.sealed(&leaving, shredded_account).await.unwrap());
    let revoked_row = sealed_of(store.sealed(&staying, revoked_account).await.unwrap());
    // Before: the bytes are on disk (in the log), so the scan below can see them.
    for bytes in [&wrapped, &shredded_row, &revoked_row] {
        assert!(!on_disk(dir.path(), bytes).is_empty(), "the scan finds what was written");
    }

    vault.shred_tenant(&leaving).await.unwrap();
    assert!(vault.revoke(&staying, revoked_account, Timestamp::from_unix_seconds(NOW)).await.unwrap());

    for (what, bytes) in [("wrapped key", &wrapped), ("shredded row", &shredded_row), ("revoked row", &revoked_row)] {
        assert_eq!(on_disk(dir.path(), bytes), Vec::<String>::new(), "the {what} survives");
    }
    assert_eq!(std::fs::metadata(dir.path().join("inbox.db-wal")).map(|m| m.len()).unwrap_or(0), 0, "the log is empty");
    // The other tenant still works.
    assert!(store.data_keys(&staying).await.unwrap().len() == 1);
}
