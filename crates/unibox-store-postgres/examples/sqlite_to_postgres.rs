//! Moves one tenant from a SQLite store to a PostgreSQL store: export to a file, import into the
//! empty tenant of PostgreSQL, then check that PostgreSQL exports the same bytes.
//!
//! ```text
//! UNIBOX_VAULT_KEYS=... cargo run -p unibox-store-postgres --example sqlite_to_postgres -- \
//!     inbox.db postgres://unibox_app@db.internal/unibox acme
//! ```
//!
//! `docs/operations.md` ("Moving from SQLite to PostgreSQL") quotes `move_tenant`; the test
//! `tests/migrate_from_sqlite.rs` runs it and checks that the quote is exact.

use std::path::Path;

use tokio::io::{AsyncWriteExt, BufReader};
use unibox_core::privacy::export::{ExportScope, ImportSummary, export, import};
use unibox_core::store::Store;
use unibox_core::{Error, ErrorKind, TenantId, Timestamp};

// [move_tenant]
/// Moves `tenant` from `sqlite` into the empty tenant of `postgres` through the export file
/// `path`, and checks that PostgreSQL exports the same bytes.
pub(crate) async fn move_tenant(
    sqlite: &Store,
    postgres: &Store,
    tenant: &TenantId,
    path: &Path,
) -> unibox_core::Result<ImportSummary> {
    let io = |error: std::io::Error| Error::new(ErrorKind::Storage, "the export file").with_source(error);
    let now = Timestamp::now();
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    export(sqlite, tenant, &ExportScope::Tenant, now, &mut file).await?;
    file.shutdown().await.map_err(io)?;

    let restore = postgres.restore.as_deref().expect("the PostgreSQL store restores exports");
    let file = tokio::fs::File::open(path).await.map_err(io)?;
    let summary = import(restore, BufReader::new(file)).await?;

    let mut again = Vec::new();
    export(postgres, tenant, &ExportScope::Tenant, now, &mut again).await?;
    if again != tokio::fs::read(path).await.map_err(io)? {
        return Err(Error::new(ErrorKind::Unexpected, "PostgreSQL exports the tenant differently"));
    }
    Ok(summary)
}
// [move_tenant]

#[tokio::main]
async fn main() -> unibox_core::Result<()> {
    use unibox_store_postgres::{PostgresOptions, PostgresStore};
    use unibox_store_sqlite::SqliteStore;
    use unibox_vault::StoreKeys;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sqlite_path, postgres_url, tenant] = args.as_slice() else {
        eprintln!("usage: sqlite_to_postgres SQLITE_FILE POSTGRES_URL TENANT (vault keys in UNIBOX_VAULT_KEYS)");
        std::process::exit(2);
    };
    let sqlite: Store = SqliteStore::open(sqlite_path, StoreKeys::from_env("UNIBOX_VAULT_KEYS")?).await?.into();
    let options = PostgresOptions::new(postgres_url)?;
    let postgres: Store = PostgresStore::connect(&options, StoreKeys::from_env("UNIBOX_VAULT_KEYS")?).await?.into();
    let tenant: TenantId = tenant.parse()?;
    let path = format!("{tenant}.jsonl");
    let summary = move_tenant(&sqlite, &postgres, &tenant, Path::new(&path)).await?;
    println!("moved {} records of {tenant} (the export stays in {path})", summary.counts.total());
    Ok(())
}
