//! Opening and configuring connections.

use std::path::Path;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use unibox_core::{Error, ErrorKind, Result};

use crate::error::SqlResultExt;
use crate::options::SqliteOptions;
use crate::schema;
use crate::search;

const OP: &str = "sqlite.open";

/// Prepared statements kept per connection; every statement of the crate fits.
const STATEMENT_CACHE: usize = 128;

/// Where the database lives.
#[derive(Clone, Debug)]
pub(crate) enum Location {
    /// A file, in WAL mode, shared by the writer and the readers.
    File(std::path::PathBuf),
    /// A private in-memory database owned by the writer.
    Memory,
}

/// Opens the one read-write connection, switches the file to WAL and migrates the schema.
pub(crate) fn open_writer(location: &Location, options: &SqliteOptions) -> Result<Connection> {
    let mut conn = match location {
        Location::File(path) => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        Location::Memory => Connection::open_in_memory(),
    }
    .map_err(|err| open_error(location, err))?;
    configure(&conn, options)?;
    if let Location::File(_) = location {
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).during(OP)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("SQLite could not switch the database to WAL mode (it stays in {mode} mode); use a local file system"),
            )
            .with_operation(OP));
        }
    }
    conn.pragma_update(None, "synchronous", options.synchronous.pragma_value()).during(OP)?;
    if let Location::File(_) = location {
        // The checkpointer thread copies the log into the file (see `open_checkpointer`), so
        // commits never wait for a checkpoint.
        conn.pragma_update(None, "wal_autocheckpoint", 0).during(OP)?;
    }
    // Zero freed space, so erased (unsent) content does not linger in free pages.
    conn.pragma_update(None, "secure_delete", "ON").during(OP)?;
    // Keep the WAL file from growing without bound after a burst of writes.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).during(OP)?;
    // Freed pages go back to the file system when a purge runs `PRAGMA incremental_vacuum`.
    // The mode takes effect for a new file (set before its first table); a file created
    // without it is switched by one VACUUM below, once.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").during(OP)?;
    schema::migrate(&mut conn)?;
    let auto_vacuum: i64 = conn.pragma_query_value(None, "auto_vacuum", |row| row.get(0)).during(OP)?;
    if auto_vacuum != 2 {
        tracing::info!(target: "unibox::sqlite", "switching the database to incremental auto-vacuum (one VACUUM; it may take a while for a large file)");
        conn.execute_batch("VACUUM").during(OP)?;
    }
    Ok(conn)
}

/// Opens the connection of the background checkpointer, to a file opened by [`open_writer`].
pub(crate) fn open_checkpointer(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|err| open_error(&Location::File(path.to_path_buf()), err))?;
    conn.busy_timeout(options.busy_timeout).during(OP)?;
    conn.pragma_update(None, "synchronous", options.synchronous.pragma_value()).during(OP)?;
    conn.pragma_update(None, "secure_delete", "ON").during(OP)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).during(OP)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0).during(OP)?;
    Ok(conn)
}

/// Opens a read-only connection to a file opened by [`open_writer`].
pub(crate) fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|err| open_error(&Location::File(path.to_path_buf()), err))?;
    configure(&conn, options)?;
    conn.pragma_update(None, "query_only", "ON").during(OP)?;
    Ok(conn)
}

fn configure(conn: &Connection, options: &SqliteOptions) -> Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(options.busy_timeout).during(OP)?;
    conn.pragma_update(None, "cache_size", -i64::from(options.cache_size_kib)).during(OP)?;
    conn.pragma_update(None, "temp_store", "MEMORY").during(OP)?;
    register_functions(conn)
}

/// `unibox_matches(text, query)`: 1 when every whitespace-separated term of `query` occurs in
/// `text`, ignoring case the way Rust's `str::to_lowercase` does. It is the exact filter of a
/// search; the trigram index only narrows the candidates.
fn register_functions(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("unibox_matches", 2, flags, |ctx| {
        let text = match ctx.get_raw(0) {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        };
        let query = match ctx.get_raw(1) {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        };
        Ok(match (text, query) {
            (Some(text), Some(query)) => search::matches_all_terms(text, query),
            _ => false,
        })
    })
    .during(OP)
}

fn open_error(location: &Location, err: rusqlite::Error) -> Error {
    let error = crate::error::storage(OP, err);
    match location {
        Location::File(path) => error.with_context("path", path.display()),
        Location::Memory => error,
    }
}
