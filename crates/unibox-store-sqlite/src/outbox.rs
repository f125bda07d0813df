//! The outbox: one delivery job per outbound message, written with the message, claimed by
//! workers under leases. Claims run on the writer thread, so two claims never overlap.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::changes::{Change, ChangeKind};
use unibox_core::inbox::OutboundDraft;
use unibox_core::outbox::{
    AttemptOutcome, EnqueueOptions, JobState, Lease, LeaseId, Outbox, OutboxJob, Resolution, check_failure,
    check_limit, not_held, not_unknown,
};
use unibox_core::{
    ChannelAccountId, ConversationId, DeliveryStatus, Error, ErrorKind, Message, MessageId, Result, TenantId, Timestamp,
};

use crate::SqliteInbox;
use crate::changes::append;
use crate::codec::to_json;
use crate::error::{SqlResultExt, corrupt};
use crate::outbound::{PreparedDraft, record_outbound, update_delivery};
use crate::queries::not_found;
use crate::rows;
use crate::writer::WriteTx;

/// The job columns [`job_from_row`] reads.
macro_rules! job_columns {
    () => {
        "message, tenant, conversation, account, state, attempts, due_at, lease_id, lease_until, human_agent, \
         last_error, created_at"
    };
}

/// A job as stored; the tenant and state are checked by [`decode`].
struct JobRow {
    message: [u8; 16],
    tenant: String,
    conversation: [u8; 16],
    account: [u8; 16],
    state: String,
    attempts: i64,
    due_at: i64,
    lease_id: Option<[u8; 16]>,
    lease_until: Option<i64>,
    human_agent: bool,
    last_error: Option<String>,
    created_at: i64,
}

fn job_row(row: &Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        message: row.get(0)?,
        tenant: row.get(1)?,
        conversation: row.get(2)?,
        account: row.get(3)?,
        state: row.get(4)?,
        attempts: row.get(5)?,
        due_at: row.get(6)?,
        lease_id: row.get(7)?,
        lease_until: row.get(8)?,
        human_agent: row.get::<_, i64>(9)? != 0,
        last_error: row.get(10)?,
        created_at: row.get(11)?,
    })
}

fn decode(row: JobRow, operation: &'static str) -> Result<OutboxJob> {
    let lease = match (row.lease_id, row.lease_until) {
        (Some(id), Some(until)) => {
            Some(Lease { id: LeaseId::from_bytes(id), until: Timestamp::from_unix_millis(until) })
        }
        _ => None,
    };
    Ok(OutboxJob {
        tenant: row.tenant.parse().map_err(|_| corrupt(operation, "job tenant"))?,
        message: MessageId::from_bytes(row.message),
        conversation: ConversationId::from_bytes(row.conversation),
        account: ChannelAccountId::from_bytes(row.account),
        state: row.state.parse().map_err(|_| corrupt(operation, "job state"))?,
        attempts: u32::try_from(row.attempts).map_err(|_| corrupt(operation, "job attempts"))?,
        due_at: Timestamp::from_unix_millis(row.due_at),
        lease,
        human_agent: row.human_agent,
        last_error: row.last_error,
        created_at: Timestamp::from_unix_millis(row.created_at),
    })
}

fn load(conn: &Connection, tenant: &TenantId, message: MessageId, operation: &'static str) -> Result<OutboxJob> {
    let row = conn
        .prepare_cached(concat!("SELECT ", job_columns!(), " FROM outbox WHERE tenant = ?1 AND message = ?2"))
        .during(operation)?
        .query_row(params![tenant.as_str(), message.as_bytes()], job_row)
        .optional()
        .during(operation)?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, "the message has no send job").with_operation(operation))?;
    decode(row, operation)
}

