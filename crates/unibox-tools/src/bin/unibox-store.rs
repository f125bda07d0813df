//! `unibox-store`: exports a tenant (or one contact) of a SQLite store as JSON Lines, and
//! imports such an export into an empty tenant of a SQLite store: the way to move a tenant
//! between files or from another backend.
//!
//! ```text
//! UNIBOX_VAULT_KEYS=... unibox-store export --db inbox.db --tenant acme [--contact ID] [--out acme.jsonl]
//! UNIBOX_VAULT_KEYS=... unibox-store import --db new.db [--in acme.jsonl]
//! ```
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
use unibox_store_sqlite::SqliteStore;
use unibox_vault::StoreKeys;

const USAGE: &str = "usage:
  unibox-store export --db PATH --tenant TENANT [--contact CONTACT_ID] [--out FILE] [--keys-env NAME]
  unibox-store import --db PATH [--in FILE] [--keys-env NAME]
The vault keys are read from UNIBOX_VAULT_KEYS unless --keys-env names another variable.";

struct Options {
    command: String,
    db: String,
    tenant: Option<String>,
    contact: Option<String>,
    file: Option<String>,
    keys_env: String,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let command = args.first().cloned().ok_or("no command")?;
    if command != "export" && command != "import" {
        return Err(format!("unknown command {command:?}"));
    }
    let mut options = Options {
        command,
        db: String::new(),
        tenant: None,
        contact: None,
        file: None,
        keys_env: "UNIBOX_VAULT_KEYS".into(),
    };
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?.clone();
        match (options.command.as_str(), flag.as_str()) {
            (_, "--db") => options.db = value,
            (_, "--keys-env") => options.keys_env = value,
            ("export", "--tenant") => options.tenant = Some(value),
            ("export", "--contact") => options.contact = Some(value),
            ("export", "--out") | ("import", "--in") => options.file = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.db.is_empty() {
        return Err("--db is required".into());
    }
    if options.command == "export" && options.tenant.is_none() {
        return Err("export needs --tenant".into());
    }
    Ok(options)
}

fn io_error(what: &str, error: std::io::Error) -> Error {
    Error::new(ErrorKind::Storage, format!("{what}: {error}"))
}

async fn run(options: Options) -> unibox_core::Result<String> {
    let keys = StoreKeys::from_env(&options.keys_env)?;
    let sqlite = SqliteStore::open(&options.db, keys).await?;
    let inbox = sqlite.inbox().clone();
    let store: Store = sqlite.into();
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
    if let Ok(inbox) = std::sync::Arc::try_unwrap(inbox) {
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
