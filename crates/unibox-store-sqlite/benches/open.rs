//! What opening a sealed SQLite store costs as its inbox grows: the open reads the index of
//! platform message ids once to build the in-memory filters of its generations
//! (`src/sealing/message_ids.rs`).
//!
//! - `open/sealed_<N>_messages`: `SqliteStore::open` and close of a sealed file whose
//!   `messages` table holds N rows with generation keys (`UNIBOX_OPEN_MESSAGES`, default
//!   1,000,000), written directly by SQL so the fixture takes seconds, not the half hour ingest
//!   would: the open reads only the keys, which are what ingest would store (a random blind of
//!   32 hex digits after its generation's 8).
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench open`.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_store_sqlite::SqliteStore;
use unibox_vault::{Keyring, StoreKeys};

fn messages() -> u64 {
    std::env::var("UNIBOX_OPEN_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000)
}

fn keys() -> StoreKeys {
    let entry = format!("1:{}", "A".repeat(43) + "=");
    StoreKeys::try_from(Keyring::parse(&entry).expect("a keyring")).expect("store keys")
}

async fn open_and_close(path: &Path) {
    let store = SqliteStore::open(path, keys()).await.expect("open the fixture");
    let inbox = store.inbox().clone();
    drop(store);
    match std::sync::Arc::try_unwrap(inbox) {
        Ok(inbox) => inbox.close().await,
        Err(_) => panic!("the store held the only other reference to its inbox"),
    }
}

/// A sealed file with `n` message rows keyed as ingest keys them.
fn fixture(runtime: &tokio::runtime::Runtime, path: &Path, n: u64) {
    runtime.block_on(open_and_close(path));
    let mut conn = rusqlite::Connection::open(path).expect("the fixture");
    let tx = conn.transaction().expect("a transaction");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO messages (id, tenant, conversation, account, direction, author, content, \
                   platform_message_id, sent_at, recorded_at, delivery) \
                 VALUES (?1, 'acme', ?2, ?3, 'inbound', '{}', '', ?4, ?5, ?5, '\"received\"')",
            )
            .expect("insert");
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seq in 0..n {
            let blind = format!("{:016x}{:016x}", next(), next());
            let key = format!("{:08x}{blind}", seq / 4096);
            let id = (u128::from(seq) << 64 | u128::from(next())).to_be_bytes();
            let conversation = (seq % 10_000).to_be_bytes();
            insert
                .execute(rusqlite::params![id, conversation, [7u8; 16], key, 1_700_000_000_000 + seq as i64])
                .expect("a row");
        }
    }
    tx.commit().expect("commit");
}

fn bench_open(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("open.db");
    let n = messages();
    fixture(&runtime, &path, n);
    let mut group = c.benchmark_group("open");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function(format!("sealed_{n}_messages"), |b| b.iter(|| runtime.block_on(open_and_close(&path))));
    group.finish();
}

criterion_group!(benches, bench_open);
criterion_main!(benches);
