//! Search over 1,000,000 sealed messages of one tenant (`SqliteStore` with conversation sealing
//! on): the blind trigram index narrows the candidates, each is opened and checked exactly.
//!
//! The fixture (1,000,000 messages of `unibox_testkit::corpus`: 12 words each from a vocabulary of
//! 3,000 made-up English words and 40 Thai words, from 20,000 customers) is built once through `ingest` into
//! `<target dir>/bench-fixtures/sealed-search-<N>.db` under a fixed bench key, and reused by
//! later runs. Building resumes where an interrupted run stopped (redelivered events are
//! recognised by their ids); it takes several minutes on a quiet machine.
//! `UNIBOX_SEARCH_MESSAGES=N` builds and searches a fixture of N messages instead.
//!
//! - `search/sealed_1m_two_words`: two-word queries (both words long enough for trigrams), cycling
//!   through pairs that occur together in a few dozen messages per million; the default page (50).
//! - `search/sealed_1m_one_rare_word`: one word occurring in a few hundred messages.
//!
//! Run with `cargo bench -p unibox-store-sqlite --bench search -- --warm-up-time 1 --measurement-time 3`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{RoutedEvent, SearchQuery};
use unibox_core::{
    ChannelAccount, ChannelKind, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser,
    TenantId, Timestamp,
};
use unibox_store_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use unibox_testkit::corpus;
use unibox_vault::{Keyring, StoreKeys};

/// The fixture's size: `UNIBOX_SEARCH_MESSAGES`, default 1,000,000.
fn messages() -> u64 {
    std::env::var("UNIBOX_SEARCH_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000)
}
const CUSTOMERS: u64 = 20_000;
const BATCH: u64 = 2_000;

fn event(account: &ChannelAccount, n: u64) -> RoutedEvent {
    let customer = PlatformUser::new(IdentityKind::PageScopedId, format!("62012345{:08}", n % CUSTOMERS))
        .with_name(format!("Customer {}", n % CUSTOMERS));
    let occurred_at = Timestamp::from_unix_millis(1_700_000_000_000 + i64::try_from(n).unwrap_or(0) * 1_000);
    RoutedEvent {
        tenant: account.tenant.clone(),
        account: account.id,
        received_at: occurred_at,
        event: InboundEvent {
            id: format!("evt-{n:012}"),
            account: account.platform_account_id.clone(),
            occurred_at,
            kind: EventKind::Message(InboundMessage::inbound(
                customer,
                format!("mid-{n:012}"),
                Content::text(corpus::text(n)),
            )),
        },
    }
}

fn account() -> ChannelAccount {
    let tenant: TenantId = "acme".parse().expect("tenant");
    let mut account = ChannelAccount::new(
        tenant,
        "meta".parse().expect("channel"),
        ChannelKind::MESSENGER,
        "104738291837465",
        Timestamp::from_unix_seconds(1_699_000_000),
    );
    // Fixed, so a reopened fixture finds its account.
    account.id = unibox_core::ChannelAccountId::from_bytes([42; 16]);
    account
}

fn keys() -> StoreKeys {
    // A fixed bench key, so the fixture built by one run opens in the next.
    StoreKeys::try_from(Keyring::new().with_key(1, [0x5e; 32])).expect("keys")
}

fn fixture_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-fixtures").join(format!("sealed-search-{}.db", messages()))
}

/// Opens the fixture, building it first if it is missing.
async fn fixture() -> SqliteStore {
    let path = fixture_path();
    let ready = path.with_extension("ready");
    if !ready.exists() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("fixture directory");
        // Resume: calls commit whole but four run at once, so start a few calls before the count.
        let stored: u64 = rusqlite::Connection::open(&path)
            .and_then(|conn| conn.query_row("SELECT count(*) FROM messages", [], |row| row.get::<_, i64>(0)))
            .map(|count| u64::try_from(count).unwrap_or(0))
            .unwrap_or(0);
        let options = SqliteOptions::new().synchronous(Synchronous::Normal);
        let store = SqliteStore::open_with(&path, options, keys()).await.expect("open the fixture");
        let account = account();
        store.inbox().save_account(&account).await.expect("account");
        let started = Instant::now();
        let inbox = Arc::clone(store.inbox());
        let total = messages();
        let mut next = (stored / BATCH).saturating_sub(4) * BATCH;
        eprintln!("fixture: building {total} messages from {next}");
        while next < total {
            let mut calls = Vec::new();
            for _ in 0..4 {
                let first = next;
                next = (next + BATCH).min(total);
                let events: Vec<RoutedEvent> = (first..next).map(|n| event(&account, n)).collect();
                let inbox = Arc::clone(&inbox);
                calls.push(tokio::spawn(async move { inbox.ingest(events).await.expect("ingest") }));
            }
            for call in calls {
                call.await.expect("task");
            }
            if next.is_multiple_of(40_000) {
                eprintln!("fixture: {next} messages in {:.0?}", started.elapsed());
            }
        }
        std::fs::write(&ready, b"built").expect("mark the fixture built");
        return store;
    }
    SqliteStore::open(&path, keys()).await.expect("open the fixture")
}

fn bench_search(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let store = runtime.block_on(fixture());
    let tenant: TenantId = "acme".parse().expect("tenant");
    // Pairs of mid-frequency words, and a rarer single word.
    let pairs = corpus::two_word_queries();
    let rare = corpus::rare_word();
    runtime.block_on(async {
        for query in pairs.iter().take(4).chain(std::iter::once(&rare)) {
            let page = store.inbox().search(&tenant, &SearchQuery::new(query.as_str())).await.expect("search");
            eprintln!("query {query:?}: {} hits on the first page", page.items.len());
        }
    });

    let mut group = c.benchmark_group("search");
    group.sample_size(30).measurement_time(Duration::from_secs(5));
    let mut turn = 0;
    group.bench_function("sealed_1m_two_words", |b| {
        b.iter(|| {
            turn = (turn + 1) % pairs.len();
            let query = SearchQuery::new(pairs[turn].as_str());
            runtime.block_on(store.inbox().search(&tenant, &query)).expect("search")
        });
    });
    group.bench_function("sealed_1m_one_rare_word", |b| {
        b.iter(|| runtime.block_on(store.inbox().search(&tenant, &SearchQuery::new(rare.as_str()))).expect("search"));
    });
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
