//! `examples/embed.rs`, the production embedding, started and stopped twice on one file: the
//! second start finds the account, its token stays sealed (its bytes are in no file of the
//! store) and the audit trail is one verified hash chain holding the vault's records too.

mod common;
#[allow(dead_code)] // `main` is the example's, not this test's.
#[path = "../examples/embed.rs"]
mod embed;

use unibox::vault::{Keyring, StoreKeys};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedding_restarts_twice_with_sealed_tokens_and_one_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keyring::generate_entry(1);
    let token = format!("crm-bearer-embed-{}", std::process::id());
    for _ in 0..2 {
        let settings = embed::Settings {
            database: dir.path().join("inbox.db"),
            keys: StoreKeys::try_from(Keyring::parse(&keys).unwrap()).unwrap(),
            webhook_secret: common::SECRET.into(),
            send_url: "http://127.0.0.1:9/unibox-outbound".parse().unwrap(),
            token: Some(token.clone()),
        };
        let embedded = embed::start(settings).await.unwrap();
        assert!(embedded.hub.store_capabilities().sealed_tokens);
        embedded.shutdown().await;
    }
    common::assert_sealed_and_chained(dir.path(), &keys, &token, "ops", 2).await;
}
