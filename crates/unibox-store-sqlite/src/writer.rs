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

use std::cell::RefCell;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};
use tokio::sync::{mpsc, oneshot};
use unibox_core::{Error, ErrorKind, Result};

use crate::error::{storage, writer_gone};

/// A change to the search index, applied when the batch commits.
#[derive(Debug)]
enum SearchChange {
    Remove(i64),
    Add(i64, String),
}

/// The group-commit transaction as a write job sees it: the connection (through `Deref`), the
/// search-index changes the batch will apply before it commits, and what to undo outside SQLite
/// if a job's writes are rolled back.
pub(crate) struct WriteTx<'c> {
    conn: &'c Connection,
    search: RefCell<Vec<SearchChange>>,
    undo: RefCell<Vec<Undo>>,
}

/// Reverts a change a job made outside the database (to memory shared with other threads) when
/// the job's writes are rolled back.
type Undo = Box<dyn FnOnce()>;

/// A position in a transaction's pending changes (see [`WriteTx::mark`]).
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    search: usize,
    undo: usize,
}

impl Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl<'c> WriteTx<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        WriteTx { conn, search: RefCell::new(Vec::new()), undo: RefCell::new(Vec::new()) }
    }

    /// Makes `text` the searchable text of message `seq` (none: not searchable).
    pub(crate) fn set_search_text(&self, seq: i64, text: Option<&str>) {
        let mut search = self.search.borrow_mut();
        search.push(SearchChange::Remove(seq));
        if let Some(text) = text.filter(|text| !text.is_empty()) {
            search.push(SearchChange::Add(seq, text.to_owned()));
        }
    }

    /// Indexes the text of a message inserted in this transaction.
    pub(crate) fn add_search_text(&self, seq: i64, text: Option<&str>) {
        if let Some(text) = text.filter(|text| !text.is_empty()) {
            self.search.borrow_mut().push(SearchChange::Add(seq, text.to_owned()));
        }
    }

    /// Registers `undo`, run if the writes made so far in the current job (or the whole batch)
    /// are rolled back, and dropped unrun once they commit.
    pub(crate) fn on_rollback(&self, undo: impl FnOnce() + 'static) {
        self.undo.borrow_mut().push(Box::new(undo));
    }

    /// The position to roll the pending changes back to with [`rollback_to`](Self::rollback_to).
    pub(crate) fn mark(&self) -> Mark {
        Mark { search: self.search.borrow().len(), undo: self.undo.borrow().len() }
    }

    /// Forgets the search changes of a job that was rolled back and undoes what it changed
    /// outside the database, newest first.
    pub(crate) fn rollback_to(&self, mark: Mark) {
        self.search.borrow_mut().truncate(mark.search);
        let undone = self.undo.borrow_mut().split_off(mark.undo);
        undone.into_iter().rev().for_each(|undo| undo());
    }

    /// Rolls every pending change back: the transaction did not commit.
    pub(crate) fn rollback_all(&self) {
        self.rollback_to(Mark { search: 0, undo: 0 });
    }

    /// The transaction committed: nothing is to be undone any more.
    pub(crate) fn committed(&self) {
        self.undo.borrow_mut().clear();
    }

    /// Applies the batch's search-index changes, in order.
    pub(crate) fn apply_search(&self) -> rusqlite::Result<()> {
        self.apply_search_sharing(|| {})
    }

    /// [`apply_search`](Self::apply_search), calling `between` after each change (the
    /// journal's applier yields the core there now and then).
    pub(crate) fn apply_search_sharing(&self, mut between: impl FnMut()) -> rusqlite::Result<()> {
        for change in self.search.borrow_mut().drain(..) {
            match change {
                SearchChange::Remove(seq) => {
                    self.conn.prepare_cached("DELETE FROM message_search WHERE rowid = ?1")?.execute([seq])?;
                }
                SearchChange::Add(seq, text) => {
                    self.conn
                        .prepare_cached("INSERT INTO message_search (rowid, text) VALUES (?1, ?2)")?
                        .execute(rusqlite::params![seq, text])?;
                }
            }
            between();
        }
        Ok(())
    }
}

