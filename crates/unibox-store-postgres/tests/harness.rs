//! Every store suite, from the testkit's one capability-gated harness, against the PostgreSQL
//! bundle: each check (and each generated case of the property checks) gets a fresh schema
//! with its own roles, migrated, and a `PostgresStore` over it with a pool of 4 connections.
//! The property checks run `PROPTEST_CASES` cases (the testkit's default: 64).

use std::sync::{Arc, Mutex};

use unibox_core::store::Store;
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_vault::{Keyring, StoreKeys};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_store_harness() {
    const TEST: &str = "postgres_store_passes_the_store_harness";
    // Whether PostgreSQL is there at all (the skip rule).
    let Some(probe) = TestDatabase::create(TEST).await else { return };
    drop(probe);
    let keys = Keyring::generate_entry(1);
    // Every store's schema lives until the end of the test (dropping one ends its connections).
    let databases: Arc<Mutex<Vec<TestDatabase>>> = Arc::default();
    let factory = {
        let databases = databases.clone();
        move || {
            let databases = databases.clone();
            let keys = StoreKeys::try_from(Keyring::parse(&keys).expect("a keyring")).expect("store keys");
            async move {
                let database = TestDatabase::create(TEST).await.expect("PostgreSQL was reachable a moment ago");
                let store = PostgresStore::connect(&database.app_options(), keys)
                    .await
                    .unwrap_or_else(|error| panic!("connecting to {}: {error}", database.schema()));
                databases.lock().unwrap().push(database);
                Store::from(store)
            }
        }
    };
    let capabilities = factory().await.capabilities;
    assert!(capabilities.outbox && capabilities.change_log && capabilities.shared_across_processes);
    unibox_testkit::harness::run(&factory, capabilities).await;
    let stores = databases.lock().unwrap().len();
    assert!(stores > 100, "every check ran on a store of its own ({stores} stores)");
    drop(std::mem::take(&mut *databases.lock().unwrap()));
}
