//! One store per inbox file: `<inbox file>.lock`, an exclusive lock (`flock`) taken before a
//! store opens the file and held until its last writer thread has finished.
//!
//! Why: a store keeps what its inbound journal holds (how far it is written and applied, which
//! events wait) in memory. Two stores on one file (two processes, or two `open`s in one) would
//! each apply the journal from their own idea of it, and reads that wait for "everything
//! accepted is applied" could wait for events the other store applied. SQLite's own locks
//! cannot say "in use by a store": they are taken per transaction.
//!
//! Why a file of its own: SQLite's locks on the database are POSIX record locks, which the
//! kernel releases when the process closes *any* descriptor of that file; a lock held through a
//! descriptor of the database that SQLite does not own could silently drop SQLite's locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use unibox_core::{Error, ErrorKind, Result};

/// How often a wait for the lock looks again (a store being dropped finishes its queued writes
/// in the background, then lets go).
const POLL: Duration = Duration::from_millis(10);

/// The held lock; dropping it lets another store open the file.
#[derive(Debug)]
pub(crate) struct StoreLock {
    // Held for its lock; the kernel releases it when the descriptor closes (or the process ends).
    _file: File,
}

/// The lock file of the inbox file at `inbox`.
pub(crate) fn lock_path(inbox: &Path) -> PathBuf {
    let mut path = inbox.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

impl StoreLock {
    /// Takes the lock of the inbox file at `inbox`, waiting up to `wait` while another store
    /// holds it. Blocks the calling thread.
    ///
    /// Fails with [`Configuration`](ErrorKind::Configuration) when another store still holds it
    /// after `wait`, and with [`Storage`](ErrorKind::Storage) when the lock file cannot be
    /// created or locked (a file system without locks).
    pub(crate) fn acquire(inbox: &Path, wait: Duration, operation: &'static str) -> Result<StoreLock> {
        let path = lock_path(inbox);
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(|err| {
                Error::new(ErrorKind::Storage, "could not open the inbox file's lock file")
                    .with_operation(operation)
                    .with_context("path", path.display())
                    .with_source(err)
            })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(POLL),
                Err(TryLockError::WouldBlock) => return Err(in_use(inbox, operation)),
                Err(TryLockError::Error(err)) => {
                    return Err(Error::new(ErrorKind::Storage, "could not lock the inbox file's lock file")
                        .with_operation(operation)
                        .with_context("path", path.display())
                        .with_source(err));
                }
            }
        }
    }
}

/// The error of an inbox file another store holds.
fn in_use(inbox: &Path, operation: &'static str) -> Error {
    Error::new(
        ErrorKind::Configuration,
        "the inbox file is already open by another store (in another process, or not yet closed in this one): \
         a SQLite inbox file takes one store at a time; close the other one (SqliteInbox::close) or stop its \
         process, or use PostgreSQL for several processes",
    )
    .with_operation(operation)
    .with_context("path", inbox.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox.db");
        let first = StoreLock::acquire(&inbox, Duration::ZERO, "test").unwrap();
        assert!(lock_path(&inbox).exists());
        let err = StoreLock::acquire(&inbox, Duration::from_millis(30), "test").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
        assert!(err.to_string().contains("already open by another store"), "{err}");
        drop(first);
        StoreLock::acquire(&inbox, Duration::ZERO, "test").unwrap();
    }

    #[test]
    fn a_wait_ends_when_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox.db");
        let first = StoreLock::acquire(&inbox, Duration::ZERO, "test").unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(first);
        });
        StoreLock::acquire(&inbox, Duration::from_secs(5), "test").unwrap();
        releaser.join().unwrap();
    }
}
