//! One batch of write jobs: one transaction, a savepoint per job, one commit.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rusqlite::{Connection, ErrorCode};
use unibox_core::{Error, ErrorKind};

use super::Job;
use super::background::Background;
use super::transaction::WriteTx;
use crate::error::storage;

/// Runs a batch of write jobs in one transaction, each in its own savepoint, and commits once.
///
/// `background` hears of the commit before any job's caller does. A job that fails is answered
/// after the transaction ends too: its error may come from what an earlier job of the batch
/// wrote (a conflict), and its caller must be able to read that once it has the answer.
pub(super) fn commit_batch(
    conn: &Connection,
    jobs: Vec<Box<dyn Job>>,
    mut background: Option<&mut (dyn Background + 'static)>,
) {
    let mut pending = jobs.into_iter();
    let mut refused: Vec<(Box<dyn Job>, Error)> = Vec::new();
    let answer_refused = |refused: Vec<(Box<dyn Job>, Error)>| {
        refused.into_iter().for_each(|(job, error)| job.fail(error));
    };
    // Normally one transaction; another only if SQLite aborted the first one mid-batch.
    loop {
        if let Err(err) = execute(conn, "BEGIN IMMEDIATE") {
            let failure = BatchFailure::new(&err);
            pending.for_each(|job| job.fail(failure.error()));
            answer_refused(refused);
            return;
        }
        let tx = WriteTx::new(conn);
        let mut done: Vec<Box<dyn Job>> = Vec::new();
        let mut aborted = false;
        for mut job in pending.by_ref() {
            let mark = tx.mark();
            if let Err(err) = execute(conn, "SAVEPOINT job") {
                job.fail(storage("sqlite.write", err));
                if conn.is_autocommit() {
                    aborted = true;
                    break;
                }
                continue;
            }
            let outcome = match catch_unwind(AssertUnwindSafe(|| job.run(&tx))) {
                Ok(outcome) => outcome,
                Err(_) => Err(bug("sqlite.write")),
            };
            match outcome {
                Ok(()) => match execute(conn, "RELEASE job") {
                    Ok(()) => done.push(job),
                    Err(err) => job.fail(storage("sqlite.write", err)),
                },
                Err(error) => {
                    tx.rollback_to(mark);
                    let rolled_back = execute(conn, "ROLLBACK TO job").and_then(|()| execute(conn, "RELEASE job"));
                    refused.push((job, error));
                    if rolled_back.is_err() || conn.is_autocommit() {
                        // SQLite rolled the whole transaction back (I/O error, full disk): the
                        // jobs before this one are lost too.
                        aborted = true;
                        break;
                    }
                }
            }
        }
        if aborted {
            let _ = execute(conn, "ROLLBACK");
            tx.rollback_all();
            // The write that aborted it ran out of room: so did the whole transaction.
            let kind = match refused.last() {
                Some((_, error)) if error.kind() == ErrorKind::StorageFull => ErrorKind::StorageFull,
                _ => ErrorKind::Storage,
            };
            let error = || {
                Error::new(kind, "the SQLite transaction was aborted by an error of another write")
                    .with_operation("sqlite.write")
                    .temporary()
            };
            done.into_iter().for_each(|job| job.fail(error()));
            continue;
        }
        // After the last savepoint: the search index is written once for the whole batch.
        match tx.apply_search().and_then(|()| execute(conn, "COMMIT")) {
            Ok(()) => {
                tx.committed();
                if let Some(work) = background.as_deref_mut() {
                    work.after_commit(conn);
                }
                done.into_iter().for_each(|job| job.succeed());
            }
            Err(err) => {
                let failure = BatchFailure::new(&err);
                let _ = execute(conn, "ROLLBACK");
                tx.rollback_all();
                done.into_iter().for_each(|job| job.fail(failure.error()));
            }
        }
        answer_refused(refused);
        return;
    }
}

pub(crate) fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

pub(crate) fn bug(operation: &'static str) -> Error {
    Error::new(ErrorKind::Unexpected, "the SQLite job panicked; its changes were rolled back (please report this bug)")
        .with_operation(operation)
}

/// One failure shared by every job of a batch (errors are not `Clone`).
struct BatchFailure {
    code: Option<ErrorCode>,
    detail: String,
}

impl BatchFailure {
    fn new(err: &rusqlite::Error) -> Self {
        BatchFailure { code: err.sqlite_error_code(), detail: err.to_string() }
    }

    fn error(&self) -> Error {
        let temporary = matches!(
            self.code,
            Some(
                ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::OutOfMemory
            )
        );
        // A full disk has a kind of its own: the caller (a readiness check, an operator) can
        // tell it from a busy or broken database.
        let kind = if self.code == Some(ErrorCode::DiskFull) { ErrorKind::StorageFull } else { ErrorKind::Storage };
        let error = Error::new(kind, "the SQLite transaction could not be committed")
            .with_operation("sqlite.commit")
            .with_context("cause", &self.detail);
        if temporary { error.temporary() } else { error.permanent() }
    }
}
