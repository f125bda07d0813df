//! [`OutboundMessages`] for [`PostgresInbox`]: an outbound message is recorded as queued before
//! any attempt to send it, and its delivery moves afterwards; each call is one transaction
//! scoped to its tenant, its changes logged at the end of it.

mod delivery;
mod record;

pub(crate) use delivery::update_delivery;
pub(crate) use record::{PreparedDraft, record_outbound};

use async_trait::async_trait;
use unibox_core::inbox::{OutboundDraft, OutboundMessages};
use unibox_core::{DeliveryStatus, Message, MessageId, Result, TenantId};

use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::Tx;
use crate::reads::not_found;
use crate::reads::rows::{MESSAGE_COLUMNS, load_reactions, message};
use crate::sealing::{Access, Seal};

/// One stored message, with its reactions, read inside the caller's transaction.
pub(crate) async fn load_message(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    id: MessageId,
    operation: &'static str,
) -> Result<Message> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.tenant = $1 AND m.id = $2");
    let statement = tx.prepare_cached(&sql).await.during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant.as_str(), &id.as_uuid()]).await.during(operation)?;
    let Some(row) = row else { return Err(not_found("message", operation)) };
    let mut found = [message(&row, tenant, seal, operation)?];
    load_reactions(tx, tenant, seal, &mut found, operation).await?;
    let [found] = found;
    Ok(found)
}

#[async_trait]
impl OutboundMessages for PostgresInbox {
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message> {
        const OP: &str = "postgres.record_outbound";
        let prepared = PreparedDraft::new(draft)?;
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { record_outbound(tx, &owner, seal, prepared, log).await })
        })
        .await
    }

    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message> {
        const OP: &str = "postgres.update_delivery";
        let owner = tenant.clone();
        let platform_message_id = platform_message_id.map(str::to_owned);
        self.logged_tx(OP, tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move {
                let (given, detail) = (platform_message_id.as_deref(), status.as_str());
                update_delivery(tx, &owner, seal, message, &status, given, detail, log).await
            })
        })
        .await
    }
}