/// A unit of work for the writer thread.
trait Job: Send {
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

enum Command {
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
                Ok(WriterSetup { conn, checkpointer, background, extra }) => {
                    if ready_tx.send(Ok(extra)).is_ok() {
                        let checkpointer = checkpointer.and_then(|checkpointer| {
                            let started = Checkpointer::start(checkpointer);
                            if started.is_none() {
                                // No thread: the writer checkpoints itself, as SQLite does by default.
                                let _ = conn.pragma_update(None, "wal_autocheckpoint", 1000);
                            }
                            started
                        });
                        run(conn, receiver, max_batch, checkpointer, background);
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

/// Work a writer thread does between batches of jobs, in transactions of its own: applying
/// the inbound journal (the inbox's writer) or pruning it (the journal's writer).
pub(crate) trait Background: Send {
    /// Called after each commit of a batch of jobs, outside any transaction, before the jobs'
    /// callers hear of it.
    fn after_commit(&mut self, conn: &Connection);
    /// Someone asked for the work to be done now ([`Writer::wake`]).
    fn wake(&mut self) {}
    /// Whether there is work; while there is, the writer does not block waiting for jobs.
    fn pending(&self) -> bool;
    /// Whether pending work should run now when no job waits (default: always); otherwise the
    /// writer looks again every [`BACKGROUND_POLL`].
    fn ready(&self) -> bool {
        true
    }
    /// Whether the work should run even though jobs wait (a backlog too long to leave).
    fn urgent(&self) -> bool;
    /// Runs one round, committing its own transaction; false if it failed (it is retried).
    fn run(&mut self, conn: &Connection) -> bool;
}

/// How often a writer with pending background work that is not [`ready`](Background::ready)
/// looks again.
const BACKGROUND_POLL: std::time::Duration = std::time::Duration::from_millis(1);

/// The writer thread's loop: runs until every sender is gone or a close is requested.
///
/// Between batches of jobs it runs the [`Background`] work: when no job waits, when woken, or
/// when the work is urgent.
fn run(
    conn: Connection,
    mut receiver: mpsc::Receiver<Command>,
    max_batch: usize,
    checkpointer: Option<Checkpointer>,
    mut background: Option<Box<dyn Background>>,
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
    if let Some(done) = close {
        let _ = done.send(());
    }
}

/// Runs a batch of write jobs in one transaction, each in its own savepoint, and commits once.
///
/// `background` hears of the commit before any job's caller does. A job that fails is answered
/// after the transaction ends too: its error may come from what an earlier job of the batch
/// wrote (a conflict), and its caller must be able to read that once it has the answer.
fn commit_batch(conn: &Connection, jobs: Vec<Box<dyn Job>>, mut background: Option<&mut (dyn Background + 'static)>) {
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
            let error = || {
                Error::new(ErrorKind::Storage, "the SQLite transaction was aborted by an error of another write")
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

/// The background checkpointer: a thread with its own connection that runs `PRAGMA
/// wal_checkpoint(PASSIVE)` after the writer reports commits. Notifications coalesce, so a busy
/// writer gets one checkpoint per round, not one per commit.
///
/// A `PASSIVE` checkpoint never blocks the writer, but the log only starts over from its
/// beginning once it was copied completely while no write was in progress, which under constant
/// writes never happens by itself. So when a checkpoint leaves a long log, the checkpointer asks
/// the writer to restart it: between two batches the writer runs a `RESTART` checkpoint, which
/// only has the few frames written since the last `PASSIVE` one left to copy.
struct Checkpointer {
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
    fn start(conn: Connection) -> Option<Self> {
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
    fn after_commit(&self, writer: &Connection) {
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
        let error = Error::new(ErrorKind::Storage, "the SQLite transaction could not be committed")
            .with_operation("sqlite.commit")
            .with_context("cause", &self.detail);
        if temporary { error.temporary() } else { error.permanent() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPACITY: usize = 128;

    async fn writer(path: Option<&std::path::Path>) -> Writer {
        let path = path.map(|p| p.to_path_buf());
        let (writer, ()) = Writer::start(CAPACITY, CAPACITY, move || {
            let conn = match path {
                Some(path) => Connection::open(path),
                None => Connection::open_in_memory(),
            }
            .map_err(|err| storage("test.open", err))?;
            conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE numbers (n INTEGER NOT NULL)")
                .map_err(|err| storage("test.open", err))?;
            Ok(WriterSetup { conn, checkpointer: None, background: None, extra: () })
        })
        .await
        .unwrap();
        writer
    }

    fn insert(conn: &Connection, n: i64) -> Result<i64> {
        conn.execute("INSERT INTO numbers (n) VALUES (?1)", [n]).map_err(|err| storage("test.insert", err))?;
        Ok(n)
    }

    async fn numbers(writer: &Writer) -> Vec<i64> {
        writer
            .read("test.read", |conn| {
                let mut statement = conn.prepare("SELECT n FROM numbers ORDER BY n").map_err(|e| storage("test", e))?;
                let rows = statement.query_map([], |row| row.get(0)).map_err(|e| storage("test", e))?;
                rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(|e| storage("test", e))
            })
            .await
            .unwrap()
    }

    /// Holds the writer inside a job until the returned sender is dropped or sent to; returns
    /// once the job runs, so everything submitted afterwards waits in the queue.
    async fn blocker(writer: &Writer) -> (std_mpsc::Sender<()>, tokio::task::JoinHandle<Result<i64>>) {
        let (release, wait) = std_mpsc::channel::<()>();
        let (started, running) = oneshot::channel::<()>();
        let writer = writer.clone();
        let job = tokio::spawn(async move {
            writer
                .write("test.block", move |conn| {
                    let _ = started.send(());
                    let _ = wait.recv();
                    insert(conn, 0)
                })
                .await
        });
        running.await.unwrap();
        (release, job)
    }

    fn spawn_insert(writer: &Writer, n: i64, fail: bool) -> tokio::task::JoinHandle<Result<i64>> {
        let writer = writer.clone();
        tokio::spawn(async move {
            writer
                .write("test.job", move |conn| {
                    insert(conn, n)?;
                    if fail {
                        return Err(Error::new(ErrorKind::InvalidInput, "this job refuses"));
                    }
                    Ok(n)
                })
                .await
        })
    }

    async fn queued(writer: &Writer, count: usize) {
        while CAPACITY - writer.sender.capacity() < count {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_s_undo_runs_and_committed_jobs_undos_never_do() {
        use std::sync::Mutex;
        let writer = writer(None).await;
        let undone: Arc<Mutex<Vec<i64>>> = Arc::default();
        let (release, first) = blocker(&writer).await;
        let jobs: Vec<_> = (1..=3)
            .map(|n| {
                let (writer, undone) = (writer.clone(), Arc::clone(&undone));
                tokio::spawn(async move {
                    writer
                        .write("test.job", move |tx| {
                            insert(tx, n)?;
                            tx.on_rollback(move || undone.lock().unwrap().push(n));
                            if n == 2 {
                                return Err(Error::new(ErrorKind::InvalidInput, "this job refuses"));
                            }
                            Ok(n)
                        })
                        .await
                })
            })
            .collect();
        queued(&writer, 3).await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for job in jobs {
            let _ = job.await.unwrap();
        }
        assert_eq!(*undone.lock().unwrap(), vec![2], "only the refused job's change outside SQLite is undone");
    }

    #[tokio::test]
    async fn a_failing_job_is_rolled_back_alone() {
        let writer = writer(None).await;
        let (release, first) = blocker(&writer).await;
        let jobs: Vec<_> = (1..=5).map(|n| spawn_insert(&writer, n, n == 3)).collect();
        queued(&writer, 5).await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 0);
        for (index, job) in jobs.into_iter().enumerate() {
            let result = job.await.unwrap();
            if index + 1 == 3 {
                assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
            } else {
                assert!(result.is_ok());
            }
        }
        assert_eq!(numbers(&writer).await, vec![0, 1, 2, 4, 5], "only job 3's insert was rolled back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_rolled_back_and_the_writer_keeps_running() {
        let writer = writer(None).await;
        let result = writer
            .write("test.panic", |conn| -> Result<()> {
                insert(conn, 7)?;
                panic!("a bug in a job");
            })
            .await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Unexpected);
        assert_eq!(writer.write("test.after", |conn| insert(conn, 8)).await.unwrap(), 8);
        assert_eq!(numbers(&writer).await, vec![8]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_queued_together_share_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(Some(&dir.path().join("numbers.db"))).await;
        let (release, first) = blocker(&writer).await;
        let jobs: Vec<_> = (1..=50).map(|n| spawn_insert(&writer, n, false)).collect();
        queued(&writer, 50).await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        // Every commit appends at least one frame to the write-ahead log: 51 separate commits
        // would leave 51 or more. The blocked job and the batch behind it leave a few.
        let frames: i64 = writer
            .read("test.frames", |conn| {
                conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)).map_err(|e| storage("test", e))
            })
            .await
            .unwrap();
        assert!((1..10).contains(&frames), "{frames} WAL frames for two group commits");
        assert_eq!(numbers(&writer).await.len(), 51);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_job_is_answered_after_the_jobs_before_it_are_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("numbers.db");
        let writer = writer(Some(&path)).await;
        let (release, first) = blocker(&writer).await;
        // One batch: a job that stores 1, then one that refuses (as a conflict with what the
        // first wrote would).
        let stored = spawn_insert(&writer, 1, false);
        queued(&writer, 1).await;
        let refused = spawn_insert(&writer, 2, true);
        queued(&writer, 2).await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(refused.await.unwrap().unwrap_err().kind(), ErrorKind::InvalidInput);
        // Another connection (another reader, another process) already sees what the batch
        // committed before the refusal, and not what the refused job wrote.
        let other = Connection::open(&path).unwrap();
        let seen: Vec<i64> = other
            .prepare("SELECT n FROM numbers ORDER BY n")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(seen, vec![0, 1]);
        assert_eq!(stored.await.unwrap().unwrap(), 1);
    }

    #[tokio::test]
    async fn writes_after_close_fail_cleanly() {
        let writer = writer(None).await;
        writer.close().await;
        let err = writer.write("test.late", |conn| insert(conn, 1)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Storage);
    }
}
