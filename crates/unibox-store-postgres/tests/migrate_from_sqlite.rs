//! The migration path from SQLite to PostgreSQL: a tenant of a real SQLite store (a file in a
//! temporary directory, its own vault keys) is exported, imported into an empty PostgreSQL
//! schema (other vault keys) and exported again: the two exports are the same bytes, the
//! imported data is sealed at rest as PostgreSQL ingest seals it, and the tenant keeps working.
//! And the few lines of Rust `docs/operations.md` shows for the move (the example
//! `sqlite_to_postgres`'s `move_tenant`) are quoted exactly and do the move.

#[allow(dead_code)] // `main` is the example's entry point, unused here
#[path = "../examples/sqlite_to_postgres.rs"]
mod sqlite_to_postgres;

use tokio_postgres::NoTls;
use unibox_core::inbox::{MessageQuery, SearchQuery};
use unibox_core::privacy::export::{ExportScope, import};
use unibox_core::store::Store;
use unibox_core::{ChannelKind, ContactIdentity, ErrorKind};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_store_sqlite::SqliteStore;
use unibox_testkit::export::{JAPANESE_TEXT, THAI_TEXT, export_bytes, seed};
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, StoreKeys};

fn fresh_keys() -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).expect("a keyring")).expect("store keys")
}

