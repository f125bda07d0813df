//! Group appends: audit appends that wait at the same time share one writer job.
//!
//! An append joins the queue of waiting appends; the first to find no job scheduled spawns a
//! task that submits one. When the job runs, inside the writer's group-commit transaction, it
//! takes every append waiting by then and links and inserts them in order; after the commit
//! the task answers each of them. A record that cannot be stored fails alone, as with a job of
//! its own: the job then stores the group again one record at a time, each in a savepoint. A job per append cost the writer thread, per append, a
//! savepoint, a read of the chain's head and a reply that wakes a task; now it pays them once
//! per group, and appends that arrive while the job waits for its turn join it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;
use tokio::sync::oneshot;
use unibox_core::audit::{AuditHash, AuditRecord, ChainedRecord};
use unibox_core::{Error, ErrorKind, Result, Retry, TenantId};

use crate::error::{SqlResultExt, corrupt, writer_gone};
use crate::writer::Writer;

const OP: &str = "sqlite.audit.append";

type Reply = oneshot::Sender<Result<ChainedRecord>>;

/// The appends of one inbox waiting for the writer.
#[derive(Debug, Default)]
pub(crate) struct AuditAppends {
    queue: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<(AuditRecord, Reply)>,
    /// A job is queued for the writer and has not taken `waiting` yet.
    scheduled: bool,
}

impl AuditAppends {
    /// Appends `record` with the others waiting; returns once it is durable.
    pub(crate) async fn append(self: &Arc<Self>, writer: &Writer, record: AuditRecord) -> Result<ChainedRecord> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "SqliteInbox audit appends run on tokio; call them inside a tokio runtime",
            )
            .with_operation(OP)
        })?;
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut queue = self.lock();
            queue.waiting.push((record, reply));
            !std::mem::replace(&mut queue.scheduled, true)
        };
        if lead {
            // A task of its own: the job must be submitted and answered even if this caller
            // stops waiting.
            runtime.spawn(Arc::clone(self).submit(writer.clone()));
        }
        answer.await.map_err(|_| writer_gone(OP))?
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes every waiting append; the next one schedules a new job.
    fn take(&self) -> Vec<(AuditRecord, Reply)> {
        let mut queue = self.lock();
        queue.scheduled = false;
        std::mem::take(&mut queue.waiting)
    }

    /// Runs one job for the appends waiting when it starts, then answers them.
    async fn submit(self: Arc<Self>, writer: Writer) {
        // The replies of the appends the job took (`None` until it runs).
        let taken: Arc<Mutex<Option<Vec<Reply>>>> = Arc::default();
        let (appends, slot) = (Arc::clone(&self), Arc::clone(&taken));
        let result = writer
            .write(OP, move |conn| {
                let (records, replies): (Vec<AuditRecord>, Vec<Reply>) = appends.take().into_iter().unzip();
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(replies);
                append_all(conn, records)
            })
            .await;
        let taken = taken.lock().unwrap_or_else(PoisonError::into_inner).take();
        // The job did not run (the writer is gone): the waiting appends are still queued.
        let replies = taken.unwrap_or_else(|| self.take().into_iter().map(|(_, reply)| reply).collect());
        match result {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(copy(&error)));
                }
            }
        }
    }
}

/// Links and inserts `records` in order, reading each tenant's head once. One record that
/// cannot be stored fails alone: the group is rolled back and stored again one record at a time.
fn append_all(conn: &Connection, records: Vec<AuditRecord>) -> Result<Vec<Result<ChainedRecord>>> {
    let mut heads = Heads::default();
    let mut done = Vec::with_capacity(records.len());
    let mut records = records.into_iter();
    execute(conn, "SAVEPOINT audit_group")?;
    for record in records.by_ref() {
        match append_one(conn, &mut heads, record) {
            Ok(chained) => done.push(chained),
            Err(failed) => {
                execute(conn, "ROLLBACK TO audit_group")?;
                execute(conn, "RELEASE audit_group")?;
                let again = done.into_iter().map(|chained| chained.record).chain([failed.record]).chain(records);
                return one_by_one(conn, again);
            }
        }
    }
    execute(conn, "RELEASE audit_group")?;
    Ok(done.into_iter().map(Ok).collect())
}

