//! Moving an outbound message's delivery, and setting its platform id once accepted.

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::ingest::AmendedMessage;
use unibox_core::{
    ChannelAccountId, DeliveryStatus, Direction, Error, ErrorKind, Message, MessageId, Result, TenantId, Timestamp,
};

use crate::codec::{from_json, parse_direction};
use crate::error::PgResultExt;
use crate::ingest::apply::{
    NewReaction, Target, apply_delivery, apply_pending, apply_reaction, find_target, take_pending,
};
use crate::ingest::store::message_key;
use crate::pool::{Tx, lock_key};
use crate::reads::not_found;
use crate::rows::reaction_row;
use crate::sealing::{Seal, field, index};

use super::load_message;

/// Moves an outbound message's status (merged) and, once the platform accepted it, sets its
/// platform id (stored as its blind, sealed beside it); changes that arrived for that id before
/// (receipts, reactions) then apply. An echo of the message ingested before its id was known
/// is the same message seen twice: it is folded into this one. When anything changed, a
/// `DeliveryChanged` change with `detail` goes to `log`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn update_delivery(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    id: MessageId,
    status: &DeliveryStatus,
    platform_message_id: Option<&str>,
    detail: &str,
    log: &mut Vec<Change>,
) -> Result<Message> {
    const OP: &str = "postgres.update_delivery";
    let statement = tx
        .prepare_cached(
            "SELECT id, conversation, direction, delivery, edited_at, edited_by, unsent_at, account, \
               platform_message_id FROM messages WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .await
        .during(OP)?;
    let row = tx.query_opt(&statement, &[&tenant.as_str(), &id.as_uuid()]).await.during(OP)?;
    let Some(row) = row else { return Err(not_found("message", OP)) };
    let edited_at: Option<i64> = row.get(4);
    let edited_by: Option<String> = row.get(5);
    let mut target = Target {
        id,
        conversation: unibox_core::ConversationId::from_uuid(row.get(1)),
        state: AmendedMessage {
            direction: parse_direction(row.get(2), OP)?,
            delivery: from_json(row.get(3), OP, "delivery status")?,
            edited: edited_at.zip(edited_by),
            unsent_at: row.get(6),
        },
    };
    let account = ChannelAccountId::from_uuid(row.get(7));
    let stored: Option<String> = row.get(8);
    if target.state.direction != Direction::Outbound {
        return Err(
            Error::new(ErrorKind::InvalidInput, "only outbound messages have a delivery to update").with_operation(OP)
        );
    }
    let given_key = platform_message_id.map(|given| seal.lookup(index::PLATFORM_MESSAGE_ID, given));
    match (stored.as_deref(), platform_message_id, given_key.as_deref()) {
        (_, None, _) | (_, _, None) => {}
        (Some(stored), Some(_), Some(key)) if stored == key => {}
        (Some(_), Some(_), Some(_)) => {
            return Err(Error::new(ErrorKind::Conflict, "the message already has another platform message id")
                .with_operation(OP));
        }
        (None, Some(given), Some(key)) => {
            if given.is_empty() {
                return Err(Error::new(ErrorKind::InvalidInput, "the platform message id is empty").with_operation(OP));
            }
            // Serialised with ingest of the same platform message (its echo, its receipts).
            lock_key(tx, &message_key(tenant, account, key), OP).await?;
            if let Some(echo) = find_target(tx, tenant, account, key).await? {
                if echo.state.direction != Direction::Outbound {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        "the platform message id belongs to an inbound message",
                    )
                    .with_operation(OP));
                }
                fold_echo(tx, tenant, seal, &mut target, echo).await?;
            }
            let sealed = seal.seal(field::MESSAGE_PLATFORM_ID, id.as_bytes(), given)?;
            tx.execute(
                "UPDATE messages SET platform_message_id = $3, platform_message_id_sealed = $4 \
                 WHERE tenant = $1 AND id = $2",
                &[&tenant.as_str(), &id.as_uuid(), &key, &sealed],
            )
            .await
            .during(OP)?;
            let pending = take_pending(tx, tenant, seal, account, key).await?;
            apply_pending(tx, tenant, seal, &mut target, pending).await?;
        }
    }
    let before = target.state.delivery.clone();
    apply_delivery(tx, tenant, &mut target, status).await?;
    let platform_id_set = stored.is_none() && platform_message_id.is_some();
    if platform_id_set || target.state.delivery != before {
        log.push(
            Change::new(tenant.clone(), Timestamp::now(), ChangeKind::DeliveryChanged)
                .conversation(target.conversation)
                .message(id)
                .detail(detail),
        );
    }
    load_message(tx, tenant, seal, id, OP).await
}

/// Folds an ingested echo into the outbound message it echoes (its delivery and reactions,
/// the reactions sealed again for their new row), then deletes the echo.
async fn fold_echo(tx: &Tx<'_>, tenant: &TenantId, seal: &Seal, target: &mut Target, echo: Target) -> Result<()> {
    const OP: &str = "postgres.update_delivery";
    apply_delivery(tx, tenant, target, &echo.state.delivery).await?;
    let statement = tx
        .prepare_cached(
            "SELECT reactor, reactor_sealed, emoji_sealed, at, event_id FROM reactions \
             WHERE tenant = $1 AND message = $2",
        )
        .await
        .during(OP)?;
    for row in tx.query(&statement, &[&tenant.as_str(), &echo.id.as_uuid()]).await.during(OP)? {
        let key = reaction_row(echo.id.as_bytes(), row.get(0));
        let reactor = seal.open(field::REACTION_REACTOR, &key, row.get(1))?;
        let emoji = seal.open_opt(field::REACTION_EMOJI, &key, row.get(2))?;
        let event_id: String = row.get(4);
        let reaction = NewReaction { reactor: &reactor, emoji: emoji.as_deref(), at: row.get(3), event_id: &event_id };
        apply_reaction(tx, tenant, seal, target.id, &reaction).await?;
    }
    for sql in [
        "DELETE FROM reactions WHERE tenant = $1 AND message = $2",
        "DELETE FROM message_search WHERE tenant = $1 AND message = $2",
        "DELETE FROM messages WHERE tenant = $1 AND id = $2",
    ] {
        tx.execute(sql, &[&tenant.as_str(), &echo.id.as_uuid()]).await.during(OP)?;
    }
    Ok(())
}