fn enqueue(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    prepared: PreparedDraft,
    options: EnqueueOptions,
    now: Timestamp,
) -> Result<(Message, OutboxJob)> {
    const OP: &str = "sqlite.outbox.enqueue";
    let message = record_outbound(tx, tenant, prepared)?;
    let job = OutboxJob::new(tenant.clone(), &message, &options, now);
    tx.prepare_cached(
        "INSERT INTO outbox (message, tenant, conversation, account, state, attempts, due_at, lease_id, lease_until, \
           human_agent, last_error, created_at) \
         VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, ?7, ?8, NULL, ?5) ON CONFLICT (message) DO NOTHING",
    )
    .during(OP)?
    .execute(params![
        message.id.as_bytes(),
        tenant.as_str(),
        message.conversation.as_bytes(),
        message.account.as_bytes(),
        now.as_unix_millis(),
        job.lease.map(|lease| *lease.id.as_bytes()),
        job.lease.map(|lease| lease.until.as_unix_millis()),
        i64::from(job.human_agent),
    ])
    .during(OP)?;
    let job = load(tx, tenant, message.id, OP)?;
    Ok((message, job))
}

fn claim(tx: &WriteTx<'_>, now: Timestamp, lease: Lease, limit: usize) -> Result<Vec<OutboxJob>> {
    const OP: &str = "sqlite.outbox.claim";
    let now = now.as_unix_millis();
    let mut statement = tx
        .prepare_cached(concat!(
            "UPDATE outbox SET lease_id = ?1, lease_until = ?2 WHERE message IN (",
            "SELECT message FROM outbox WHERE state IN ('queued', 'in_flight') AND due_at <= ?3 ",
            "AND (lease_until IS NULL OR lease_until <= ?3) ORDER BY due_at, message LIMIT ?4) ",
            "RETURNING ",
            job_columns!()
        ))
        .during(OP)?;
    let rows = statement
        .query_map(params![lease.id.as_bytes(), lease.until.as_unix_millis(), now, limit as i64], job_row)
        .during(OP)?;
    let mut jobs = Vec::new();
    for row in rows {
        jobs.push(decode(row.during(OP)?, OP)?);
    }
    jobs.sort_by_key(|job| (job.due_at, job.message));
    Ok(jobs)
}

fn begin_attempt(tx: &WriteTx<'_>, tenant: &TenantId, message: MessageId, lease: LeaseId) -> Result<OutboxJob> {
    const OP: &str = "sqlite.outbox.begin_attempt";
    let mut job = load(tx, tenant, message, OP)?;
    if !job.is_held_by(lease) || job.state.is_final() {
        return Err(not_held(OP));
    }
    update_delivery(tx, tenant, message, &DeliveryStatus::Sending, None, "sending")?;
    job.state = JobState::InFlight;
    job.attempts = job.attempts.saturating_add(1);
    tx.prepare_cached("UPDATE outbox SET state = 'in_flight', attempts = ?3 WHERE tenant = ?1 AND message = ?2")
        .during(OP)?
        .execute(params![tenant.as_str(), message.as_bytes(), job.attempts])
        .during(OP)?;
    Ok(job)
}

fn finish_attempt(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    message: MessageId,
    lease: LeaseId,
    outcome: AttemptOutcome,
) -> Result<(Message, OutboxJob)> {
    const OP: &str = "sqlite.outbox.finish_attempt";
    let mut job = load(tx, tenant, message, OP)?;
    let sent = matches!(outcome, AttemptOutcome::Sent { .. });
    if !sent && (!job.is_held_by(lease) || job.state.is_final()) {
        return Err(not_held(OP));
    }
    let log = |detail: &str| {
        append(
            tx,
            &Change::new(tenant.clone(), Timestamp::now(), ChangeKind::DeliveryChanged)
                .conversation(job.conversation)
                .message(message)
                .detail(detail),
        )
    };
    let updated = match &outcome {
        AttemptOutcome::Sent { platform_message_id } => {
            update_delivery(tx, tenant, message, &DeliveryStatus::Sent, Some(platform_message_id), "sent")?
        }
        AttemptOutcome::Failed { .. } => {
            let failed = outcome.failed_status().unwrap_or_else(|| unreachable!("a failed outcome"));
            update_delivery(tx, tenant, message, &failed, None, "failed")?
        }
        AttemptOutcome::Retry { .. } => {
            requeue(tx, tenant, message, OP)?;
            log("retrying")?;
            rows::message(tx, tenant, message, OP)?.ok_or_else(|| not_found("message", OP))?
        }
        AttemptOutcome::Unknown { .. } => {
            log("unknown")?;
            rows::message(tx, tenant, message, OP)?.ok_or_else(|| not_found("message", OP))?
        }
    };
    job.finish(outcome);
    tx.prepare_cached(
        "UPDATE outbox SET state = ?3, due_at = ?4, lease_id = NULL, lease_until = NULL, last_error = ?5 \
         WHERE tenant = ?1 AND message = ?2",
    )
    .during(OP)?
    .execute(params![
        tenant.as_str(),
        message.as_bytes(),
        job.state.as_str(),
        job.due_at.as_unix_millis(),
        job.last_error
    ])
    .during(OP)?;
    Ok((updated, job))
}