fn one_by_one(conn: &Connection, records: impl Iterator<Item = AuditRecord>) -> Result<Vec<Result<ChainedRecord>>> {
    let mut heads = Heads::default();
    let mut results = Vec::new();
    for record in records {
        execute(conn, "SAVEPOINT audit_one")?;
        match append_one(conn, &mut heads, record) {
            Ok(chained) => results.push(Ok(chained)),
            Err(failed) => {
                execute(conn, "ROLLBACK TO audit_one")?;
                results.push(Err(failed.error));
            }
        }
        execute(conn, "RELEASE audit_one")?;
    }
    Ok(results)
}

/// The heads of the chains a job appended to, as it left them.
#[derive(Default)]
struct Heads(Vec<(TenantId, Option<(u64, AuditHash)>)>);

/// A record [`append_one`] could not store, given back with the reason.
struct NotStored {
    error: Error,
    record: AuditRecord,
}

/// Links `record` after its tenant's head and inserts it; on failure the record comes back.
fn append_one(
    conn: &Connection,
    heads: &mut Heads,
    record: AuditRecord,
) -> std::result::Result<ChainedRecord, Box<NotStored>> {
    let position = match heads.0.iter().position(|(tenant, _)| tenant == &record.tenant) {
        Some(position) => position,
        None => match super::head(conn, &record.tenant, OP) {
            Ok(head) => {
                heads.0.push((record.tenant.clone(), head));
                heads.0.len() - 1
            }
            Err(error) => return Err(Box::new(NotStored { error, record })),
        },
    };
    let chained = ChainedRecord::link(heads.0[position].1, record);
    let stored = super::insert(conn, &chained, OP).and_then(|()| {
        if !chained.seq.is_multiple_of(super::INDEX_BLOCK) {
            return Ok(());
        }
        let seq = i64::try_from(chained.seq).map_err(|_| corrupt(OP, "audit seq"))?;
        super::index_block(conn, &chained.record.tenant, seq, OP)
    });
    match stored {
        Ok(()) => {
            heads.0[position].1 = Some((chained.seq, chained.hash));
            Ok(chained)
        }
        Err(error) => Err(Box::new(NotStored { error, record: chained.record })),
    }
}

fn execute(conn: &Connection, sql: &str) -> Result<()> {
    crate::writer::execute(conn, sql).during(OP)
}

/// The job's error for each append of the group (errors are not `Clone`).
fn copy(error: &Error) -> Error {
    let copy = Error::new(error.kind(), error.message().to_owned()).with_operation(OP).with_context("cause", error);
    match error.retry() {
        Retry::Permanent => copy.permanent(),
        Retry::Temporary { after: Some(after) } => copy.with_retry_after(after),
        Retry::Temporary { after: None } => copy.temporary(),
        Retry::Persistent => copy.persistent(),
    }
}

#[cfg(test)]
mod tests {
    use unibox_core::audit::{AuditLog, AuditOutcome, AuditRecord};
    use unibox_core::{Actor, ErrorKind, Timestamp};

    use crate::SqliteInbox;

    /// Once the writer is gone, appends fail at once instead of waiting forever.
    #[tokio::test]
    async fn appends_fail_once_the_writer_is_gone() {
        let inbox = SqliteInbox::open_in_memory().await.unwrap();
        let actor = Actor::automation("acme".parse().unwrap(), "auto-reply");
        let record = || {
            AuditRecord::new(
                &actor,
                "auto_reply.triggered",
                "conversation:1",
                Timestamp::UNIX_EPOCH,
                AuditOutcome::Success,
            )
        };
        assert_eq!(inbox.append(record()).await.unwrap().seq, 1);
        inbox.writer.close().await;
        for _ in 0..2 {
            assert_eq!(inbox.append(record()).await.unwrap_err().kind(), ErrorKind::Storage);
        }
    }
}
