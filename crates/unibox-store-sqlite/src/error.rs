//! Mapping SQLite failures onto unibox's [`Error`].

use rusqlite::ErrorCode;
use unibox_core::{Error, ErrorKind};

/// Turns a rusqlite error into a unibox error for `operation`.
///
/// Busy and locked databases, a full disk and I/O errors are temporary (another attempt may
/// succeed); constraint violations are [`ErrorKind::Conflict`]; a corrupt file or a schema
/// mismatch is permanent. The SQLite message names tables and columns, never values.
pub(crate) fn storage(operation: &'static str, err: rusqlite::Error) -> Error {
    let code = err.sqlite_error_code();
    let (kind, temporary, message) = match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            (ErrorKind::Storage, true, "the SQLite database is busy; try again")
        }
        Some(ErrorCode::ConstraintViolation) => (ErrorKind::Conflict, false, "the change conflicts with stored data"),
        Some(ErrorCode::DiskFull) => (ErrorKind::StorageFull, true, "the disk holding the SQLite database is full"),
        Some(ErrorCode::SystemIoFailure | ErrorCode::OutOfMemory | ErrorCode::CannotOpen) => {
            (ErrorKind::Storage, true, "SQLite could not read or write the database file")
        }
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            (ErrorKind::Storage, false, "the SQLite database file is corrupt or not a database")
        }
        Some(ErrorCode::ReadOnly) => (ErrorKind::Storage, false, "the SQLite database is read-only"),
        _ => (ErrorKind::Storage, false, "the SQLite operation failed"),
    };
    let error = Error::new(kind, message).with_operation(operation).with_source(err);
    if temporary { error.temporary() } else { error.permanent() }
}

/// A stored value that cannot be read back (a column holding something this version never
/// writes): the file was changed by something else.
pub(crate) fn corrupt(operation: &'static str, what: &'static str) -> Error {
    Error::new(ErrorKind::Storage, format!("the SQLite database holds an unreadable {what}"))
        .with_operation(operation)
        .permanent()
}

/// The writer thread is gone (the inbox is closing, or the thread stopped after a bug).
pub(crate) fn writer_gone(operation: &'static str) -> Error {
    Error::new(ErrorKind::Storage, "the SQLite writer is not running; the inbox was closed")
        .with_operation(operation)
        .permanent()
}

/// Extension to attach the operation name to rusqlite results.
pub(crate) trait SqlResultExt<T> {
    /// Maps the error with [`storage`].
    fn during(self, operation: &'static str) -> unibox_core::Result<T>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn during(self, operation: &'static str) -> unibox_core::Result<T> {
        self.map_err(|err| storage(operation, err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn busy_database_is_a_temporary_storage_error() {
        let err = storage("sqlite.test", failure(rusqlite::ffi::SQLITE_BUSY));
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(err.is_temporary());
        assert_eq!(err.operation(), "sqlite.test");
    }

    #[test]
    fn constraint_violation_is_a_permanent_conflict() {
        let err = storage("sqlite.test", failure(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE));
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(!err.is_temporary());
    }

    #[test]
    fn full_disk_is_a_temporary_storage_full_error() {
        let err = storage("sqlite.test", failure(rusqlite::ffi::SQLITE_FULL));
        assert_eq!(err.kind(), ErrorKind::StorageFull);
        assert!(err.is_temporary());
    }

    #[test]
    fn corrupt_file_is_a_permanent_storage_error() {
        let err = storage("sqlite.test", failure(rusqlite::ffi::SQLITE_CORRUPT));
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(!err.is_temporary());
    }
}
