//! The steps of an attempt, and a person's resolution of an unknown one, inside the caller's
//! transaction (each locks the job's row first).

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::outbox::{AttemptOutcome, JobState, LeaseId, OutboxJob, Resolution, not_held, not_unknown};
use unibox_core::{ChannelAccountId, DeliveryStatus, Message, MessageId, Result, TenantId, Timestamp};

use crate::codec::to_json;
use crate::error::{PgResultExt, corrupt};
use crate::outbound::{load_message, update_delivery};
use crate::pool::Tx;
use crate::sealing::Seal;

use super::jobs::{load, save};

/// Starts an attempt: only the lease holder of a job not yet done; the message becomes
/// `Sending` and the attempt is counted before the send is made.
pub(crate) async fn begin(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    message: MessageId,
    lease: LeaseId,
    log: &mut Vec<Change>,
) -> Result<OutboxJob> {
    const OP: &str = "postgres.outbox.begin_attempt";
    let mut job = load(tx, tenant, message, OP).await?;
    if !job.is_held_by(lease) || job.state.is_final() {
        return Err(not_held(OP));
    }
    update_delivery(tx, tenant, seal, message, &DeliveryStatus::Sending, None, "sending", log).await?;
    job.state = JobState::InFlight;
    job.attempts = job.attempts.saturating_add(1);
    save(tx, &job, OP).await?;
    Ok(job)
}

fn delivery_change(tenant: &TenantId, job: &OutboxJob, at: Timestamp, detail: &str) -> Change {
    Change::new(tenant.clone(), at, ChangeKind::DeliveryChanged)
        .conversation(job.conversation)
        .message(job.message)
        .detail(detail)
}

/// Ends an attempt with its outcome. A `Sent` outcome is taken even from a worker that lost
/// its lease (the platform accepted the message: that is the truth); any other needs the lease.
pub(crate) async fn finish(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    message: MessageId,
    lease: LeaseId,
    outcome: AttemptOutcome,
    log: &mut Vec<Change>,
) -> Result<(Message, OutboxJob)> {
    const OP: &str = "postgres.outbox.finish_attempt";
    let mut job = load(tx, tenant, message, OP).await?;
    let sent = matches!(outcome, AttemptOutcome::Sent { .. });
    if !sent && (!job.is_held_by(lease) || job.state.is_final()) {
        return Err(not_held(OP));
    }
    let updated = match &outcome {
        AttemptOutcome::Sent { platform_message_id } => {
            let status = DeliveryStatus::Sent;
            update_delivery(tx, tenant, seal, message, &status, Some(platform_message_id), "sent", log).await?
        }
        AttemptOutcome::Failed { .. } => {
            let failed = outcome.failed_status().ok_or_else(|| corrupt(OP, "failure outcome"))?;
            update_delivery(tx, tenant, seal, message, &failed, None, "failed", log).await?
        }
        AttemptOutcome::Retry { .. } => {
            requeue(tx, tenant, message, OP).await?;
            log.push(delivery_change(tenant, &job, Timestamp::now(), "retrying"));
            load_message(tx, tenant, seal, message, OP).await?
        }
        AttemptOutcome::Unknown { .. } => {
            log.push(delivery_change(tenant, &job, Timestamp::now(), "unknown"));
            load_message(tx, tenant, seal, message, OP).await?
        }
    };
    job.finish(outcome);
    save(tx, &job, OP).await?;
    Ok((updated, job))
}

/// Puts a `Sending` message without a platform id back to `Queued`: only the outbox moves a
/// message between the two, and no receipt applies before the platform id is known, so this
/// cannot undo a platform's answer.
async fn requeue(tx: &Tx<'_>, tenant: &TenantId, message: MessageId, operation: &'static str) -> Result<()> {
    tx.execute(
        "UPDATE messages SET delivery = $3 WHERE tenant = $1 AND id = $2 AND delivery = $4 \
         AND platform_message_id IS NULL",
        &[
            &tenant.as_str(),
            &message.as_uuid(),
            &to_json(&DeliveryStatus::Queued, "delivery status")?,
            &to_json(&DeliveryStatus::Sending, "delivery status")?,
        ],
    )
    .await
    .during(operation)?;
    Ok(())
}

/// A person's answer to a send whose outcome is unknown.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn resolve(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    message: MessageId,
    resolution: Resolution,
    now: Timestamp,
    log: &mut Vec<Change>,
) -> Result<(Message, OutboxJob)> {
    const OP: &str = "postgres.outbox.resolve_unknown";
    let mut job = load(tx, tenant, message, OP).await?;
    if job.state != JobState::Unknown {
        return Err(not_unknown(OP));
    }
    let (updated, state, last_error) = match resolution {
        Resolution::Delivered { platform_message_id } => {
            let status = DeliveryStatus::Sent;
            let sent =
                update_delivery(tx, tenant, seal, message, &status, Some(&platform_message_id), "sent", log).await?;
            (sent, JobState::Sent, None)
        }
        Resolution::Abandon { reason } => {
            let failed = DeliveryStatus::failed(reason.clone());
            let updated = update_delivery(tx, tenant, seal, message, &failed, None, "failed", log).await?;
            (updated, JobState::Failed, Some(reason))
        }
        Resolution::Resend => {
            requeue(tx, tenant, message, OP).await?;
            log.push(delivery_change(tenant, &job, now, "retrying"));
            (load_message(tx, tenant, seal, message, OP).await?, JobState::Queued, None)
        }
    };
    job.state = state;
    job.lease = None;
    job.due_at = now;
    job.last_error = last_error;
    save(tx, &job, OP).await?;
    Ok((updated, job))
}

/// Fails every queued job of `account`, and its message, with `outcome` (a failure).
pub(crate) async fn fail_queued_of_account(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    account: ChannelAccountId,
    outcome: &AttemptOutcome,
    log: &mut Vec<Change>,
) -> Result<u64> {
    const OP: &str = "postgres.outbox.fail_queued_of_account";
    let failed = outcome.failed_status().ok_or_else(|| corrupt(OP, "failure outcome"))?;
    let statement = tx
        .prepare_cached(
            "SELECT message FROM outbox WHERE tenant = $1 AND state = 'queued' AND account = $2 ORDER BY message",
        )
        .await
        .during(OP)?;
    let messages: Vec<uuid::Uuid> = tx
        .query(&statement, &[&tenant.as_str(), &account.as_uuid()])
        .await
        .during(OP)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut ended = 0;
    for message in messages {
        let message = MessageId::from_uuid(message);
        let mut job = load(tx, tenant, message, OP).await?;
        if job.state != JobState::Queued {
            // A worker took it since the listing; its attempt decides.
            continue;
        }
        update_delivery(tx, tenant, seal, message, &failed, None, "failed", log).await?;
        job.finish(outcome.clone());
        save(tx, &job, OP).await?;
        ended += 1;
    }
    Ok(ended)
}
