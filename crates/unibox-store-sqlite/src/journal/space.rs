//! The room the journal keeps on the disk for what it already accepted.
//!
//! An accepted event is applied to the inbox later, and applying writes: the inbox's pages and
//! write-ahead log, the search index, the checkpoint that copies the log into the file, the
//! deletion of applied journal rows. If the journal took every free byte, none of that could
//! run, and every byte freed would go to more accepted events (the journal's own log grows
//! first) rather than to applying. So accepting stops while the free space is under a reserve
//! ([`SqliteOptions::disk_reserve_bytes`](crate::SqliteOptions::disk_reserve_bytes)), applying
//! uses the reserve, and accepting resumes by itself once the space is back.
//!
//! The free space is looked at with one `statvfs` at most every [`LOOK_SPACING`], by whichever
//! call comes first, never per event. A write that fails for lack of room marks the disk short
//! at once, whatever the last look said.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use unibox_core::{Error, ErrorKind, Result};

/// The least time between two looks at the free space.
const LOOK_SPACING: Duration = Duration::from_millis(100);

/// The `Retry-After` asked of a sender while the disk is short of room: long enough for an
/// operator or a cleanup job to free space, short enough that few retries are wasted after.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The reserve of free space below which the journal refuses new events.
#[derive(Debug)]
pub(crate) struct DiskReserve {
    /// A file on the file system that holds the inbox and its journal.
    path: PathBuf,
    /// The journal file, named in messages: where accepted events wait while applying is held up.
    journal: PathBuf,
    /// Bytes kept free; 0: no check.
    reserve: u64,
    /// The last look found less than `reserve` free, or a write ran out of room since.
    short: AtomicBool,
    /// When the free space is looked at next, in microseconds after `epoch`.
    next_look: AtomicU64,
    epoch: Instant,
}

impl DiskReserve {
    /// A reserve of `reserve` bytes on the file system of `path` (the inbox file); looks at the
    /// free space once now.
    pub(crate) fn new(path: &Path, journal: &Path, reserve: u64) -> Self {
        let space = DiskReserve {
            path: path.to_path_buf(),
            journal: journal.to_path_buf(),
            reserve,
            short: AtomicBool::new(false),
            next_look: AtomicU64::new(0),
            epoch: Instant::now(),
        };
        space.check().ok();
        space
    }

    /// No reserve: never refuses (in-memory inboxes, unit tests).
    #[cfg(test)]
    pub(crate) fn off() -> Self {
        DiskReserve::new(Path::new("."), Path::new("."), 0)
    }

    /// `Ok` while the free space is at or above the reserve (as last seen, at most
    /// [`LOOK_SPACING`] ago); otherwise the temporary [`ErrorKind::StorageFull`] error that
    /// `accept` fails with.
    pub(crate) fn check(&self) -> Result<()> {
        if self.reserve == 0 {
            return Ok(());
        }
        let now = self.now();
        let due = self.next_look.load(Ordering::Acquire);
        let spacing = u64::try_from(LOOK_SPACING.as_micros()).unwrap_or(u64::MAX);
        // One caller looks; the others go on with what was seen last.
        if now >= due
            && self
                .next_look
                .compare_exchange(due, now.saturating_add(spacing), Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.look();
        }
        if self.short.load(Ordering::Acquire) { Err(self.refusal()) } else { Ok(()) }
    }

    /// A write failed for lack of room (`error` is its error): refuse until a look finds the
    /// reserve free again.
    pub(crate) fn note_failure(&self, error: &Error) {
        if self.reserve != 0 && error.kind() == ErrorKind::StorageFull {
            self.set_short(true, None);
        }
    }

    fn look(&self) {
        match free_bytes(&self.path) {
            Some(Ok(free)) => self.set_short(free < self.reserve, Some(free)),
            Some(Err(err)) => tracing::warn!(
                target: "unibox::sqlite",
                path = %self.path.display(),
                error = %err,
                "could not read the free space of the inbox's file system; the last reading stands"
            ),
            None => {}
        }
    }

    fn set_short(&self, short: bool, free: Option<u64>) {
        let was = self.short.swap(short, Ordering::AcqRel);
        if short && !was {
            tracing::error!(
                target: "unibox::sqlite",
                path = %self.path.display(),
                free_bytes = free,
                reserve_bytes = self.reserve,
                journal = %self.journal.display(),
                "the disk is short of room: new events are refused (a temporary storage_full error, 503 for a \
                 webhook) until the free space is back above the reserve; events accepted before wait in the \
                 journal file and are applied into the reserve"
            );
        } else if was && !short {
            tracing::info!(
                target: "unibox::sqlite",
                path = %self.path.display(),
                free_bytes = free,
                reserve_bytes = self.reserve,
                "the free space is back above the reserve: accepting events again"
            );
        }
    }

    fn refusal(&self) -> Error {
        Error::new(
            ErrorKind::StorageFull,
            format!(
                "the disk holding the inbox has less free space than the {} bytes kept for applying the events \
                 already accepted; new events are refused until space is freed",
                self.reserve
            ),
        )
        .with_operation("sqlite.accept")
        .with_retry_after(RETRY_AFTER)
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// The bytes an unprivileged process may still write on the file system holding `path`; `None`
/// where this platform has no `statvfs`.
#[cfg(unix)]
fn free_bytes(path: &Path) -> Option<std::io::Result<u64>> {
    Some(
        rustix::fs::statvfs(path)
            .map(|stats| stats.f_bavail.saturating_mul(stats.f_frsize))
            .map_err(std::io::Error::from),
    )
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<std::io::Result<u64>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_with_a_typed_temporary_error_and_a_retry_hint() {
        let dir = tempfile::tempdir().unwrap();
        let refusing = DiskReserve::new(dir.path(), &dir.path().join("inbox.db.inbound"), u64::MAX);
        let refused = refusing.check().unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::StorageFull);
        assert!(refused.is_temporary());
        assert_eq!(refused.retry_after(), Some(RETRY_AFTER));

        let roomy = DiskReserve::new(dir.path(), &dir.path().join("inbox.db.inbound"), 1);
        assert!(roomy.check().is_ok());
        assert!(DiskReserve::off().check().is_ok());
    }

    #[test]
    fn a_write_that_ran_out_of_room_refuses_until_the_next_look_finds_the_reserve_free() {
        let dir = tempfile::tempdir().unwrap();
        let space = DiskReserve::new(dir.path(), &dir.path().join("inbox.db.inbound"), 1);
        space.note_failure(&Error::new(ErrorKind::Storage, "busy"));
        assert!(space.check().is_ok(), "only a lack of room counts");
        space.note_failure(&Error::new(ErrorKind::StorageFull, "disk full"));
        assert_eq!(space.check().unwrap_err().kind(), ErrorKind::StorageFull, "refused before the next look");
        std::thread::sleep(LOOK_SPACING);
        assert!(space.check().is_ok(), "the next look finds the byte free");
    }
}
