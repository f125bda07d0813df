//! Versioned schema migrations.
//!
//! The schema version lives in SQLite's `PRAGMA user_version`; each migration is a numbered SQL
//! file in `src/migrations/` and runs in its own transaction together with the version bump, so
//! a database is always at exactly one known version. A database written by a newer version of
//! this crate is refused rather than misread.

use rusqlite::{Connection, TransactionBehavior};
use unibox_core::{Error, ErrorKind, Result};

use crate::error::SqlResultExt;

/// `PRAGMA application_id` of a unibox database (`"unbx"`), so a file of another application
/// is never mistaken for one.
pub(crate) const APPLICATION_ID: i32 = 0x756e_6278;

/// The schema version this version of the crate writes and understands.
///
/// ```
/// assert!(unibox_store_sqlite::SCHEMA_VERSION >= 1);
/// ```
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

struct Migration {
    version: u32,
    sql: &'static str,
}

/// In version order; a migration is never edited once released, only added. New migrations
/// create with `IF NOT EXISTS`: tests rewind `user_version` on a migrated file to replay one
/// migration, which replays every later one too.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("migrations/0001_initial.sql") },
    Migration { version: 2, sql: include_str!("migrations/0002_vault.sql") },
    Migration { version: 3, sql: include_str!("migrations/0003_outbox.sql") },
    Migration { version: 4, sql: include_str!("migrations/0004_team.sql") },
    Migration { version: 5, sql: include_str!("migrations/0005_workflow.sql") },
    Migration { version: 6, sql: include_str!("migrations/0006_privacy.sql") },
    Migration { version: 7, sql: include_str!("migrations/0007_journal.sql") },
    Migration { version: 8, sql: include_str!("migrations/0008_audit_index.sql") },
    Migration { version: 9, sql: include_str!("migrations/0009_analytics_positions.sql") },
    Migration { version: 10, sql: include_str!("migrations/0010_orders.sql") },
    Migration { version: 11, sql: include_str!("migrations/0011_ai_control.sql") },
    Migration { version: 12, sql: include_str!("migrations/0012_credits.sql") },
    Migration { version: 13, sql: include_str!("migrations/0013_sync_cursors.sql") },
    Migration { version: 14, sql: include_str!("migrations/0014_catalog.sql") },
    Migration { version: 15, sql: include_str!("migrations/0015_sealing.sql") },
    Migration { version: 16, sql: include_str!("migrations/0016_lifecycle.sql") },
    Migration { version: 17, sql: include_str!("migrations/0017_sealed_reactions.sql") },
    Migration { version: 18, sql: include_str!("migrations/0018_sealed_privacy_users.sql") },
    Migration { version: 19, sql: include_str!("migrations/0019_sealed_message_body.sql") },
    Migration { version: 20, sql: include_str!("migrations/0020_pending_authors.sql") },
    Migration { version: 21, sql: include_str!("migrations/0021_message_id_generations.sql") },
];

/// Columns a migration adds (version, table, column, type), each only when missing, before its
/// SQL runs: `ALTER TABLE ADD COLUMN` has no `IF NOT EXISTS`, and migrations must replay.
const ADDED_COLUMNS: &[(u32, &str, &str, &str)] = &[
    (15, "messages", "content_sealed", "BLOB"),
    (15, "messages", "reply_to_sealed", "BLOB"),
    (15, "messages", "platform_message_id_sealed", "BLOB"),
    (15, "contacts", "display_name_sealed", "BLOB"),
    (15, "contact_identities", "value_sealed", "BLOB"),
    (15, "contact_attributes", "value_sealed", "BLOB"),
    (15, "notes", "body_sealed", "BLOB"),
    (15, "events", "payload_sealed", "BLOB"),
    (15, "pending_actions", "payload_sealed", "BLOB"),
    (15, "orders", "body_sealed", "BLOB"),
    (17, "reactions", "reactor_sealed", "BLOB"),
    (17, "reactions", "emoji_sealed", "BLOB"),
    (18, "privacy_user_links", "platform_user_id_sealed", "BLOB"),
    (18, "privacy_requests", "platform_user_id_sealed", "BLOB"),
    (19, "messages", "body_sealed", "BLOB"),
    (20, "pending_actions", "author", "TEXT"),
];

/// Adds the columns of migration `version` that the database lacks.
fn add_missing_columns(conn: &Connection, version: u32) -> Result<()> {
    const OP: &str = "sqlite.migrate";
    for (_, table, column, kind) in ADDED_COLUMNS.iter().filter(|(v, ..)| *v == version) {
        let exists: bool = conn
            .query_row(&format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"), [column], |row| {
                row.get::<_, i64>(0)
            })
            .during(OP)?
            > 0;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}")).during(OP)?;
        }
    }
    Ok(())
}

/// Brings the database to [`SCHEMA_VERSION`], or refuses a file this version cannot use.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_up_to(conn, SCHEMA_VERSION)
}

/// Brings the database to version `target` (tests build the databases of earlier versions).
pub(crate) fn migrate_up_to(conn: &mut Connection, target: u32) -> Result<()> {
    const OP: &str = "sqlite.migrate";
    // IMMEDIATE: two processes opening a new file at once must not both run a migration.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).during(OP)?;
    let application_id: i32 = tx.pragma_query_value(None, "application_id", |row| row.get(0)).during(OP)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).during(OP)?;
    if application_id != APPLICATION_ID {
        let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0)).during(OP)?;
        if application_id != 0 || version != 0 || objects != 0 {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the file is an SQLite database of another application, not a unibox inbox; open a new or unibox file",
            )
            .with_operation(OP));
        }
    }
    if version > i64::from(SCHEMA_VERSION) {
        return Err(Error::new(
            ErrorKind::Configuration,
            format!(
                "the database has schema version {version}, newer than the {SCHEMA_VERSION} this version of \
                 unibox-store-sqlite knows; it was written by a newer release, so upgrade unibox-store-sqlite"
            ),
        )
        .with_operation(OP));
    }
    for migration in MIGRATIONS.iter().filter(|m| i64::from(m.version) > version && m.version <= target) {
        add_missing_columns(&tx, migration.version)?;
        tx.execute_batch(migration.sql).during(OP)?;
        tx.pragma_update(None, "user_version", migration.version).during(OP)?;
        tracing::info!(version = migration.version, "applied unibox SQLite schema migration");
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID).during(OP)?;
    tx.commit().during(OP)
}

/// The schema version stored in a database.
pub(crate) fn stored_version(conn: &Connection) -> Result<u32> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).during("sqlite.migrate")?;
    u32::try_from(version).map_err(|_| Error::new(ErrorKind::Storage, "negative schema version in the database"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_consecutively_from_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1);
        }
    }

    #[test]
    fn a_new_database_is_migrated_to_the_current_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), SCHEMA_VERSION);
        // Running again is a no-op.
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_database_of_another_application_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
        assert!(err.message().contains("newer"), "{err}");
    }
}
