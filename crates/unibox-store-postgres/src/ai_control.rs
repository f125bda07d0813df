//! The handoff state: [`ConversationControlStore`] for [`PostgresInbox`] (table `ai_control`,
//! migration `0026_ai_control.sql`). Each transition takes the conversation's advisory lock,
//! then reads and writes its row in the same transaction, so it is atomic across every process
//! sharing the database.

use async_trait::async_trait;
use unibox_core::ai::{ControlChange, ControlState, ConversationControlStore, HandoffReason};
use unibox_core::{ConversationId, Result, TenantId, Timestamp};

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::pool::{Tx, lock_key};

/// Locks `conversation`'s control for the rest of the transaction, then reads it.
async fn lock_and_load(
    tx: &Tx<'_>,
    tenant: &str,
    conversation: ConversationId,
    operation: &'static str,
) -> Result<ControlState> {
    lock_key(tx, &format!("ai-control:{tenant}:{}", conversation.as_uuid()), operation).await?;
    load(tx, tenant, conversation, operation).await
}

async fn load(
    tx: &Tx<'_>,
    tenant: &str,
    conversation: ConversationId,
    operation: &'static str,
) -> Result<ControlState> {
    let statement = tx
        .prepare_cached(
            "SELECT control, version, bot_replies, reason, changed_at FROM ai_control \
             WHERE tenant = $1 AND conversation = $2",
        )
        .await
        .during(operation)?;
    let Some(row) = tx.query_opt(&statement, &[&tenant, &conversation.as_uuid()]).await.during(operation)? else {
        return Ok(ControlState::default());
    };
    ControlState::from_stored(
        row.get::<_, &str>(0),
        row.get::<_, i64>(1),
        row.get::<_, i64>(2),
        row.get::<_, Option<&str>>(3),
        row.get::<_, Option<i64>>(4),
    )
    .map_err(|what| corrupt(operation, what))
}

async fn save(
    tx: &Tx<'_>,
    tenant: &str,
    conversation: ConversationId,
    state: &ControlState,
    operation: &'static str,
) -> Result<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO ai_control (tenant, conversation, control, version, bot_replies, reason, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, conversation) DO UPDATE SET \
             control = excluded.control, version = excluded.version, bot_replies = excluded.bot_replies, \
             reason = excluded.reason, changed_at = excluded.changed_at",
        )
        .await
        .during(operation)?;
    tx.execute(
        &statement,
        &[
            &tenant,
            &conversation.as_uuid(),
            &state.control.as_str(),
            &state.stored_version(),
            &i64::from(state.bot_replies),
            &state.reason.as_ref().map(HandoffReason::code),
            &state.changed_at.map(Timestamp::as_unix_millis),
        ],
    )
    .await
    .during(operation)?;
    Ok(())
}

#[async_trait]
impl ConversationControlStore for PostgresInbox {
    async fn state(&self, tenant: &TenantId, conversation: ConversationId) -> Result<ControlState> {
        const OP: &str = "postgres.ai_control.state";
        let name = tenant.as_str().to_owned();
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { load(tx, &name, conversation, OP).await })).await
    }

    async fn change(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        change: ControlChange,
    ) -> Result<(ControlState, bool)> {
        const OP: &str = "postgres.ai_control.change";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let current = lock_and_load(tx, &name, conversation, OP).await?;
                    match change.apply(&current) {
                        Some(next) => {
                            save(tx, &name, conversation, &next, OP).await?;
                            Ok((next, true))
                        }
                        None => Ok((current, false)),
                    }
                })
            })
            .await
    }
}
