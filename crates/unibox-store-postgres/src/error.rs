//! Mapping PostgreSQL failures onto unibox's [`Error`].
//!
//! A server error's text can quote the values of the row it refused (`DETAIL: Key (id)=(...)
//! already exists`), so no message or source here ever carries it: an error says what kind of
//! failure happened, with the SQLSTATE code and the names of the constraint and table from the
//! schema, and nothing of the data.

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;
use unibox_core::{Error, ErrorKind};

/// Turns a tokio-postgres error into a unibox error for `operation`.
///
/// - Lost or refused connections, a statement timeout, an overloaded server, serialization
///   failures, deadlocks and unique violations (a concurrent writer won a race: retrying sees
///   its row) are temporary.
/// - Other constraint violations are permanent [`ErrorKind::Conflict`]s.
/// - A missing table or function is a [`ErrorKind::Configuration`] error (the schema is not
///   migrated, or the search path does not reach it), as is failed authentication.
/// - A failed TLS handshake is as [`crate::tls::handshake_error`] says: an untrusted or
///   mismatched certificate is a permanent [`ErrorKind::Configuration`] error.
pub(crate) fn storage(operation: &'static str, err: tokio_postgres::Error) -> Error {
    if let Some(error) = crate::tls::handshake_error(operation, &err) {
        return error;
    }
    let Some(db) = err.as_db_error() else {
        // tokio-postgres names its client-side refusals in its text (a wrong row count, a value
        // that does not convert); everything else without a server answer is the connection's
        // (refused, timed out, closed).
        let text = err.to_string();
        let client_side = ["query returned an unexpected number of rows", "error serializing", "error deserializing"]
            .iter()
            .any(|refusal| text.starts_with(refusal));
        if !client_side {
            // The connection failed or closed. Its text holds no row data.
            return Error::new(ErrorKind::Storage, "the PostgreSQL connection failed; try again")
                .with_operation(operation)
                .with_source(err)
                .temporary();
        }
        // The client refused the exchange (a row count or type this code did not expect): a
        // bug, not the server's. The source is left out: a conversion error can quote a value.
        return Error::new(ErrorKind::Unexpected, "PostgreSQL answered in a way this code did not expect")
            .with_operation(operation)
            .permanent();
    };
    let code = db.code();
    let (kind, temporary, message) = classify(code);
    let mut error = Error::new(kind, message).with_operation(operation).with_context("sqlstate", code.code());
    if let Some(constraint) = db.constraint() {
        error = error.with_context("constraint", constraint);
    }
    if let Some(table) = db.table() {
        error = error.with_context("table", table);
    }
    if temporary { error.temporary() } else { error.permanent() }
}

/// The kind, retry hint and message of a server error by its SQLSTATE.
fn classify(code: &SqlState) -> (ErrorKind, bool, &'static str) {
    let class = &code.code()[..2];
    if *code == SqlState::UNIQUE_VIOLATION {
        return (ErrorKind::Conflict, true, "the change conflicts with a row stored at the same time; try again");
    }
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return (ErrorKind::Storage, true, "the transaction collided with a concurrent one; try again");
    }
    if *code == SqlState::QUERY_CANCELED {
        return (ErrorKind::Storage, true, "the PostgreSQL statement timed out; try again");
    }
    if *code == SqlState::DISK_FULL {
        return (ErrorKind::StorageFull, true, "the disk of the PostgreSQL server is full");
    }
    if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::UNDEFINED_FUNCTION {
        return (
            ErrorKind::Configuration,
            false,
            "a unibox table or function is missing: migrate the schema, and check the role's search_path",
        );
    }
    if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        return (
            ErrorKind::Configuration,
            false,
            "PostgreSQL refused the statement: the role lacks a privilege, or the row is outside its tenant",
        );
    }
    match class {
        "23" => (ErrorKind::Conflict, false, "the change conflicts with stored data"),
        // Connection exceptions, insufficient resources, operator intervention (shutdown,
        // cannot connect now), system errors.
        "08" | "53" | "57" | "58" => (ErrorKind::Storage, true, "PostgreSQL is unavailable or overloaded; try again"),
        "28" => (ErrorKind::Configuration, false, "PostgreSQL refused the role's credentials"),
        "3D" | "3F" => (ErrorKind::Configuration, false, "the PostgreSQL database or schema does not exist"),
        "22" => (ErrorKind::Storage, false, "PostgreSQL refused a value as out of range or malformed"),
        _ => (ErrorKind::Storage, false, "the PostgreSQL operation failed"),
    }
}

/// Turns a pool failure into a unibox error for `operation`.
pub(crate) fn pool(operation: &'static str, err: PoolError) -> Error {
    match err {
        PoolError::Backend(err) => storage(operation, err),
        PoolError::Timeout(_) => {
            Error::new(ErrorKind::Storage, "no PostgreSQL connection became free in time; try again")
                .with_operation(operation)
                .temporary()
        }
        PoolError::Closed => {
            Error::new(ErrorKind::Storage, "the PostgreSQL pool is closed").with_operation(operation).permanent()
        }
        other => Error::new(ErrorKind::Storage, "the PostgreSQL pool could not open a connection")
            .with_operation(operation)
            .with_context("cause", other)
            .temporary(),
    }
}

/// A stored value that cannot be read back (something this version never writes).
pub(crate) fn corrupt(operation: &'static str, what: &'static str) -> Error {
    Error::new(ErrorKind::Storage, format!("PostgreSQL holds an unreadable {what}"))
        .with_operation(operation)
        .permanent()
}

/// Extension to attach the operation name to tokio-postgres results.
pub(crate) trait PgResultExt<T> {
    /// Maps the error with [`storage`].
    fn during(self, operation: &'static str) -> unibox_core::Result<T>;
}

impl<T> PgResultExt<T> for Result<T, tokio_postgres::Error> {
    fn during(self, operation: &'static str) -> unibox_core::Result<T> {
        self.map_err(|err| storage(operation, err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn races_are_temporary_and_other_constraint_violations_are_permanent_conflicts() {
        assert_eq!(classify(&SqlState::UNIQUE_VIOLATION).0, ErrorKind::Conflict);
        assert!(classify(&SqlState::UNIQUE_VIOLATION).1);
        assert!(classify(&SqlState::T_R_SERIALIZATION_FAILURE).1);
        assert!(classify(&SqlState::T_R_DEADLOCK_DETECTED).1);
        assert_eq!(
            classify(&SqlState::FOREIGN_KEY_VIOLATION),
            (ErrorKind::Conflict, false, classify(&SqlState::CHECK_VIOLATION).2)
        );
        assert!(!classify(&SqlState::NOT_NULL_VIOLATION).1);
    }

    #[test]
    fn an_unavailable_server_is_temporary_and_a_missing_table_is_configuration() {
        assert!(classify(&SqlState::ADMIN_SHUTDOWN).1);
        assert!(classify(&SqlState::TOO_MANY_CONNECTIONS).1);
        assert!(classify(&SqlState::CONNECTION_FAILURE).1);
        assert_eq!(classify(&SqlState::DISK_FULL).0, ErrorKind::StorageFull);
        assert_eq!(classify(&SqlState::UNDEFINED_TABLE).0, ErrorKind::Configuration);
        assert_eq!(classify(&SqlState::INVALID_PASSWORD).0, ErrorKind::Configuration);
    }
}
