//! Per-agent read markers.

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::workflow::ReadState;
use unibox_core::{ConversationId, Direction, Result, TenantId, Timestamp, UserId};

use crate::codec::direction_key;
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::reads::{conversation_exists, not_found};

/// Records that `user` read the conversation up to `up_to` (a marker never moves back) and sets
/// its unread count to zero.
pub(crate) async fn mark_read_by(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversation: ConversationId,
    user: &UserId,
    up_to: Timestamp,
    log: &mut Vec<Change>,
) -> Result<ReadState> {
    const OP: &str = "postgres.mark_read_by";
    if !conversation_exists(tx, tenant, conversation, OP).await? {
        return Err(not_found("conversation", OP));
    }
    // A late "read" from another device keeps the newer marker.
    tx.execute(
        "INSERT INTO read_markers AS r (tenant, conversation, user_id, read_up_to) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, conversation, user_id) DO UPDATE SET read_up_to = GREATEST(r.read_up_to, excluded.read_up_to)",
        &[&tenant.as_str(), &conversation.as_uuid(), &user.as_str(), &up_to.as_unix_millis()],
    )
    .await
    .during(OP)?;
    tx.execute(
        "UPDATE conversations SET unread_count = 0 WHERE tenant = $1 AND id = $2",
        &[&tenant.as_str(), &conversation.as_uuid()],
    )
    .await
    .during(OP)?;
    log.push(
        Change::new(tenant.clone(), Timestamp::now(), ChangeKind::ConversationChanged)
            .conversation(conversation)
            .detail("read"),
    );
    read_state(tx, tenant, conversation, user, OP).await
}

/// `user`'s state of each conversation, in order; `NotFound` if one is not the tenant's.
pub(crate) async fn read_states(
    tx: &Tx<'_>,
    tenant: &TenantId,
    user: &UserId,
    conversations: &[ConversationId],
) -> Result<Vec<ReadState>> {
    const OP: &str = "postgres.read_states";
    let mut states = Vec::with_capacity(conversations.len());
    for conversation in conversations {
        if !conversation_exists(tx, tenant, *conversation, OP).await? {
            return Err(not_found("conversation", OP));
        }
        states.push(read_state(tx, tenant, *conversation, user, OP).await?);
    }
    Ok(states)
}

/// One agent's marker, and the inbound messages sent after it.
async fn read_state(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversation: ConversationId,
    user: &UserId,
    operation: &'static str,
) -> Result<ReadState> {
    let statement = tx
        .prepare_cached(
            "SELECT r.read_up_to, (SELECT count(*) FROM messages m WHERE m.tenant = $1 AND m.conversation = $2 \
               AND m.direction = $4 AND m.sent_at > coalesce(r.read_up_to, -9223372036854775808)) \
             FROM (SELECT (SELECT read_up_to FROM read_markers WHERE tenant = $1 AND conversation = $2 \
               AND user_id = $3) AS read_up_to) r",
        )
        .await
        .during(operation)?;
    let row = tx
        .query_one(
            &statement,
            &[&tenant.as_str(), &conversation.as_uuid(), &user.as_str(), &direction_key(Direction::Inbound)],
        )
        .await
        .during(operation)?;
    let read_up_to: Option<i64> = row.get(0);
    Ok(ReadState {
        conversation,
        user: user.clone(),
        read_up_to: read_up_to.map(Timestamp::from_unix_millis),
        unread: u32::try_from(row.get::<_, i64>(1)).unwrap_or(u32::MAX),
    })
}
