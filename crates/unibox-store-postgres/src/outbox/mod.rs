//! [`Outbox`] for [`PostgresInbox`]: one delivery job per outbound message, written in the
//! message's transaction, claimed by workers of any process under leases.
//!
//! - A claim leases due jobs through the owner's `unibox_outbox_claim` (it crosses tenants),
//!   skipping rows another claim holds (`FOR UPDATE SKIP LOCKED`): two claimers never lease the
//!   same job. A job whose lease expired (its worker died) is due again, in flight.
//! - Every step of an attempt locks the job's row and checks the lease, so only the lease holder
//!   moves it; `begin_attempt` records the message as `Sending` (and commits) before the send.

mod attempt;
mod jobs;

use async_trait::async_trait;
use unibox_core::inbox::OutboundDraft;
use unibox_core::outbox::{
    AttemptOutcome, EnqueueOptions, JobState, Lease, LeaseId, Outbox, OutboxJob, Resolution, check_failure, check_limit,
};
use unibox_core::{ChannelAccountId, Message, MessageId, Result, TenantId, Timestamp};

use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::outbound::{PreparedDraft, record_outbound};
use crate::sealing::Access;

use jobs::{JOB_COLUMNS, decode, load};

#[async_trait]
impl Outbox for PostgresInbox {
    async fn enqueue(
        &self,
        tenant: &TenantId,
        draft: OutboundDraft,
        options: EnqueueOptions,
        now: Timestamp,
    ) -> Result<(Message, OutboxJob)> {
        const OP: &str = "postgres.outbox.enqueue";
        let prepared = PreparedDraft::new(draft)?;
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move {
                let message = record_outbound(tx, &owner, seal, prepared, log).await?;
                let job = OutboxJob::new(owner.clone(), &message, &options, now);
                let statement = tx
                    .prepare_cached(
                        "INSERT INTO outbox (tenant, message, conversation, account, state, attempts, due_at, \
                           lease_id, lease_until, human_agent, last_error, created_at) \
                         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, NULL, $5) ON CONFLICT DO NOTHING",
                    )
                    .await
                    .during(OP)?;
                tx.execute(
                    &statement,
                    &[
                        &owner.as_str(),
                        &message.id.as_uuid(),
                        &message.conversation.as_uuid(),
                        &message.account.as_uuid(),
                        &now.as_unix_millis(),
                        &job.lease.map(|lease| lease.id.as_uuid()),
                        &job.lease.map(|lease| lease.until.as_unix_millis()),
                        &job.human_agent,
                    ],
                )
                .await
                .during(OP)?;
                let job = load(tx, &owner, message.id, OP).await?;
                Ok((message, job))
            })
        })
        .await
    }

    async fn claim(&self, now: Timestamp, lease: Lease, limit: usize) -> Result<Vec<OutboxJob>> {
        const OP: &str = "postgres.outbox.claim";
        check_limit(limit)?;
        self.db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    let sql = format!("SELECT {JOB_COLUMNS} FROM unibox_outbox_claim($1, $2, $3, $4)");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    let rows = tx
                        .query(
                            &statement,
                            &[&now.as_unix_millis(), &lease.id.as_uuid(), &lease.until.as_unix_millis(), &limit],
                        )
                        .await
                        .during(OP)?;
                    let mut jobs = rows.iter().map(|row| decode(row, OP)).collect::<Result<Vec<_>>>()?;
                    jobs.sort_by_key(|job| (job.due_at, job.message));
                    Ok(jobs)
                })
            })
            .await
    }

    async fn begin_attempt(&self, tenant: &TenantId, message: MessageId, lease: LeaseId) -> Result<OutboxJob> {
        const OP: &str = "postgres.outbox.begin_attempt";
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { attempt::begin(tx, &owner, seal, message, lease, log).await })
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
        const OP: &str = "postgres.outbox.finish_attempt";
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { attempt::finish(tx, &owner, seal, message, lease, outcome, log).await })
        })
        .await
    }

    async fn job(&self, tenant: &TenantId, message: MessageId) -> Result<OutboxJob> {
        const OP: &str = "postgres.outbox.job";
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let sql = format!("SELECT {JOB_COLUMNS} FROM outbox WHERE tenant = $1 AND message = $2");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    match tx.query_opt(&statement, &[&owner.as_str(), &message.as_uuid()]).await.during(OP)? {
                        Some(row) => decode(&row, OP),
                        None => Err(unibox_core::Error::new(
                            unibox_core::ErrorKind::NotFound,
                            "the message has no send job",
                        )
                        .with_operation(OP)),
                    }
                })
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
        const OP: &str = "postgres.outbox.resolve_unknown";
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { attempt::resolve(tx, &owner, seal, message, resolution, now, log).await })
        })
        .await
    }

    async fn jobs(&self, tenant: &TenantId, state: JobState, limit: usize) -> Result<Vec<OutboxJob>> {
        const OP: &str = "postgres.outbox.jobs";
        check_limit(limit)?;
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let sql = format!(
                        "SELECT {JOB_COLUMNS} FROM outbox WHERE tenant = $1 AND state = $2 \
                         ORDER BY created_at, message LIMIT $3"
                    );
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    let rows = tx.query(&statement, &[&owner.as_str(), &state.as_str(), &limit]).await.during(OP)?;
                    rows.iter().map(|row| decode(row, OP)).collect()
                })
            })
            .await
    }

    async fn fail_queued_of_account(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        outcome: AttemptOutcome,
    ) -> Result<u64> {
        const OP: &str = "postgres.outbox.fail_queued_of_account";
        check_failure(&outcome, OP)?;
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { attempt::fail_queued_of_account(tx, &owner, seal, account, &outcome, log).await })
        })
        .await
    }
}