/// Puts a `Sending` message without a platform id back to `Queued`: only the outbox moves a
/// message between the two, and no receipt applies before the platform id is known, so this
/// cannot undo a platform's answer.
fn requeue(tx: &WriteTx<'_>, tenant: &TenantId, message: MessageId, operation: &'static str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE messages SET delivery = ?3 WHERE tenant = ?1 AND id = ?2 AND delivery = ?4 \
         AND platform_message_id IS NULL",
    )
    .during(operation)?
    .execute(params![
        tenant.as_str(),
        message.as_bytes(),
        to_json(&DeliveryStatus::Queued, "delivery status")?,
        to_json(&DeliveryStatus::Sending, "delivery status")?,
    ])
    .during(operation)?;
    Ok(())
}

fn resolve_unknown(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    message: MessageId,
    resolution: Resolution,
    now: Timestamp,
) -> Result<(Message, OutboxJob)> {
    const OP: &str = "sqlite.outbox.resolve_unknown";
    let mut job = load(tx, tenant, message, OP)?;
    if job.state != JobState::Unknown {
        return Err(not_unknown(OP));
    }
    let (updated, state, last_error) = match resolution {
        Resolution::Delivered { platform_message_id } => {
            let sent = update_delivery(tx, tenant, message, &DeliveryStatus::Sent, Some(&platform_message_id), "sent")?;
            (sent, JobState::Sent, None)
        }
        Resolution::Abandon { reason } => {
            let failed = DeliveryStatus::failed(reason.clone());
            (update_delivery(tx, tenant, message, &failed, None, "failed")?, JobState::Failed, Some(reason))
        }
        Resolution::Resend => {
            requeue(tx, tenant, message, OP)?;
            append(
                tx,
                &Change::new(tenant.clone(), now, ChangeKind::DeliveryChanged)
                    .conversation(job.conversation)
                    .message(message)
                    .detail("retrying"),
            )?;
            let current = rows::message(tx, tenant, message, OP)?.ok_or_else(|| not_found("message", OP))?;
            (current, JobState::Queued, None)
        }
    };
    job.state = state;
    job.lease = None;
    job.due_at = now;
    job.last_error = last_error;
    tx.prepare_cached(
        "UPDATE outbox SET state = ?3, due_at = ?4, lease_id = NULL, lease_until = NULL, last_error = ?5 \
         WHERE tenant = ?1 AND message = ?2",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), message.as_bytes(), job.state.as_str(), now.as_unix_millis(), job.last_error])
    .during(OP)?;
    Ok((updated, job))
}

fn jobs(conn: &Connection, tenant: &TenantId, state: JobState, limit: usize) -> Result<Vec<OutboxJob>> {
    const OP: &str = "sqlite.outbox.jobs";
    let mut statement = conn
        .prepare_cached(concat!(
            "SELECT ",
            job_columns!(),
            " FROM outbox WHERE tenant = ?1 AND state = ?2 ORDER BY created_at, message LIMIT ?3"
        ))
        .during(OP)?;
    let rows = statement.query_map(params![tenant.as_str(), state.as_str(), limit as i64], job_row).during(OP)?;
    let mut jobs = Vec::new();
    for row in rows {
        jobs.push(decode(row.during(OP)?, OP)?);
    }
    Ok(jobs)
}

