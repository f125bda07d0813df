//! `unibox-store`: exports a tenant (or one contact) of a SQLite or PostgreSQL store as JSON
//! Lines, and imports such an export into an empty tenant of either: the way to move a tenant
//! between files, from SQLite to PostgreSQL, or from another backend. It also seals a SQLite
//! file written with conversation sealing off in place (`seal`).
//!
//! ```text
//! UNIBOX_VAULT_KEYS=... unibox-store export --db inbox.db --tenant acme [--contact ID] [--out acme.jsonl]
//! UNIBOX_VAULT_KEYS=... unibox-store import --db new.db [--in acme.jsonl]
//! UNIBOX_VAULT_KEYS=... unibox-store import --postgres postgres://unibox_app@db/unibox \
//!     [--migrate-with postgres://unibox_owner@db/unibox] [--in acme.jsonl]
//! UNIBOX_VAULT_KEYS=... unibox-store seal --db inbox.db
//! ```
//!
//! `--db PATH` names a SQLite file, `--postgres URL` a PostgreSQL database as its application
//! role (with `--migrate-with OWNER_URL`, pending migrations are applied first, as the owner).
//!
//! `seal` turns a plaintext SQLite file (written with `SqliteOptions::conversation_sealing(false)`)
//! into a sealed one in place, with the keys the server will open it with
//! (`SqliteStore::seal_plaintext_file`): stop every process using the file first. On a file
//! sealed already it reports that there is nothing to do.
//!
//! The vault keys come from the environment variable `UNIBOX_VAULT_KEYS` (another with
//! `--keys-env NAME`), as for the server: the store opens only with them. Without `--out` the
//! export goes to standard output; without `--in` the import reads standard input. Errors go to
//! standard error with exit status 1 (2 for a usage error).

use std::process::ExitCode;

use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader};
use unibox_core::privacy::export::{ExportScope, export, import};
use unibox_core::store::Store;
use unibox_core::{ContactId, Error, ErrorKind, TenantId, Timestamp};
use unibox_store_postgres::{PostgresOptions, PostgresStore};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions, SqliteStore};
use unibox_vault::StoreKeys;

const USAGE: &str = "usage:
  unibox-store export STORE --tenant TENANT [--contact CONTACT_ID] [--out FILE] [--keys-env NAME]
  unibox-store import STORE [--in FILE] [--keys-env NAME]
  unibox-store seal --db PATH [--keys-env NAME]
STORE is --db PATH (a SQLite file) or --postgres URL [--migrate-with OWNER_URL] (PostgreSQL).
The vault keys are read from UNIBOX_VAULT_KEYS unless --keys-env names another variable.";

