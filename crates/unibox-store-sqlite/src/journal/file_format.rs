//! The journal file: where it lives, its one table, and the versions of its format.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use unibox_core::{Error, ErrorKind, Result};

use crate::error::{SqlResultExt, storage};
use crate::options::SqliteOptions;

/// `PRAGMA application_id` of a journal file ("ubxj").
const JOURNAL_APPLICATION_ID: i32 = 0x7562_786a;

/// The journal file of the inbox at `inbox`: the same path with `.inbound` appended.
pub(crate) fn journal_path(inbox: &Path) -> PathBuf {
    let mut path = inbox.as_os_str().to_owned();
    path.push(".inbound");
    PathBuf::from(path)
}

/// Opens (creating it if needed) the journal file for writing, and checks what it is.
pub(crate) fn open_journal_writer(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    const OPEN: &str = "sqlite.open_journal";
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| storage(OPEN, err).with_context("path", path.display()))?;
    conn.busy_timeout(options.busy_timeout).during(OPEN)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).during(OPEN)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::new(ErrorKind::Configuration, "SQLite could not switch the journal file to WAL mode")
            .with_operation(OPEN)
            .with_context("path", path.display()));
    }
    conn.pragma_update(None, "synchronous", options.synchronous.pragma_value()).during(OPEN)?;
    // The checkpointer thread copies the log into the file.
    conn.pragma_update(None, "wal_autocheckpoint", 0).during(OPEN)?;
    // Applied rows are deleted: zero them, so message content does not linger in free pages.
    conn.pragma_update(None, "secure_delete", "ON").during(OPEN)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).during(OPEN)?;
    conn.set_prepared_statement_cache_capacity(16);

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).during(OPEN)?;
    let application_id: i32 = tx.pragma_query_value(None, "application_id", |row| row.get(0)).during(OPEN)?;
    let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0)).during(OPEN)?;
    if application_id != JOURNAL_APPLICATION_ID {
        if application_id != 0 || objects != 0 {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the inbound journal file belongs to another application; move it away (the inbox file is untouched)",
            )
            .with_operation(OPEN)
            .with_context("path", path.display()));
        }
        tx.execute_batch(&format!(
            "{INBOUND_TABLE};
             -- Which journal this is: the inbox records it next to how far it applied this one.
             CREATE TABLE identity (id BLOB NOT NULL, pruned_through INTEGER NOT NULL DEFAULT 0) STRICT;
             INSERT INTO identity (id) VALUES (randomblob(16));"
        ))
        .during(OPEN)?;
        tx.pragma_update(None, "application_id", JOURNAL_APPLICATION_ID).during(OPEN)?;
        tx.pragma_update(None, "user_version", JOURNAL_VERSION).during(OPEN)?;
    } else {
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).during(OPEN)?;
        match version {
            JOURNAL_VERSION => {}
            2 => {
                // Version 3 seals the event of a sealed inbox into a column of its own.
                tx.execute_batch("ALTER TABLE inbound ADD COLUMN event_sealed BLOB").during(OPEN)?;
                tx.pragma_update(None, "user_version", JOURNAL_VERSION).during(OPEN)?;
            }
            1 => {
                // Version 1 kept a unique index of event ids and an AUTOINCREMENT counter: two
                // more pages written per commit. The rows (applied or not) move over as they are,
                // and the counter's high-water mark becomes `pruned_through`.
                tx.execute_batch(&format!(
                    "ALTER TABLE identity ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
                     UPDATE identity SET pruned_through =
                         coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'inbound'), 0);
                     ALTER TABLE inbound RENAME TO inbound_v1;
                     {INBOUND_TABLE};
                     INSERT INTO inbound (seq, tenant, account, event_id, received_at, event)
                         SELECT seq, tenant, account, event_id, received_at, event FROM inbound_v1;
                     DROP TABLE inbound_v1;"
                ))
                .during(OPEN)?;
                tx.pragma_update(None, "user_version", JOURNAL_VERSION).during(OPEN)?;
            }
            newer => {
                return Err(Error::new(
                    ErrorKind::Configuration,
                    format!(
                        "the inbound journal file has format {newer}, newer than this version of unibox-store-sqlite \
                         reads ({JOURNAL_VERSION}); upgrade, or let the newer version apply it first"
                    ),
                )
                .with_operation(OPEN)
                .with_context("path", path.display()));
            }
        }
    }
    tx.commit().during(OPEN)?;
    Ok(conn)
}

/// The journal's format (`PRAGMA user_version`). 1: an AUTOINCREMENT key and a unique index of
/// event ids; 2: neither: a new row's `seq` follows the newest row or, in an emptied table,
/// `identity.pruned_through` (the newest row ever deleted), so sequence numbers never repeat
/// even with several processes on one file; pending duplicates are kept by [`JournalState`];
/// 3: `event_sealed`, the event sealed with its tenant's key (a sealed inbox; `event` is then empty).
pub(super) const JOURNAL_VERSION: i64 = 3;

/// The journal's one table. Rows are appended in `seq` order and deleted from the front once
/// applied, so an insert touches only the last pages of one B-tree.
const INBOUND_TABLE: &str = "CREATE TABLE inbound (
         seq         INTEGER PRIMARY KEY,
         tenant      TEXT NOT NULL,
         account     BLOB NOT NULL,
         event_id    TEXT NOT NULL,
         received_at INTEGER NOT NULL,
         event       TEXT NOT NULL,
         event_sealed BLOB
     ) STRICT";

/// Opens a read-only connection to the journal file (the inbox's writer reads rows to apply).
pub(crate) fn open_journal_reader(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|err| storage("sqlite.open_journal", err).with_context("path", path.display()))?;
    conn.busy_timeout(options.busy_timeout).during("sqlite.open_journal")?;
    Ok(conn)
}
