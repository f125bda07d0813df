//! `unibox-store` as an operator runs it: a real process, real SQLite files (and a PostgreSQL
//! test schema), the vault keys in an environment variable. Export a tenant, import it into a
//! new file or into PostgreSQL, export again: the same records; bad input and missing keys are
//! errors with a non-zero exit status.

use std::path::Path;
use std::process::{Command, Output};

use unibox_core::store::Store;
use unibox_store_sqlite::SqliteStore;
use unibox_vault::{Keyring, StoreKeys};

const KEYS_VAR: &str = "UNIBOX_STORE_TEST_KEYS";

/// Runs `unibox-store` with `args` and the keys in [`KEYS_VAR`] (`--keys-env` added).
fn unibox_store(keys: &str, args: &[&str]) -> Output {
    run(keys, &[args, &["--keys-env", KEYS_VAR]].concat())
}

/// Runs `unibox-store` with exactly `args`.
fn run(keys: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unibox-store"))
        .args(args)
        .env(KEYS_VAR, keys)
        .env_remove("UNIBOX_VAULT_KEYS")
        .output()
        .expect("unibox-store runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn records(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the export file");
    text.lines().skip(1).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_moves_from_one_sqlite_file_to_another_and_exports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keyring::generate_entry(1);
    let source = dir.path().join("source.db");
    let seeded = {
        let store = SqliteStore::open(&source, StoreKeys::try_from(Keyring::parse(&keys).unwrap()).unwrap()).await;
        let store: Store = store.unwrap().into();
        unibox_testkit::export::seed(&store).await
    };
    let tenant = seeded.tenant.as_str();
    let first = dir.path().join("first.jsonl");
    let second = dir.path().join("second.jsonl");
    let target = dir.path().join("target.db");

    let out = unibox_store(
        &keys,
        &["export", "--db", source.to_str().unwrap(), "--tenant", tenant, "--out", first.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("exported"), "{}", stderr(&out));
    let out = unibox_store(&keys, &["import", "--db", target.to_str().unwrap(), "--in", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = unibox_store(
        &keys,
        &["export", "--db", target.to_str().unwrap(), "--tenant", tenant, "--out", second.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (first_records, second_records) = (records(&first), records(&second));
    assert!(first_records.len() > 20, "a realistic tenant: {} records", first_records.len());
    assert_eq!(first_records, second_records, "the moved tenant exports the same records");
    assert!(std::fs::read_to_string(&first).unwrap().contains(unibox_testkit::export::THAI_TEXT));

    // Standard output, one contact.
    let contact = seeded.line_contact.to_string();
    let out =
        unibox_store(&keys, &["export", "--db", target.to_str().unwrap(), "--tenant", tenant, "--contact", &contact]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(unibox_testkit::export::THAI_TEXT));
    assert!(!text.contains(unibox_testkit::export::MESSENGER_TEXT));
    let manifest: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(manifest["scope"], "contact");

    // A second import finds the tenant holding data.
    let out = unibox_store(&keys, &["import", "--db", target.to_str().unwrap(), "--in", first.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already holds data"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_moves_from_a_sqlite_file_to_postgres_and_exports_the_same_bytes() {
    let Some(database) = unibox_store_postgres::testing::TestDatabase::create_empty("unibox_store_cli").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite_keys, postgres_keys) = (Keyring::generate_entry(1), Keyring::generate_entry(1));
    let source = dir.path().join("source.db");
    let seeded = {
        let keys = StoreKeys::try_from(Keyring::parse(&sqlite_keys).unwrap()).unwrap();
        let store: Store = SqliteStore::open(&source, keys).await.unwrap().into();
        unibox_testkit::export::seed(&store).await
    };
    let tenant = seeded.tenant.as_str();
    let (first, second) = (dir.path().join("first.jsonl"), dir.path().join("second.jsonl"));
    let out = unibox_store(
        &sqlite_keys,
        &["export", "--db", source.to_str().unwrap(), "--tenant", tenant, "--out", first.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // An empty schema: the import migrates it first, as its owner.
    let (app, owner) = (database.app_url(), database.owner_url());
    let import = ["import", "--postgres", &app, "--migrate-with", &owner, "--in", first.to_str().unwrap()];
    let out = unibox_store(&postgres_keys, &import);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("imported"), "{}", stderr(&out));
    let out = unibox_store(
        &postgres_keys,
        &["export", "--postgres", &app, "--tenant", tenant, "--out", second.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (first_records, second_records) = (records(&first), records(&second));
    assert!(first_records.len() > 20, "a realistic tenant: {} records", first_records.len());
    assert_eq!(first_records, second_records, "the tenant moved to PostgreSQL exports the same records");

    let out = unibox_store(&postgres_keys, &import);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already holds data"), "{}", stderr(&out));
    let out = run(&postgres_keys, &["import", "--db", "x.db", "--postgres", &app]);
    assert_eq!(out.status.code(), Some(2), "two stores named");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_missing_keys_and_bad_usage_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keyring::generate_entry(1);
    let db = dir.path().join("inbox.db");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"format\":\"unibox.export\",\"schema_version\":1,\"unibox_version\":\"0.1.0\",\"tenant\":\"acme\",\"scope\":\"tenant\",\"created_at\":1}\n{\"type\":\"account\",\n",
    )
    .unwrap();
    let out = unibox_store(&keys, &["import", "--db", db.to_str().unwrap(), "--in", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 2:"), "{}", stderr(&out));

    let out = run(&keys, &["export", "--db", db.to_str().unwrap(), "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(1), "UNIBOX_VAULT_KEYS is not set");
    assert!(stderr(&out).contains("UNIBOX_VAULT_KEYS"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&keys), "the keys never reach the output");

    let out = run(&keys, &["export", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("usage:"));
    let out = run(&keys, &["dump"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A SQLite file written with conversation sealing off: `export` (which opens it sealed) refuses
/// it and names `unibox-store seal`; `seal` seals it in place, after which `export` gives the
/// records it held; sealing again is nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_turns_a_plaintext_file_into_a_sealed_one_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keyring::generate_entry(1);
    let db = dir.path().join("plain.db");
    let plain = unibox_store_sqlite::SqliteOptions::new().conversation_sealing(false);
    let store_keys = || StoreKeys::try_from(Keyring::parse(&keys).unwrap()).unwrap();
    let sqlite = SqliteStore::open_with(&db, plain.clone(), store_keys()).await.unwrap();
    let seeded = unibox_testkit::export::seed(&sqlite.clone().into()).await;
    let tenant = seeded.tenant.to_string();
    let (before, after) = (dir.path().join("before.jsonl"), dir.path().join("after.jsonl"));
    let mut exported = Vec::new();
    let store: Store = sqlite.clone().into();
    let scope = unibox_core::privacy::export::ExportScope::Tenant;
    unibox_core::privacy::export::export(&store, &seeded.tenant, &scope, unibox_core::Timestamp::now(), &mut exported)
        .await
        .unwrap();
    std::fs::write(&before, &exported).unwrap();
    drop(store);
    let inbox = sqlite.inbox().clone();
    drop(sqlite);
    std::sync::Arc::try_unwrap(inbox).expect("the only reference").close().await;
    let plaintext = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        let thai = unibox_testkit::export::THAI_TEXT.as_bytes();
        bytes.windows(thai.len()).any(|window| window == thai)
    };
    assert!(plaintext(&db), "the Thai message is in the file in plaintext");

    let db_arg = db.to_str().unwrap();
    let out = unibox_store(&keys, &["export", "--db", db_arg, "--tenant", &tenant]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unibox-store seal --db"), "the refusal names the way: {}", stderr(&out));

    let out = unibox_store(&keys, &["seal", "--db", db_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("sealed") && stderr(&out).contains("in place"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&keys), "the keys never reach the output");
    assert!(!plaintext(&db), "no plaintext left in the file");
    let out = unibox_store(&keys, &["seal", "--db", db_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing to do"), "{}", stderr(&out));

    let out = unibox_store(&keys, &["export", "--db", db_arg, "--tenant", &tenant, "--out", after.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(records(&before), records(&after), "the sealed file exports the records the plaintext one held");

    // Usage errors and a missing file.
    let out = unibox_store(&keys, &["seal", "--postgres", "postgres://unibox_app@db/unibox"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("seal is for a SQLite file"), "{}", stderr(&out));
    let out = unibox_store(&keys, &["seal", "--db", db_arg, "--tenant", &tenant]);
    assert_eq!(out.status.code(), Some(2));
    let missing = dir.path().join("missing.db");
    let out = unibox_store(&keys, &["seal", "--db", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no inbox file"), "{}", stderr(&out));
    assert!(!missing.exists());
}
