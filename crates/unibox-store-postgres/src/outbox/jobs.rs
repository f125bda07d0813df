//! Job rows: reading, decoding and writing a job's state.

use tokio_postgres::Row;
use unibox_core::outbox::{Lease, LeaseId, OutboxJob};
use unibox_core::{ChannelAccountId, ConversationId, Error, ErrorKind, MessageId, Result, TenantId, Timestamp};

use crate::codec::parsed;
use crate::error::{PgResultExt, corrupt};
use crate::pool::Tx;

/// The job columns [`decode`] reads, in order.
pub(crate) const JOB_COLUMNS: &str = "message, tenant, conversation, account, state, attempts, due_at, lease_id, \
                                      lease_until, human_agent, last_error, created_at";

/// A job from a row of [`JOB_COLUMNS`].
pub(crate) fn decode(row: &Row, operation: &'static str) -> Result<OutboxJob> {
    let lease = match (row.get::<_, Option<uuid::Uuid>>(7), row.get::<_, Option<i64>>(8)) {
        (Some(id), Some(until)) => {
            Some(Lease { id: LeaseId::from_uuid(id), until: Timestamp::from_unix_millis(until) })
        }
        _ => None,
    };
    Ok(OutboxJob {
        message: MessageId::from_uuid(row.get(0)),
        tenant: parsed(row.get(1), operation, "job tenant", |s| s.parse::<TenantId>())?,
        conversation: ConversationId::from_uuid(row.get(2)),
        account: ChannelAccountId::from_uuid(row.get(3)),
        state: parsed(row.get(4), operation, "job state", |s| s.parse())?,
        attempts: u32::try_from(row.get::<_, i64>(5)).map_err(|_| corrupt(operation, "job attempts"))?,
        due_at: Timestamp::from_unix_millis(row.get(6)),
        lease,
        human_agent: row.get(9),
        last_error: row.get(10),
        created_at: Timestamp::from_unix_millis(row.get(11)),
    })
}

/// The message's job, its row locked until the transaction ends (an attempt's steps on one job
/// run one after the other, whichever process makes them). `NotFound` without one.
pub(crate) async fn load(
    tx: &Tx<'_>,
    tenant: &TenantId,
    message: MessageId,
    operation: &'static str,
) -> Result<OutboxJob> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM outbox WHERE tenant = $1 AND message = $2 FOR UPDATE");
    let statement = tx.prepare_cached(&sql).await.during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant.as_str(), &message.as_uuid()]).await.during(operation)?;
    match row {
        Some(row) => decode(&row, operation),
        None => Err(Error::new(ErrorKind::NotFound, "the message has no send job").with_operation(operation)),
    }
}

/// Writes a job's state, attempts, due time, lease and last error.
pub(crate) async fn save(tx: &Tx<'_>, job: &OutboxJob, operation: &'static str) -> Result<()> {
    let statement = tx
        .prepare_cached(
            "UPDATE outbox SET state = $3, attempts = $4, due_at = $5, lease_id = $6, lease_until = $7, \
               last_error = $8 WHERE tenant = $1 AND message = $2",
        )
        .await
        .during(operation)?;
    tx.execute(
        &statement,
        &[
            &job.tenant.as_str(),
            &job.message.as_uuid(),
            &job.state.as_str(),
            &i64::from(job.attempts),
            &job.due_at.as_unix_millis(),
            &job.lease.map(|lease| lease.id.as_uuid()),
            &job.lease.map(|lease| lease.until.as_unix_millis()),
            &job.last_error,
        ],
    )
    .await
    .during(operation)?;
    Ok(())
}
