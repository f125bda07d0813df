//! [`Outbox`] for [`MemoryInbox`]: jobs live beside the messages, under the same lock, so a
//! message and its job are recorded atomically.

use async_trait::async_trait;

use super::MemoryInbox;
use crate::changes::{Change, ChangeKind};
use crate::inbox::OutboundDraft;
use crate::outbox::{
    AttemptOutcome, EnqueueOptions, JobState, Lease, LeaseId, Outbox, OutboxJob, Resolution, check_failure,
    check_limit, not_held, not_unknown,
};
use crate::{ChannelAccountId, DeliveryStatus, Error, ErrorKind, Message, MessageId, Result, TenantId, Timestamp};

fn no_job() -> Error {
    Error::new(ErrorKind::NotFound, "the message has no send job")
}

#[async_trait]
impl Outbox for MemoryInbox {
    async fn enqueue(
        &self,
        tenant: &TenantId,
        draft: OutboundDraft,
        options: EnqueueOptions,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)> {
        let mut state = self.state();
        let (message, _) = state.record_outbound_once(tenant, draft)?;
        let job =
            state.jobs.entry(message.id).or_insert_with(|| OutboxJob::new(tenant.clone(), &message, &options, now));
        Ok((message, job.clone()))
    }

    async fn claim(&self, now: Timestamp, lease: Lease, limit: usize) -> Result<Vec<OutboxJob>> {
        check_limit(limit)?;
        let mut state = self.state();
        let mut due: Vec<&mut OutboxJob> = state.jobs.values_mut().filter(|job| job.is_claimable(now)).collect();
        due.sort_by_key(|job| (job.due_at, job.message));
        Ok(due
            .into_iter()
            .take(limit)
            .map(|job| {
                job.lease = Some(lease);
                job.clone()
            })
            .collect())
    }

    async fn begin_attempt(&self, tenant: &TenantId, message: MessageId, lease: LeaseId) -> Result<OutboxJob> {
        const OP: &str = "memory.outbox.begin_attempt";
        let mut state = self.state();
        let job = state.jobs.get(&message).filter(|job| &job.tenant == tenant).ok_or_else(no_job)?;
        if !job.is_held_by(lease) || job.state.is_final() {
            return Err(not_held(OP));
        }
        state.update_delivery(tenant, message, &DeliveryStatus::Sending, None, "sending")?;
        let job = state.jobs.get_mut(&message).ok_or_else(no_job)?;
        job.state = JobState::InFlight;
        job.attempts = job.attempts.saturating_add(1);
        Ok(job.clone())
    }

    async fn finish_attempt(
        &self,
        tenant: &TenantId,
        message: MessageId,
        lease: LeaseId,
        outcome: AttemptOutcome,
    ) -> Result<(Message, OutboxJob)> {
        const OP: &str = "memory.outbox.finish_attempt";
        let mut state = self.state();
        let job = state.jobs.get(&message).filter(|job| &job.tenant == tenant).ok_or_else(no_job)?;
        let sent = matches!(outcome, AttemptOutcome::Sent { .. });
        if !sent && (!job.is_held_by(lease) || job.state.is_final()) {
            return Err(not_held(OP));
        }
        let conversation = job.conversation;
        let updated = match &outcome {
            AttemptOutcome::Sent { platform_message_id } => {
                state.update_delivery(tenant, message, &DeliveryStatus::Sent, Some(platform_message_id), "sent")?
            }
            AttemptOutcome::Failed { .. } => {
                let failed = outcome.failed_status().unwrap_or_else(|| unreachable!("a failed outcome"));
                state.update_delivery(tenant, message, &failed, None, "failed")?
            }
            AttemptOutcome::Retry { .. } => {
                state.requeue(tenant, message)?;
                state.changes.push(
                    Change::new(tenant.clone(), Timestamp::now(), ChangeKind::DeliveryChanged)
                        .conversation(conversation)
                        .message(message)
                        .detail("retrying"),
                );
                state.message_of(tenant, message)?.message.clone()
            }
            AttemptOutcome::Unknown { .. } => {
                state.changes.push(
                    Change::new(tenant.clone(), Timestamp::now(), ChangeKind::DeliveryChanged)
                        .conversation(conversation)
                        .message(message)
                        .detail("unknown"),
                );
                state.message_of(tenant, message)?.message.clone()
            }
        };
        let job = state.jobs.get_mut(&message).ok_or_else(no_job)?;
        job.finish(outcome);
        Ok((updated, job.clone()))
    }

    async fn resolve_unknown(
        &self,
        tenant: &TenantId,
        message: MessageId,
        resolution: Resolution,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)> {
        let mut state = self.state();
        let job = state.jobs.get(&message).filter(|job| &job.tenant == tenant).ok_or_else(no_job)?;
        if job.state != JobState::Unknown {
            return Err(not_unknown("memory.outbox.resolve_unknown"));
        }
        let conversation = job.conversation;
        let (updated, job_state, last_error) = match resolution {
            Resolution::Delivered { platform_message_id } => {
                let sent = state.update_delivery(
                    tenant,
                    message,
                    &DeliveryStatus::Sent,
                    Some(&platform_message_id),
                    "sent",
                )?;
                (sent, JobState::Sent, None)
            }
            Resolution::Abandon { reason } => {
                let failed = DeliveryStatus::failed(reason.clone());
                (state.update_delivery(tenant, message, &failed, None, "failed")?, JobState::Failed, Some(reason))
            }
            Resolution::Resend => {
                state.requeue(tenant, message)?;
                state.changes.push(
                    Change::new(tenant.clone(), now, ChangeKind::DeliveryChanged)
                        .conversation(conversation)
                        .message(message)
                        .detail("retrying"),
                );
                (state.message_of(tenant, message)?.message.clone(), JobState::Queued, None)
            }
        };
        let job = state.jobs.get_mut(&message).ok_or_else(no_job)?;
        job.state = job_state;
        job.lease = None;
        job.due_at = now;
        job.last_error = last_error;
        Ok((updated, job.clone()))
    }

    async fn job(&self, tenant: &TenantId, message: MessageId) -> Result<OutboxJob> {
        self.state().jobs.get(&message).filter(|job| &job.tenant == tenant).cloned().ok_or_else(no_job)
    }

    async fn jobs(&self, tenant: &TenantId, state: JobState, limit: usize) -> Result<Vec<OutboxJob>> {
        check_limit(limit)?;
        let guard = self.state();
        let mut jobs: Vec<OutboxJob> =
            guard.jobs.values().filter(|job| &job.tenant == tenant && job.state == state).cloned().collect();
        jobs.sort_by_key(|job| (job.created_at, job.message));
        jobs.truncate(limit);
        Ok(jobs)
    }

    async fn fail_queued_of_account(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        outcome: AttemptOutcome,
    ) -> Result<u64> {
        check_failure(&outcome, "memory.outbox.fail_queued_of_account")?;
        let failed = outcome.failed_status().unwrap_or_else(|| unreachable!("checked: a failed outcome"));
        let mut state = self.state();
        let mut messages: Vec<MessageId> = state
            .jobs
            .values()
            .filter(|job| &job.tenant == tenant && job.account == account && job.state == JobState::Queued)
            .map(|job| job.message)
            .collect();
        messages.sort();
        for message in &messages {
            state.update_delivery(tenant, *message, &failed, None, "failed")?;
            let job = state.jobs.get_mut(message).ok_or_else(no_job)?;
            job.finish(outcome.clone());
        }
        Ok(messages.len() as u64)
    }
}
