//! The writer thread's loop: takes the queued jobs, commits them as one batch, and schedules
//! the background work between batches.

use std::panic::{AssertUnwindSafe, catch_unwind};

use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::background::{BACKGROUND_POLL, Background};
use super::checkpointer::Checkpointer;
use super::group_commit::{bug, commit_batch};
use super::transaction::WriteTx;
use super::{Command, Job};
use crate::error::writer_gone;
use crate::file_lock::StoreLock;

/// The writer thread's loop: runs until every sender is gone or a close is requested.
///
/// Between batches of jobs it runs the [`Background`] work: when no job waits, when woken, or
/// when the work is urgent.
pub(super) fn run(
    conn: Connection,
    mut receiver: mpsc::Receiver<Command>,
    max_batch: usize,
    checkpointer: Option<Checkpointer>,
    mut background: Option<Box<dyn Background>>,
    lock: Option<Arc<StoreLock>>,
) {
    let mut writes: Vec<Box<dyn Job>> = Vec::new();
    let mut reads: Vec<Box<dyn Job>> = Vec::new();
    let mut close: Option<oneshot::Sender<()>> = None;
    loop {
        let pending = background.as_ref().is_some_and(|work| work.pending());
        let first = if pending {
            match receiver.try_recv() {
                Ok(command) => Some(command),
                Err(mpsc::error::TryRecvError::Empty) => {
                    if !background.as_ref().is_some_and(|work| work.ready()) {
                        // Work that should wait a little: look again shortly.
                        std::thread::sleep(BACKGROUND_POLL);
                        continue;
                    }
                    None
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            }
        } else {
            match receiver.blocking_recv() {
                Some(command) => Some(command),
                None => break,
            }
        };
        // No job with background work pending: run it.
        let mut run_background = first.is_none();
        let mut next = first;
        while let Some(command) = next.take() {
            match command {
                Command::Write(job) => writes.push(job),
                Command::Read(job) => reads.push(job),
                Command::Wake => {
                    if let Some(work) = background.as_mut() {
                        work.wake();
                    }
                    run_background = true;
                }
                Command::Nudge => {}
                Command::Close(done) => {
                    close = Some(done);
                    break;
                }
            }
            if writes.len() + reads.len() < max_batch {
                next = receiver.try_recv().ok();
            }
        }
        if !writes.is_empty() {
            let jobs = writes.len();
            commit_batch(&conn, std::mem::take(&mut writes), background.as_deref_mut());
            tracing::trace!(jobs, "SQLite group commit");
            if let Some(checkpointer) = &checkpointer {
                checkpointer.after_commit(&conn);
            }
        }
        if let Some(work) = background.as_mut()
            && work.pending()
            && (run_background || !reads.is_empty() || work.urgent())
        {
            if catch_unwind(AssertUnwindSafe(|| work.run(&conn))).unwrap_or(false) {
                if let Some(checkpointer) = &checkpointer {
                    checkpointer.after_commit(&conn);
                }
            } else {
                // Do not spin on a failing disk; the next round retries.
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        for mut job in reads.drain(..) {
            let tx = WriteTx::new(&conn);
            match catch_unwind(AssertUnwindSafe(|| job.run(&tx))) {
                Ok(Ok(())) => job.succeed(),
                Ok(Err(error)) => job.fail(error),
                Err(_) => job.fail(bug("sqlite.read")),
            }
        }
        if close.is_some() {
            break;
        }
    }
    receiver.close();
    // Jobs that raced with a close are answered, never left hanging.
    while let Ok(command) = receiver.try_recv() {
        match command {
            Command::Write(job) | Command::Read(job) => job.fail(writer_gone("sqlite.write")),
            Command::Close(done) => {
                let _ = done.send(());
            }
            Command::Wake | Command::Nudge => {}
        }
    }
    // The checkpointer closes first, so the writer's connection is the last one to a file: its
    // close checkpoints the whole log and removes it.
    drop(checkpointer);
    if let Err((_, err)) = conn.close() {
        tracing::warn!(error = %err, "closing the SQLite writer connection failed");
    }
    // The background work (which may hold the other writer) goes before the lock, and the lock
    // before the close is answered: once `close` returns, the file can be opened again.
    drop(background);
    drop(lock);
    if let Some(done) = close {
        let _ = done.send(());
    }
}
