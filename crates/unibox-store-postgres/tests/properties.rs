//! The testkit's ingest property on PostgreSQL: delivering a generated history with random
//! redeliveries, in random order and random batches, leaves the same state as ingesting it once
//! in order. Each generated case gets a fresh schema. The case count is the testkit's
//! (`PROPTEST_CASES`, default 64).

use std::sync::{Arc, Mutex};

use unibox_core::memory::MemoryStore;
use unibox_core::privacy::DataKeys;
use unibox_core::store::Store;
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;
use unibox_vault::{Keyring, Vault};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_is_idempotent_under_redelivery_and_reordering() {
    const TEST: &str = "ingest_is_idempotent_under_redelivery_and_reordering";
    // Whether PostgreSQL is there at all (the skip rule), before generating cases.
    let Some(probe) = TestDatabase::create(TEST).await else { return };
    drop(probe);
    // Every case's schema lives until the end of the test.
    let databases: Arc<Mutex<Vec<TestDatabase>>> = Arc::default();
    let factory = {
        let databases = databases.clone();
        move || {
            let databases = databases.clone();
            async move {
                let database = TestDatabase::create(TEST).await.expect("PostgreSQL was reachable a moment ago");
                let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
                let vault =
                    Arc::new(Vault::builder(inbox.clone(), Arc::new(Keyring::new().with_key(1, [0x24; 32]))).build());
                let keys: Arc<dyn DataKeys> = vault.clone();
                inbox.attach_keys(Arc::downgrade(&keys)).unwrap();
                databases.lock().unwrap().push(database);
                // Only the ports this crate implements so far are PostgreSQL's; the property
                // touches accounts, ingest and reads alone.
                let mut store: Store = MemoryStore::new().into();
                store.accounts = inbox.clone();
                store.ingest = inbox.clone();
                store.reads = inbox;
                store.tokens = vault;
                store
            }
        }
    };
    unibox_testkit::inbox::ingest_is_idempotent_under_redelivery_and_reordering(&factory).await;
    let cases = databases.lock().unwrap().len();
    assert!(cases > 0, "the property ran cases");
    // Dropping the schemas one at a time (each drop blocks briefly on its own thread).
    drop(std::mem::take(&mut *databases.lock().unwrap()));
}
