//! Recording an outbound message as queued.

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::inbox::OutboundDraft;
use unibox_core::{ChannelAccountId, DeliveryStatus, Direction, Error, ErrorKind, Message, Result, TenantId};

use crate::codec::{direction_key, search_text, to_json};
use crate::error::PgResultExt;
use crate::ingest::apply::set_search_text;
use crate::pool::Tx;
use crate::reads::not_found;
use crate::sealing::{Seal, field};

use super::load_message;

/// An outbound draft with its JSON encoded before the transaction.
#[derive(Debug)]
pub(crate) struct PreparedDraft {
    pub(crate) draft: OutboundDraft,
    author_json: String,
    content_json: String,
    text: Option<String>,
}

impl PreparedDraft {
    /// Encodes the draft (an unencodable draft is `InvalidInput`, before anything is written).
    pub(crate) fn new(draft: OutboundDraft) -> Result<Self> {
        Ok(PreparedDraft {
            author_json: to_json(&draft.author, "author")?,
            content_json: to_json(&draft.content, "message content")?,
            text: search_text(&draft.content),
            draft,
        })
    }
}

/// Records an outbound message as queued, its content and reply-to sealed. Recording the same
/// draft id again returns the stored message (the id is the idempotency key); another message
/// under that id is a `Conflict`. Appends a `MessageAdded` (`queued`) change to `log`.
pub(crate) async fn record_outbound(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    prepared: PreparedDraft,
    log: &mut Vec<Change>,
) -> Result<Message> {
    const OP: &str = "postgres.record_outbound";
    let PreparedDraft { draft, author_json, content_json, text } = prepared;
    let statement =
        tx.prepare_cached("SELECT account FROM conversations WHERE tenant = $1 AND id = $2").await.during(OP)?;
    let account = tx
        .query_opt(&statement, &[&tenant.as_str(), &draft.conversation.as_uuid()])
        .await
        .during(OP)?
        .map(|row| ChannelAccountId::from_uuid(row.get(0)))
        .ok_or_else(|| not_found("conversation", OP))?;
    let row = draft.id.as_bytes();
    let content_sealed = seal.seal(field::MESSAGE_CONTENT, row, &content_json)?;
    let reply_to_sealed = seal.seal_opt(field::MESSAGE_REPLY_TO, row, draft.reply_to.as_deref())?;
    let at = draft.at.as_unix_millis();
    let statement = tx
        .prepare_cached(
            "INSERT INTO messages (tenant, id, conversation, account, direction, author, content, content_sealed, \
               platform_message_id, platform_message_id_sealed, reply_to_sealed, sent_at, recorded_at, edited_at, \
               edited_by, unsent_at, delivery) \
             VALUES ($1, $2, $3, $4, $5, $6, '', $7, NULL, NULL, $8, $9, $9, NULL, NULL, NULL, $10) \
             ON CONFLICT (tenant, id) DO NOTHING",
        )
        .await
        .during(OP)?;
    let inserted = tx
        .execute(
            &statement,
            &[
                &tenant.as_str(),
                &draft.id.as_uuid(),
                &draft.conversation.as_uuid(),
                &account.as_uuid(),
                &direction_key(Direction::Outbound),
                &author_json,
                &content_sealed,
                &reply_to_sealed,
                &at,
                &to_json(&DeliveryStatus::Queued, "delivery status")?,
            ],
        )
        .await
        .during(OP)?;
    if inserted == 0 {
        let stored = load_message(tx, tenant, seal, draft.id, OP).await?;
        if stored.conversation == draft.conversation && stored.direction == Direction::Outbound {
            return Ok(stored);
        }
        return Err(Error::new(ErrorKind::Conflict, "a message with this id already exists").with_operation(OP));
    }
    set_search_text(tx, tenant, seal, draft.id, text.as_deref()).await?;
    tx.execute(
        "UPDATE conversations SET last_activity_at = GREATEST(last_activity_at, $3) WHERE tenant = $1 AND id = $2",
        &[&tenant.as_str(), &draft.conversation.as_uuid(), &at],
    )
    .await
    .during(OP)?;
    log.push(
        Change::new(tenant.clone(), draft.at, ChangeKind::MessageAdded)
            .conversation(draft.conversation)
            .message(draft.id)
            .detail("queued"),
    );
    Ok(draft.into_queued_message(tenant.clone(), account))
}