/// Every row the imported tenant's conversation data left in `table`, as PostgreSQL prints it
/// (sealed and blinded columns in hex), read as the superuser past row-level security.
async fn table_text(database: &TestDatabase, table: &str) -> String {
    let (client, connection) = tokio_postgres::connect(&database.admin_url(), NoTls).await.expect("the admin connects");
    tokio::spawn(connection);
    let rows = client.query(&format!("SELECT t::TEXT FROM {table} t"), &[]).await.expect("the table reads");
    rows.iter().map(|row| row.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}

fn hex(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_tenant_moves_to_postgres_byte_for_byte_and_keeps_working() {
    let Some(database) = TestDatabase::create("a_sqlite_tenant_moves_to_postgres").await else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite: Store =
        SqliteStore::open(dir.path().join("inbox.db"), fresh_keys()).await.expect("SQLite opens").into();
    let seeded = seed(&sqlite).await;
    let tenant = &seeded.tenant;
    let (first, counts) = export_bytes(&sqlite, tenant, &ExportScope::Tenant).await;
    assert_eq!((counts.accounts, counts.contacts, counts.conversations, counts.messages), (3, 3, 3, 9));
    assert_eq!((counts.notes, counts.orders, counts.audit_records, counts.audit_checkpoints), (3, 2, 4, 1));

    let postgres: Store =
        PostgresStore::connect(&database.app_options(), fresh_keys()).await.expect("PostgreSQL connects").into();
    let restore = postgres.restore.clone().expect("the PostgreSQL store restores");
    let summary = import(restore.as_ref(), first.as_slice()).await.expect("the SQLite export imports");
    assert_eq!(summary.counts, counts);
    let (second, _) = export_bytes(&postgres, tenant, &ExportScope::Tenant).await;
    assert_eq!(
        String::from_utf8(second).expect("UTF-8"),
        String::from_utf8(first.clone()).expect("UTF-8"),
        "SQLite -> export -> PostgreSQL -> export gives the same bytes"
    );
    let again = import(restore.as_ref(), first.as_slice()).await.expect_err("the tenant holds data now");
    assert_eq!(again.kind(), ErrorKind::Conflict);

    // Sealed at rest under PostgreSQL's own keys, as ingest seals: no text, name, attribute or
    // platform id of a customer in the clear, not even as the hex of its bytes.
    let mut stored = String::new();
    for table in ["contacts", "contact_identities", "contact_attributes", "messages", "reactions", "notes", "orders"] {
        stored.push_str(&table_text(&database, table).await);
    }
    assert!(stored.contains(tenant.as_str()), "the rows were read");
    for secret in
        [THAI_TEXT, JAPANESE_TEXT, "ลูกค้าประจำ", "somchai@example.co.th", fixtures::LINE_USER_ID, "TH0123456789", "l-1"]
    {
        assert!(!stored.contains(secret), "{secret:?} is stored in the clear");
        // Shorter hex strings could turn up by chance in ciphertext.
        if secret.len() >= 8 {
            assert!(!stored.contains(&hex(secret)), "{secret:?} is stored in the clear, as bytes");
        }
    }

    // The tenant keeps working: a webhook for the LINE account routes to it, a new message joins
    // the customer's imported conversation and reads back, and search finds it.
    let line =
        postgres.accounts.accounts(tenant).await.expect("accounts").into_iter().find(|a| a.kind == ChannelKind::LINE);
    let line = line.expect("the LINE account was imported");
    let routed = postgres.accounts.route(&line.channel, &line.platform_account_id).await.expect("routing runs");
    assert_eq!(routed.map(|account| account.id), Some(line.id), "webhooks of the imported account reach it");
    let somchai = fixtures::line_user();
    let event =
        AccountEvents::new(&line).text("ev-after-move", &somchai, "l-moved-1", "ส่งที่อยู่ใหม่ให้นะคะ", fixtures::at(5_000));
    postgres.ingest.ingest(vec![event]).await.expect("a new event is stored");
    let identity = ContactIdentity { account: line.id, kind: somchai.kind.clone(), value: somchai.id.clone() };
    let contact = postgres.reads.contact_by_identity(tenant, &identity).await.expect("lookup").expect("the contact");
    assert_eq!(contact.id, seeded.line_contact, "the customer is still the imported contact");
    let newest = postgres.reads.messages(tenant, seeded.line_conversation, &MessageQuery::new()).await.expect("read");
    let newest = &newest.items[0];
    assert_eq!(newest.platform_message_id.as_deref(), Some("l-moved-1"), "the new message joined the conversation");
    assert_eq!(newest.content.searchable_text().as_deref(), Some("ส่งที่อยู่ใหม่ให้นะคะ"));
    let found = postgres.reads.search(tenant, &SearchQuery::new("ที่อยู่ใหม่")).await.expect("search runs");
    assert_eq!(found.items.iter().map(|m| m.id).collect::<Vec<_>>(), vec![newest.id]);
    let found = postgres.reads.search(tenant, &SearchQuery::new("เสื้อสีแดง")).await.expect("search runs");
    assert_eq!(found.items.len(), 1, "imported messages are found too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_move_moves_a_tenant_and_is_quoted_exactly() {
    let example = include_str!("../examples/sqlite_to_postgres.rs");
    let quoted = example.split("// [move_tenant]\n").nth(1).expect("the example marks move_tenant");
    let operations = include_str!("../../../docs/operations.md");
    let section = operations.split("## Moving from SQLite to PostgreSQL").nth(1).expect("the section");
    assert!(section.contains(&format!("```rust\n{quoted}```")), "docs/operations.md quotes move_tenant exactly");

    let Some(database) = TestDatabase::create("the_documented_move").await else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite: Store =
        SqliteStore::open(dir.path().join("inbox.db"), fresh_keys()).await.expect("SQLite opens").into();
    let seeded = seed(&sqlite).await;
    let postgres: Store =
        PostgresStore::connect(&database.app_options(), fresh_keys()).await.expect("PostgreSQL connects").into();
    let file = dir.path().join("acme.jsonl");
    let summary = sqlite_to_postgres::move_tenant(&sqlite, &postgres, &seeded.tenant, &file).await.expect("it moves");
    assert_eq!(summary.counts.messages, 9);
    assert!(std::fs::read_to_string(&file).expect("the export file").contains(THAI_TEXT));
    let error = sqlite_to_postgres::move_tenant(&sqlite, &postgres, &seeded.tenant, &file).await.expect_err("twice");
    assert_eq!(error.kind(), ErrorKind::Conflict, "the tenant holds data after the first move");
}