/// Fails every queued job of `account`, and its message, with `outcome` (a failure).
fn fail_queued_of_account(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    account: ChannelAccountId,
    outcome: &AttemptOutcome,
) -> Result<u64> {
    const OP: &str = "sqlite.outbox.fail_queued_of_account";
    let failed = outcome.failed_status().ok_or_else(|| corrupt(OP, "a failure outcome"))?;
    let messages: Vec<[u8; 16]> = {
        let mut statement = tx
            .prepare_cached(
                "SELECT message FROM outbox WHERE tenant = ?1 AND state = 'queued' AND account = ?2 ORDER BY message",
            )
            .during(OP)?;
        let rows = statement.query_map(params![tenant.as_str(), account.as_bytes()], |row| row.get(0)).during(OP)?;
        rows.collect::<rusqlite::Result<_>>().during(OP)?
    };
    let mut ended = 0;
    for message in messages {
        let message = MessageId::from_bytes(message);
        let mut job = load(tx, tenant, message, OP)?;
        update_delivery(tx, tenant, message, &failed, None, "failed")?;
        job.finish(outcome.clone());
        tx.prepare_cached(
            "UPDATE outbox SET state = ?3, lease_id = NULL, lease_until = NULL, last_error = ?4 \
             WHERE tenant = ?1 AND message = ?2",
        )
        .during(OP)?
        .execute(params![tenant.as_str(), message.as_bytes(), job.state.as_str(), job.last_error])
        .during(OP)?;
        ended += 1;
    }
    Ok(ended)
}

#[async_trait]
impl Outbox for SqliteInbox {
    async fn enqueue(
        &self,
        tenant: &TenantId,
        draft: OutboundDraft,
        options: EnqueueOptions,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)> {
        let tenant = tenant.clone();
        let prepared = PreparedDraft::new(draft)?;
        self.write_sealed("sqlite.outbox.enqueue", &tenant.clone(), move |tx| {
            enqueue(tx, &tenant, prepared, options, now)
        })
        .await
    }

    async fn claim(&self, now: Timestamp, lease: Lease, limit: usize) -> Result<Vec<OutboxJob>> {
        check_limit(limit)?;
        self.writer.write("sqlite.outbox.claim", move |tx| claim(tx, now, lease, limit)).await
    }

    async fn begin_attempt(&self, tenant: &TenantId, message: MessageId, lease: LeaseId) -> Result<OutboxJob> {
        let tenant = tenant.clone();
        self.write_sealed("sqlite.outbox.begin_attempt", &tenant.clone(), move |tx| {
            begin_attempt(tx, &tenant, message, lease)
        })
        .await
    }

    async fn finish_attempt(
        &self,
        tenant: &TenantId,
        message: MessageId,
        lease: LeaseId,
        outcome: AttemptOutcome,
    ) -> Result<(Message, OutboxJob)> {
        let tenant = tenant.clone();
        self.write_sealed("sqlite.outbox.finish_attempt", &tenant.clone(), move |tx| {
            finish_attempt(tx, &tenant, message, lease, outcome)
        })
        .await
    }

    async fn resolve_unknown(
        &self,
        tenant: &TenantId,
        message: MessageId,
        resolution: Resolution,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)> {
        let tenant = tenant.clone();
        self.write_sealed("sqlite.outbox.resolve_unknown", &tenant.clone(), move |tx| {
            resolve_unknown(tx, &tenant, message, resolution, now)
        })
        .await
    }

    async fn job(&self, tenant: &TenantId, message: MessageId) -> Result<OutboxJob> {
        let tenant = tenant.clone();
        self.read("sqlite.outbox.job", move |conn| load(conn, &tenant, message, "sqlite.outbox.job")).await
    }

    async fn jobs(&self, tenant: &TenantId, state: JobState, limit: usize) -> Result<Vec<OutboxJob>> {
        check_limit(limit)?;
        let tenant = tenant.clone();
        self.read("sqlite.outbox.jobs", move |conn| jobs(conn, &tenant, state, limit)).await
    }

    async fn fail_queued_of_account(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        outcome: AttemptOutcome,
    ) -> Result<u64> {
        check_failure(&outcome, "sqlite.outbox.fail_queued_of_account")?;
        let tenant = tenant.clone();
        self.write_sealed("sqlite.outbox.fail_queued_of_account", &tenant.clone(), move |tx| {
            fail_queued_of_account(tx, &tenant, account, &outcome)
        })
        .await
    }
}
