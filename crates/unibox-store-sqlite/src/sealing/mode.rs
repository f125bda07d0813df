//! Which mode a file is in, decided by its first open and checked by every later one.

use rusqlite::{Connection, OptionalExtension};
use unibox_core::{Error, ErrorKind, Result};

use crate::error::SqlResultExt;

const OP: &str = "sqlite.open";

/// Records the mode of a new (or still empty) file, or checks an existing file's mode against
/// `sealed`. A plain file that holds conversation data is refused by a sealed open (until it
/// is sealed in place: [`in_place`](super::in_place)), and a sealed file by a plain open: a file never mixes the two.
/// `journal_waiting`: the inbound journal holds events not yet applied.
pub(crate) fn settle(conn: &Connection, sealed: bool, journal_waiting: bool) -> Result<()> {
    let recorded: Option<bool> = conn
        .query_row("SELECT sealed FROM conversation_sealing WHERE id = 1", [], |row| row.get::<_, i64>(0))
        .optional()
        .during(OP)?
        .map(|value| value != 0);
    match (recorded, sealed) {
        (Some(recorded), wanted) if recorded == wanted => Ok(()),
        (Some(true), false) => Err(Error::new(
            ErrorKind::Configuration,
            "this inbox file holds sealed conversation data; open it with SqliteStore::open and its keys \
             (conversation sealing on)",
        )
        .with_operation(OP)),
        (_, true) if journal_waiting || holds_conversation_data(conn)? => Err(Error::new(
            ErrorKind::Configuration,
            "this inbox file holds plaintext conversation data and cannot be opened with conversation sealing on: \
             seal it in place first with SqliteStore::seal_plaintext_file (or `unibox-store seal --db PATH`), \
             or open it with SqliteOptions::conversation_sealing(false)",
        )
        .with_operation(OP)),
        (_, wanted) => {
            conn.execute(
                "INSERT INTO conversation_sealing (id, sealed) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed",
                [i64::from(wanted)],
            )
            .during(OP)?;
            Ok(())
        }
    }
}

/// Whether the file is recorded as sealed (for jobs that run without a tenant's sealer, such as
/// deletions after a tenant's keys are shredded).
pub(crate) fn is_sealed(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT sealed FROM conversation_sealing WHERE id = 1")
        .during(OP)?
        .query_row([], |row| row.get::<_, i64>(0))
        .optional()
        .during(OP)?
        .is_some_and(|sealed| sealed != 0))
}

fn holds_conversation_data(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM contacts) \
         OR EXISTS (SELECT 1 FROM notes) OR EXISTS (SELECT 1 FROM events) \
         OR EXISTS (SELECT 1 FROM pending_actions) OR EXISTS (SELECT 1 FROM orders) \
         OR EXISTS (SELECT 1 FROM privacy_user_links) OR EXISTS (SELECT 1 FROM privacy_requests WHERE platform_user_id <> '')",
        [],
        |row| row.get::<_, bool>(0),
    )
    .during(OP)
}
