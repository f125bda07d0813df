//! The PostgreSQL restore's own refusals, beyond the testkit's export suite (which
//! `tests/harness.rs` runs): a record the schema would refuse is `InvalidInput` naming it, and a
//! failure part way through (an account another tenant holds) leaves nothing behind, not even
//! the routing of the accounts registered before it.

use serde_json::Value;
use unibox_core::memory::MemoryStore;
use unibox_core::privacy::export::{ExportScope, import};
use unibox_core::store::Store;
use unibox_core::{ChannelAccountId, ChannelId, ErrorKind, TenantId};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::export::{export_bytes, seed};
use unibox_vault::{Keyring, StoreKeys};

async fn postgres(database: &TestDatabase) -> Store {
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).expect("a keyring")).expect("keys");
    PostgresStore::connect(&database.app_options(), keys).await.expect("PostgreSQL connects").into()
}

/// The seeded memory tenant's export, as lines.
async fn seeded_export() -> (TenantId, Vec<String>) {
    let memory: Store = MemoryStore::new().into();
    let seeded = seed(&memory).await;
    let (bytes, _) = export_bytes(&memory, &seeded.tenant, &ExportScope::Tenant).await;
    let text = String::from_utf8(bytes).expect("UTF-8");
    (seeded.tenant, text.lines().map(str::to_owned).collect())
}

fn joined(lines: &[String]) -> String {
    lines.join("\n") + "\n"
}

fn record(line: &str) -> Value {
    serde_json::from_str(line).expect("a record")
}

/// The index of the first line whose record matches.
fn find(lines: &[String], matches: impl Fn(&Value) -> bool) -> usize {
    lines.iter().position(|line| matches(&record(line))).expect("such a record")
}

async fn assert_empty(store: &Store, tenant: &TenantId) {
    let (bytes, counts) = export_bytes(store, tenant, &ExportScope::Tenant).await;
    assert_eq!(counts.total(), 0, "nothing was written");
    assert_eq!(String::from_utf8(bytes).expect("UTF-8").lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_schema_would_refuse_is_invalid_input_naming_it_and_nothing_is_written() {
    let Some(database) = TestDatabase::create("restore_refusals").await else { return };
    let store = postgres(&database).await;
    let restore = store.restore.clone().expect("the PostgreSQL store restores");
    let (tenant, lines) = seeded_export().await;

    // Two messages of one account with the same platform message id (the deduplication key).
    let first = find(&lines, |r| r["type"] == "message" && r["platform_message_id"] == "l-1");
    let second = find(&lines, |r| r["type"] == "message" && r["platform_message_id"] == "l-2");
    let mut duplicate = lines.clone();
    duplicate[second] = lines[second].replacen("\"platform_message_id\":\"l-2\"", "\"platform_message_id\":\"l-1\"", 1);
    assert_ne!(duplicate[second], lines[second]);
    let error = import(restore.as_ref(), joined(&duplicate).as_bytes()).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    // Record n is line n + 1 (after the manifest); the later of the two is named.
    let named = first.max(second);
    assert!(error.message().starts_with(&format!("record {named} (message):")), "{error}");
    assert!(error.message().contains("platform message id"), "{error}");
    assert_empty(&store, &tenant).await;

    // An audit chain that does not start at seq 1.
    let audit = find(&lines, |r| r["type"] == "audit");
    let mut gap = lines.clone();
    gap.remove(audit);
    let error = import(restore.as_ref(), joined(&gap).as_bytes()).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(error.message().starts_with(&format!("record {audit} (audit):")), "{error}");
    assert_empty(&store, &tenant).await;

    import(restore.as_ref(), joined(&lines).as_bytes()).await.expect("the intact export imports");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_part_way_leaves_nothing_behind_not_even_the_routing_of_earlier_accounts() {
    let Some(database) = TestDatabase::create("restore_rolls_back").await else { return };
    let store = postgres(&database).await;
    let restore = store.restore.clone().expect("the PostgreSQL store restores");
    let (acme, lines) = seeded_export().await;
    import(restore.as_ref(), joined(&lines).as_bytes()).await.expect("acme imports");
    let (acme_before, _) = export_bytes(&store, &acme, &ExportScope::Tenant).await;

    // Another tenant's export whose first account is new and whose second is one of acme's:
    // the first registers for routing, the second is refused.
    let initech: TenantId = "export-initech".parse().expect("a tenant id");
    let first = record(&lines[find(&lines, |r| r["type"] == "account")]);
    let (first_id, first_platform) = (
        first["id"].as_str().expect("an id").to_owned(),
        first["platform_account_id"].as_str().expect("an id").to_owned(),
    );
    let channel: ChannelId = first["channel"].as_str().expect("a channel").parse().expect("a channel id");
    let text = joined(&lines)
        .replace("\"export-acme\"", "\"export-initech\"")
        .replace(&first_id, &ChannelAccountId::new().to_string())
        .replace(&first_platform, "initech-new-bot");
    let error = import(restore.as_ref(), text.as_bytes()).await.expect_err("an account is acme's");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    assert!(error.message().contains("another tenant"), "{error}");

    assert_empty(&store, &initech).await;
    let routed = store.accounts.route(&channel, "initech-new-bot").await.expect("routing runs");
    assert!(routed.is_none(), "the first account's registration was rolled back with the rest");
    let routed = store.accounts.route(&channel, &first_platform).await.expect("routing runs");
    assert_eq!(routed.map(|account| account.tenant), Some(acme.clone()), "acme's routing is untouched");
    let (acme_after, _) = export_bytes(&store, &acme, &ExportScope::Tenant).await;
    assert_eq!(acme_after, acme_before, "acme is untouched");
}
