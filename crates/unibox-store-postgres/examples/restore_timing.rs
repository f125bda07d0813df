//! How long a PostgreSQL restore takes: a tenant of `CONTACTS` LINE customers with
//! `MESSAGES_EACH` Thai and English messages each is built in the memory store, exported, and
//! imported into a fresh PostgreSQL test schema (`UNIBOX_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`); the import's time and rate are printed.
//!
//! ```text
//! cargo run -p unibox-store-postgres --example restore_timing -- 2000 10
//! ```

use std::time::Instant;

use unibox_core::memory::MemoryStore;
use unibox_core::privacy::export::{ExportScope, export, import};
use unibox_core::store::Store;
use unibox_core::{IdentityKind, Timestamp};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, StoreKeys};

#[tokio::main]
async fn main() -> unibox_core::Result<()> {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let (contacts, each) = (args.first().copied().unwrap_or(2_000), args.get(1).copied().unwrap_or(10));
    let memory: Store = MemoryStore::new().into();
    let tenant = fixtures::tenant("timing");
    let line = fixtures::line_account(&tenant);
    memory.accounts.save_account(&line).await?;
    let on_line = AccountEvents::new(&line);
    for contact in 0..contacts {
        let customer = fixtures::customer(IdentityKind::LineUserId, contact);
        let events = (0..each)
            .map(|n| {
                let text = format!("สวัสดีค่ะ ขอสั่งเสื้อไซส์ M ตัวที่ {n} please ship order {contact}-{n} by Friday");
                let at = fixtures::at(i64::from(contact * each + n));
                on_line.text(&format!("ev-{contact}-{n}"), &customer, &format!("m-{contact}-{n}"), &text, at)
            })
            .collect();
        memory.ingest.ingest(events).await?;
    }
    let mut bytes = Vec::new();
    let counts = export(&memory, &tenant, &ExportScope::Tenant, Timestamp::from_unix_seconds(1), &mut bytes).await?;

    let database = TestDatabase::create("restore_timing").await.expect("PostgreSQL is reachable");
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1))?)?;
    let postgres: Store = PostgresStore::connect(&database.app_options(), keys).await?.into();
    let restore = postgres.restore.clone().expect("the PostgreSQL store restores");
    let started = Instant::now();
    import(restore.as_ref(), bytes.as_slice()).await?;
    let took = started.elapsed();
    println!(
        "imported {} records ({} messages, {} contacts, {:.1} MB) in {:.2} s: {:.0} records/s",
        counts.total(),
        counts.messages,
        counts.contacts,
        bytes.len() as f64 / 1e6,
        took.as_secs_f64(),
        counts.total() as f64 / took.as_secs_f64()
    );
    Ok(())
}