struct Options {
    command: String,
    db: Option<String>,
    postgres: Option<String>,
    migrate_with: Option<String>,
    tenant: Option<String>,
    contact: Option<String>,
    file: Option<String>,
    keys_env: String,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let command = args.first().cloned().ok_or("no command")?;
    if command != "export" && command != "import" && command != "seal" {
        return Err(format!("unknown command {command:?}"));
    }
    let mut options = Options {
        command,
        db: None,
        postgres: None,
        migrate_with: None,
        tenant: None,
        contact: None,
        file: None,
        keys_env: "UNIBOX_VAULT_KEYS".into(),
    };
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?.clone();
        match (options.command.as_str(), flag.as_str()) {
            (_, "--db") => options.db = Some(value),
            (_, "--postgres") => options.postgres = Some(value),
            (_, "--migrate-with") => options.migrate_with = Some(value),
            (_, "--keys-env") => options.keys_env = value,
            ("export", "--tenant") => options.tenant = Some(value),
            ("export", "--contact") => options.contact = Some(value),
            ("export", "--out") | ("import", "--in") => options.file = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    match (&options.db, &options.postgres) {
        (None, None) => return Err("--db or --postgres is required".into()),
        (Some(_), Some(_)) => return Err("--db and --postgres name two stores: give one".into()),
        (Some(_), None) if options.migrate_with.is_some() => {
            return Err("--migrate-with is for a --postgres store".into());
        }
        _ => {}
    }
    if options.command == "seal" && options.db.is_none() {
        return Err("seal is for a SQLite file: give --db PATH".into());
    }
    if options.command == "export" && options.tenant.is_none() {
        return Err("export needs --tenant".into());
    }
    Ok(options)
}

fn io_error(what: &str, error: std::io::Error) -> Error {
    Error::new(ErrorKind::Storage, format!("{what}: {error}"))
}

/// The store `options` name, and the SQLite inbox to close at the end (if it is SQLite).
async fn open(options: &Options, keys: StoreKeys) -> unibox_core::Result<(Store, Option<std::sync::Arc<SqliteInbox>>)> {
    if let Some(url) = &options.postgres {
        let mut postgres = PostgresOptions::new(url)?;
        if let Some(owner) = &options.migrate_with {
            postgres = postgres.migrate_with(owner)?;
        }
        return Ok((PostgresStore::connect(&postgres, keys).await?.into(), None));
    }
    let sqlite = SqliteStore::open(options.db.as_deref().unwrap_or_default(), keys).await?;
    let inbox = sqlite.inbox().clone();
    Ok((sqlite.into(), Some(inbox)))
}

/// `seal`: the SQLite file sealed in place.
async fn seal(path: &str, keys: StoreKeys) -> unibox_core::Result<String> {
    let report = SqliteStore::seal_plaintext_file(path, keys, SqliteOptions::new()).await?;
    if report.nothing_to_do() {
        let scrubbed = if report.scrubbed { " (its free pages and logs were scrubbed)" } else { "" };
        return Ok(format!("{path} is sealed already: nothing to do{scrubbed}"));
    }
    Ok(format!(
        "sealed {path} in place: {} rows of {} tenants sealed, {} messages in the blind search index, \
         {} waiting journal events applied first; the file and its journal were vacuumed",
        report.rows, report.tenants, report.indexed_messages, report.applied_journal_events
    ))
}

async fn run(options: Options) -> unibox_core::Result<String> {
    let keys = StoreKeys::from_env(&options.keys_env)?;
    if options.command == "seal" {
        return seal(options.db.as_deref().unwrap_or_default(), keys).await;
    }
    let (store, inbox) = open(&options, keys).await?;
    let result = match options.command.as_str() {
        "export" => {
            let tenant: TenantId = options.tenant.as_deref().unwrap_or_default().parse()?;
            let scope = match options.contact.as_deref() {
                Some(contact) => ExportScope::Contact { contact: contact.parse::<ContactId>()? },
                None => ExportScope::Tenant,
            };
            let mut out: Box<dyn AsyncWrite + Unpin + Send> = match &options.file {
                Some(path) => Box::new(tokio::fs::File::create(path).await.map_err(|e| io_error(path, e))?),
                None => Box::new(tokio::io::stdout()),
            };
            let counts = export(&store, &tenant, &scope, Timestamp::now(), &mut out).await?;
            out.shutdown().await.map_err(|e| io_error("closing the export", e))?;
            Ok(format!("exported {} records of tenant {tenant}: {counts:?}", counts.total()))
        }
        _ => {
            let restore = store
                .restore
                .clone()
                .ok_or_else(|| Error::new(ErrorKind::Unsupported, "this store cannot restore an export"))?;
            let summary = match &options.file {
                Some(path) => {
                    let file = tokio::fs::File::open(path).await.map_err(|e| io_error(path, e))?;
                    import(restore.as_ref(), BufReader::new(file)).await?
                }
                None => import(restore.as_ref(), BufReader::new(tokio::io::stdin())).await?,
            };
            Ok(format!(
                "imported {} records into tenant {}: {:?}",
                summary.counts.total(),
                summary.manifest.tenant,
                summary.counts
            ))
        }
    };
    drop(store);
    if let Some(Ok(inbox)) = inbox.map(std::sync::Arc::try_unwrap) {
        inbox.close().await;
    }
    result
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("unibox-store: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(report) => {
            eprintln!("unibox-store: {report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("unibox-store: {error}");
            ExitCode::FAILURE
        }
    }
}
