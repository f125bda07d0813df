//! Every store suite, from the testkit's one capability-gated harness, against the SQLite
//! bundle: as an integrator's backend would run it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_store_sqlite::{SqliteInbox, SqliteStore};
use unibox_vault::{Keyring, StoreKeys};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_passes_the_store_harness() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_path_buf();
    let keys = Keyring::generate_entry(1);
    let opened = AtomicUsize::new(0);
    let factory = || {
        // Each check gets a new database file of its own.
        let path = root.join(format!("store-{}.db", opened.fetch_add(1, Ordering::Relaxed)));
        let keys = StoreKeys::try_from(Keyring::parse(&keys).expect("a keyring")).expect("store keys");
        async move {
            let store = SqliteStore::open(&path, keys).await;
            Store::from(store.unwrap_or_else(|err| panic!("opening {}: {err}", path.display())))
        }
    };
    let capabilities = factory().await.capabilities;
    assert!(capabilities.restore, "the SQLite store restores exports, so the export suite runs");
    unibox_testkit::harness::run(&factory, capabilities).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_sqlite_inbox_passes_the_store_harness() {
    let factory = || async {
        let inbox = SqliteInbox::open_in_memory().await.unwrap_or_else(|err| panic!("opening in memory: {err}"));
        Store::from(MemoryStore::with_inbox(Arc::new(inbox)))
    };
    let capabilities = factory().await.capabilities;
    unibox_testkit::harness::run(&factory, capabilities).await;
}
