//! Every store suite, from the testkit's one capability-gated harness, against the PostgreSQL
//! bundle: each check (and each generated case of the property checks) gets a fresh schema
//! with its own roles, migrated, and a `PostgresStore` over it with a pool of 4 connections.
//! The property checks run `PROPTEST_CASES` cases (the testkit's default: 64).
//!
//! Schemas are created ahead by two background tasks (a new schema is a dozen round trips of
//! DDL), so the checks rarely wait for one; every schema lives until the end of the test.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use unibox_core::store::Store;
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_vault::{Keyring, StoreKeys};

const TEST: &str = "postgres_store_passes_the_store_harness";

/// Fresh migrated schemas, made ahead by `makers` tasks until the receiver is dropped.
fn schemas_made_ahead(makers: usize) -> mpsc::Receiver<TestDatabase> {
    let (sender, receiver) = mpsc::channel(makers);
    for _ in 0..makers {
        let sender = sender.clone();
        tokio::spawn(async move {
            loop {
                let database = TestDatabase::create(TEST).await.expect("PostgreSQL was reachable a moment ago");
                if sender.send(database).await.is_err() {
                    return;
                }
            }
        });
    }
    receiver
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_store_harness() {
    // Whether PostgreSQL is there at all (the skip rule).
    let Some(probe) = TestDatabase::create(TEST).await else { return };
    drop(probe);
    let keys = Keyring::generate_entry(1);
    let made = Arc::new(tokio::sync::Mutex::new(schemas_made_ahead(2)));
    // Every store's schema lives until the end of the test (dropping one ends its connections).
    let databases: Arc<Mutex<Vec<TestDatabase>>> = Arc::default();
    let factory = {
        let (databases, made) = (databases.clone(), made.clone());
        move || {
            let (databases, made) = (databases.clone(), made.clone());
            let keys = StoreKeys::try_from(Keyring::parse(&keys).expect("a keyring")).expect("store keys");
            async move {
                let database = made.lock().await.recv().await.expect("the schema makers run until the end");
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
    // The makers stop at their next send; what they made ahead is dropped with the rest.
    let mut made = made.lock().await;
    made.close();
    let mut leftover = Vec::new();
    while let Some(database) = made.recv().await {
        leftover.push(database);
    }
    let mut all = std::mem::take(&mut *databases.lock().unwrap());
    all.extend(leftover);
    // Dropping the schemas four at a time (each drop blocks on a thread of its own).
    let size = all.len().div_ceil(4).max(1);
    let mut droppers = Vec::new();
    while !all.is_empty() {
        let chunk = all.split_off(all.len().saturating_sub(size));
        droppers.push(tokio::task::spawn_blocking(move || drop(chunk)));
    }
    for dropper in droppers {
        dropper.await.unwrap();
    }
}
