//! The schema: one numbered sequence of SQL migrations, embedded in the binary, applied in
//! order by the owner role.
//!
//! - Applied under a session-level advisory lock (one per schema), so concurrent migrators
//!   (several processes starting at once) apply each migration exactly once: the others wait,
//!   then find nothing left to do.
//! - Each migration runs in its own transaction together with its row in `unibox_migrations`:
//!   a failed migration leaves nothing half-applied, and the next run retries it.
//! - A schema newer than this code (a row with a version it does not know) is a
//!   [`Configuration`](ErrorKind::Configuration) error: an older binary never writes to it.
//! - After migrating, the application role is granted what it needs, and no more: rows of the
//!   tenant tables (row-level security still applies), reading `unibox_migrations`, and
//!   calling the routing functions. It gets nothing on `account_registry`.

use tokio_postgres::Client;
use unibox_core::{Error, ErrorKind, Result};

use crate::error::PgResultExt;

/// One migration.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order; `version` is the position in this list, from 1.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("0001_foundation.sql") },
    Migration { version: 2, name: "inbox", sql: include_str!("0002_inbox.sql") },
    // pg-b's migrations (files 0020 and up), numbered after pg-a's when the branches merge.
    Migration { version: 3, name: "audit", sql: include_str!("0020_audit.sql") },
    Migration { version: 4, name: "roster", sql: include_str!("0021_roster.sql") },
    Migration { version: 5, name: "sessions", sql: include_str!("0022_sessions.sql") },
    Migration { version: 6, name: "privacy", sql: include_str!("0023_privacy.sql") },
    Migration { version: 7, name: "metering", sql: include_str!("0024_metering.sql") },
    Migration { version: 8, name: "credits", sql: include_str!("0025_credits.sql") },
    Migration { version: 9, name: "ai_control", sql: include_str!("0026_ai_control.sql") },
    Migration { version: 10, name: "sync_cursors", sql: include_str!("0027_sync_cursors.sql") },
    Migration { version: 11, name: "catalog", sql: include_str!("0028_catalog.sql") },
    Migration { version: 12, name: "orders", sql: include_str!("0029_orders.sql") },
    // pg-c's migrations (files 0040 and up).
    Migration { version: 13, name: "changes", sql: include_str!("0040_changes.sql") },
    Migration { version: 14, name: "outbox", sql: include_str!("0041_outbox.sql") },
    Migration { version: 15, name: "workflow", sql: include_str!("0042_workflow.sql") },
    Migration { version: 16, name: "analytics", sql: include_str!("0043_analytics.sql") },
    Migration { version: 17, name: "lifecycle", sql: include_str!("0044_lifecycle.sql") },
    Migration { version: 18, name: "pending_authors", sql: include_str!("0045_pending_authors.sql") },
    Migration { version: 19, name: "message_search", sql: include_str!("0060_message_search.sql") },
];

/// The schema version this build writes: the number of its migrations.
///
/// ```
/// assert!(unibox_store_postgres::SCHEMA_VERSION >= 1);
/// ```
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock's first key ("unib"); the second is the schema name's hash.
const LOCK_CLASS: i32 = 0x756e_6962;

const OP: &str = "postgres.migrate";

/// Brings the schema of `client`'s search path up to [`SCHEMA_VERSION`] and grants `app_role`
/// its privileges. Returns how many migrations it applied.
pub(crate) async fn migrate(client: &mut Client, app_role: &str) -> Result<usize> {
    client.execute("SELECT pg_advisory_lock($1, hashtext(current_schema()))", &[&LOCK_CLASS]).await.during(OP)?;
    let result = migrate_locked(client, app_role).await;
    let unlocked =
        client.execute("SELECT pg_advisory_unlock($1, hashtext(current_schema()))", &[&LOCK_CLASS]).await.during(OP);
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn migrate_locked(client: &mut Client, app_role: &str) -> Result<usize> {
    let schema: Option<String> = client.query_one("SELECT current_schema()", &[]).await.during(OP)?.get(0);
    let Some(schema) = schema else {
        return Err(Error::new(
            ErrorKind::Configuration,
            "the owner role's search_path names no existing schema: create the schema, or set search_path",
        )
        .with_operation(OP));
    };
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS unibox_migrations (
                 version    BIGINT NOT NULL PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .during(OP)?;
    let current = applied_version(client).await?;
    check_not_newer(current)?;
    let mut applied = 0;
    for migration in MIGRATIONS.iter().filter(|migration| migration.version > current) {
        let tx = client.transaction().await.during(OP)?;
        // Functions created here keep this search path (`SET search_path FROM CURRENT`): the
        // schema, then pg_temp last, so a session's temporary table cannot shadow theirs.
        tx.execute("SELECT set_config('search_path', quote_ident($1) || ', pg_temp', true)", &[&schema])
            .await
            .during(OP)?;
        tx.batch_execute(migration.sql).await.map_err(|err| {
            crate::error::storage(OP, err)
                .with_context("migration", format!("{:04}_{}", migration.version, migration.name))
        })?;
        tx.execute(
            "INSERT INTO unibox_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )
        .await
        .during(OP)?;
        tx.commit().await.during(OP)?;
        applied += 1;
        tracing::info!(version = migration.version, name = migration.name, "applied a PostgreSQL migration");
    }
    grant(client, &schema, app_role).await?;
    Ok(applied)
}

/// The highest version recorded, 0 for an empty schema.
pub(crate) async fn applied_version(client: &Client) -> Result<i64> {
    let row = client.query_one("SELECT coalesce(max(version), 0) FROM unibox_migrations", &[]).await.during(OP)?;
    Ok(row.get(0))
}

/// A schema written by a newer build is refused.
pub(crate) fn check_not_newer(version: i64) -> Result<()> {
    if version > SCHEMA_VERSION {
        return Err(Error::new(
            ErrorKind::Configuration,
            format!(
                "the PostgreSQL schema is at version {version}, newer than this build's {SCHEMA_VERSION}: \
                 upgrade unibox-store-postgres"
            ),
        )
        .with_operation(OP));
    }
    Ok(())
}

/// The application role's privileges: rows of the tenant tables, the routing functions, reading
/// the migration record; nothing on the registry or on anything the migrations left to the owner.
async fn grant(client: &Client, schema: &str, app_role: &str) -> Result<()> {
    let (schema, role) = (quote(schema), quote(app_role));
    let tables: Vec<String> = client
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity AND c.relforcerowsecurity",
            &[],
        )
        .await
        .during(OP)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut sql = format!(
        "GRANT USAGE ON SCHEMA {schema} TO {role};\n\
         GRANT SELECT ON unibox_migrations TO {role};\n\
         REVOKE ALL ON account_registry FROM {role};\n\
         REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC;\n\
         GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role};\n\
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};\n"
    );
    for table in tables {
        sql.push_str(&format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {role};\n", quote(&table)));
    }
    client.batch_execute(&sql).await.during(OP)
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_one_numbered_sequence() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }

    #[test]
    fn a_newer_schema_is_a_configuration_error() {
        assert!(check_not_newer(SCHEMA_VERSION).is_ok());
        let error = check_not_newer(SCHEMA_VERSION + 1).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(error.message().contains("newer than this build"), "{error}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("app"), "\"app\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
