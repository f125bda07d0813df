//! The background checkpointer of a file's writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The background checkpointer: a thread with its own connection that runs `PRAGMA
/// wal_checkpoint(PASSIVE)` after the writer reports commits. Notifications coalesce, so a busy
/// writer gets one checkpoint per round, not one per commit.
///
/// A `PASSIVE` checkpoint never blocks the writer, but the log only starts over from its
/// beginning once it was copied completely while no write was in progress, which under constant
/// writes never happens by itself. So when a checkpoint leaves a long log, the checkpointer asks
/// the writer to restart it: between two batches the writer runs a `RESTART` checkpoint, which
/// only has the few frames written since the last `PASSIVE` one left to copy.
pub(super) struct Checkpointer {
    notify: Option<std_mpsc::SyncSender<()>>,
    restart_wanted: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Frames in the log above which the checkpointer asks the writer to restart it (about 16 MiB).
const RESTART_FRAMES: i64 = 4096;

/// The least time between two checkpoints. A checkpoint copies each page changed since the last
/// one once, however many commits changed it, and (with `synchronous = full`) syncs the file:
/// spacing them out is what makes their cost per commit small when commits come a thousand a
/// second (a busy journal rewrites its last pages in every commit). The log grows by what is
/// committed in this time, which readers and recovery handle without noticeable cost.
const CHECKPOINT_SPACING: Duration = Duration::from_millis(200);

impl Checkpointer {
    pub(super) fn start(conn: Connection) -> Option<Self> {
        let (notify, wake) = std_mpsc::sync_channel::<()>(1);
        let restart_wanted = Arc::new(AtomicBool::new(false));
        let wanted = Arc::clone(&restart_wanted);
        let thread = std::thread::Builder::new().name("unibox-sqlite-checkpoint".into()).spawn(move || {
            let mut last = Instant::now();
            while wake.recv().is_ok() {
                // Commits that come while this waits are covered by the one checkpoint after it.
                let since = last.elapsed();
                if since < CHECKPOINT_SPACING {
                    std::thread::sleep(CHECKPOINT_SPACING - since);
                }
                let _ = wake.try_recv();
                last = Instant::now();
                if let Some((log, _)) = checkpoint(&conn, "PRAGMA wal_checkpoint(PASSIVE)")
                    && log > RESTART_FRAMES
                {
                    wanted.store(true, Ordering::Relaxed);
                }
            }
        });
        match thread {
            Ok(thread) => Some(Checkpointer { notify: Some(notify), restart_wanted, thread: Some(thread) }),
            Err(err) => {
                // Without the thread the writer checkpoints itself; say so rather than fail.
                tracing::warn!(error = %err, "could not start the SQLite checkpoint thread");
                None
            }
        }
    }

    /// Called by the writer after a commit, outside any transaction.
    pub(super) fn after_commit(&self, writer: &Connection) {
        if self.restart_wanted.swap(false, Ordering::Relaxed) {
            checkpoint(writer, "PRAGMA wal_checkpoint(RESTART)");
        }
        if let Some(notify) = &self.notify {
            // Full means a checkpoint is already due: this commit is covered by it.
            let _ = notify.try_send(());
        }
    }
}

/// Runs a checkpoint statement; returns the frames in the log and the frames copied.
fn checkpoint(conn: &Connection, sql: &'static str) -> Option<(i64, i64)> {
    match conn.query_row(sql, [], |row| Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))) {
        Ok((log, copied)) => {
            tracing::trace!(sql, log, copied, "SQLite checkpoint");
            Some((log, copied))
        }
        Err(err) => {
            tracing::warn!(sql, error = %err, "SQLite checkpoint failed; it is retried after the next commit");
            None
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.notify.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
