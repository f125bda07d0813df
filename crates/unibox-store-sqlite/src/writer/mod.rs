//! The writer thread and its group commit.
//!
//! One thread owns the only read-write connection. Async callers send it jobs through a
//! bounded channel and wait on a oneshot reply. The thread takes every job that is queued
//! (up to `max_batch`), runs each inside its own `SAVEPOINT` of a single transaction, commits
//! once, and only then replies: one disk flush is shared by every job of the batch, and a
//! caller hears `Ok` only after its change is durable. A job that fails is rolled back to its
//! savepoint alone; the others still commit.
//!
//! Two costs are kept off the per-job path:
//!
//! - **Search index.** FTS5 writes its pending index data out at every savepoint boundary once
//!   the table is part of the transaction, which would turn every job into a tiny index segment
//!   (and a lot of merging). Jobs therefore record their search-index changes in the
//!   [`WriteTx`], and the writer applies them once, after the last savepoint and before the
//!   commit: one index segment per batch.
//! - **Checkpoints.** For a file, the writer's automatic checkpoint is off; a checkpointer thread
//!   with its own connection copies the write-ahead log into the database (`PASSIVE`, so it never
//!   blocks the writer) after the writer reports new commits, at most one every
//!   `CHECKPOINT_SPACING`.
//!
//! The parts: this module (the [`Writer`] handle async code sends jobs through, and the jobs),
//! [`transaction`] (the [`WriteTx`] a job writes through), [`thread`] (the writer thread's loop,
//! which batches jobs and schedules the [`Background`] work between batches), [`group_commit`]
//! (one batch, one transaction, a savepoint per job) and [`checkpointer`] (the thread that
//! copies the write-ahead log into the database).

mod background;
mod checkpointer;
mod group_commit;
#[cfg(test)]
mod tests;
mod thread;
mod transaction;

use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};
use unibox_core::{Error, ErrorKind, Result};

pub(crate) use background::Background;
pub(crate) use group_commit::{bug, execute};
pub(crate) use transaction::WriteTx;

use crate::error::writer_gone;
use checkpointer::Checkpointer;

/// A unit of work for the writer thread.
pub(super) trait Job: Send {
    /// Runs the work, keeping its output for the reply.
    fn run(&mut self, tx: &WriteTx<'_>) -> Result<()>;
    /// Replies with the output (after the commit).
    fn succeed(self: Box<Self>);
    /// Replies with an error.
    fn fail(self: Box<Self>, error: Error);
}

struct TypedJob<T, F> {
    operation: &'static str,
    work: Option<F>,
    output: Option<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&WriteTx<'_>) -> Result<T> + Send,
{
    fn run(&mut self, tx: &WriteTx<'_>) -> Result<()> {
        let work = self
            .work
            .take()
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "a write job ran twice").with_operation(self.operation))?;
        self.output = Some(work(tx)?);
        Ok(())
    }

    fn succeed(self: Box<Self>) {
        let job = *self;
        let result = job.output.ok_or_else(|| {
            Error::new(ErrorKind::Unexpected, "a write job committed without output").with_operation(job.operation)
        });
        // The caller may have stopped waiting (its future was dropped); the work is done anyway.
        let _ = job.reply.send(result);
    }

    fn fail(self: Box<Self>, error: Error) {
        let _ = self.reply.send(Err(error));
    }
}

pub(super) enum Command {
    /// Runs inside the group-commit transaction.
    Write(Box<dyn Job>),
    /// Runs outside any write transaction (reads of an in-memory database).
    Read(Box<dyn Job>),
    /// Finishes the queued jobs, closes the connection, then replies.
    Close(oneshot::Sender<()>),
    /// Runs the background work now: someone waits for it.
    Wake,
    /// Looks at the background work again (there may be some now).
    Nudge,
}

/// The handle async code uses to reach the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    sender: mpsc::Sender<Command>,
}

/// What the writer thread runs with.
pub(crate) struct WriterSetup<R> {
    /// The read-write connection.
    pub(crate) conn: Connection,
    /// A second read-write connection for background checkpoints (files only).
    pub(crate) checkpointer: Option<Connection>,
    /// Work the writer does between batches of jobs (see [`Background`]).
    pub(crate) background: Option<Box<dyn Background>>,
    /// The file's [`StoreLock`](crate::file_lock::StoreLock) (files only), let go once this
    /// thread has closed its connections.
    pub(crate) lock: Option<Arc<crate::file_lock::StoreLock>>,
    /// Handed back to the caller of [`Writer::start`].
    pub(crate) extra: R,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Write(_) => "Write",
            Command::Read(_) => "Read",
            Command::Close(_) => "Close",
            Command::Wake => "Wake",
            Command::Nudge => "Nudge",
        })
    }
}

impl Writer {
    /// Starts the writer thread. `open` runs on the thread and returns the connections plus a
    /// value handed back to the caller (the reader connections); its error is returned here.
    pub(crate) async fn start<R, O>(queue_capacity: usize, max_batch: usize, open: O) -> Result<(Writer, R)>
    where
        R: Send + 'static,
        O: FnOnce() -> Result<WriterSetup<R>> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(queue_capacity);
        let (ready_tx, ready_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("unibox-sqlite-writer".into())
            .spawn(move || match open() {
                Ok(WriterSetup { conn, checkpointer, background, lock, extra }) => {
                    if ready_tx.send(Ok(extra)).is_ok() {
                        let checkpointer = checkpointer.and_then(|checkpointer| {
                            let started = Checkpointer::start(checkpointer);
                            if started.is_none() {
                                // No thread: the writer checkpoints itself, as SQLite does by default.
                                let _ = conn.pragma_update(None, "wal_autocheckpoint", 1000);
                            }
                            started
                        });
                        thread::run(conn, receiver, max_batch, checkpointer, background, lock);
                    }
                }
                Err(error) => {
                    let _ = ready_tx.send(Err(error));
                }
            })
            .map_err(|err| {
                Error::new(ErrorKind::Storage, "could not start the SQLite writer thread")
                    .with_operation("sqlite.open")
                    .with_source(err)
            })?;
        let extra = ready_rx.await.map_err(|_| writer_gone("sqlite.open"))??;
        Ok((Writer { sender }, extra))
    }

    /// Runs `work` in the next group-commit transaction and returns its output once committed.
    pub(crate) async fn write<T, F>(&self, operation: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        self.submit(operation, work, Command::Write).await
    }

    /// Runs `work` on the writer's connection outside a write transaction.
    pub(crate) async fn read<T, F>(&self, operation: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(operation, move |tx: &WriteTx<'_>| work(tx), Command::Read).await
    }

    async fn submit<T, F>(&self, operation: &'static str, work: F, wrap: fn(Box<dyn Job>) -> Command) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob { operation, work: Some(work), output: None, reply };
        self.sender.send(wrap(Box::new(job))).await.map_err(|_| writer_gone(operation))?;
        answer.await.map_err(|_| writer_gone(operation))?
    }

    /// Asks the writer to run its [`Background`] work now instead of when it is idle.
    pub(crate) fn wake(&self) {
        // A full queue: the writer is busy and runs the background work between batches anyway.
        let _ = self.sender.try_send(Command::Wake);
    }

    /// Tells the writer its background work may have something to do now (it may be waiting
    /// for jobs and not looking).
    pub(crate) fn nudge(&self) {
        let _ = self.sender.try_send(Command::Nudge);
    }

    /// Waits until every job queued before this call is done and the connection is closed.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.sender.send(Command::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}
