//! Changes to stored messages (edits, unsends, reactions, receipts) and the pending table that
//! holds them until their message arrives, as the SQLite store's `apply.rs`.
//!
//! Which change wins is decided by the ingest rules of `unibox_core::ingest` ([`AmendedMessage`]
//! for edits, unsends and receipts, [`wins`] for reactions); this module reads the state they
//! compare (kept on [`Target`] as it changes) and writes their result, so any order gives the
//! same row.

use unibox_core::ingest::{AmendedMessage, EditEffect, edit_search_text, wins};
pub(crate) use unibox_core::ingest::{Pending, PendingChange};
use unibox_core::{ChannelAccountId, ConversationId, DeliveryStatus, MessageId, Result, TenantId};

use super::OP;
use crate::codec::{ERASED_CONTENT_JSON, from_json, parse_direction, to_json};
use crate::error::{PgResultExt, corrupt};
use crate::pool::Tx;
use crate::rows::{pending_row, reaction_row};
use crate::sealing::{Seal, field, index};

/// A stored message a change applies to.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) id: MessageId,
    pub(crate) conversation: ConversationId,
    /// What the amendment rules compare.
    pub(crate) state: AmendedMessage,
}

/// The message with this platform id (its blind) on this account, if stored.
pub(crate) async fn find_target(
    tx: &Tx<'_>,
    tenant: &TenantId,
    account: ChannelAccountId,
    platform_message_id: &str,
) -> Result<Option<Target>> {
    let statement = tx
        .prepare_cached(
            "SELECT id, conversation, direction, delivery, edited_at, edited_by, unsent_at FROM messages \
             WHERE tenant = $1 AND account = $2 AND platform_message_id = $3",
        )
        .await
        .during(OP)?;
    let Some(row) =
        tx.query_opt(&statement, &[&tenant.as_str(), &account.as_uuid(), &platform_message_id]).await.during(OP)?
    else {
        return Ok(None);
    };
    let edited_at: Option<i64> = row.get(4);
    let edited_by: Option<String> = row.get(5);
    Ok(Some(Target {
        id: MessageId::from_uuid(row.get(0)),
        conversation: ConversationId::from_uuid(row.get(1)),
        state: AmendedMessage {
            direction: parse_direction(row.get(2), OP)?,
            delivery: from_json(row.get(3), OP, "delivery status")?,
            edited: edited_at.zip(edited_by),
            unsent_at: row.get(6),
        },
    }))
}

/// Replaces a message's blind search terms with those of `text` (none: out of search): one
/// row of `message_search` per searchable message.
pub(crate) async fn set_search_text(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    message: MessageId,
    text: Option<&str>,
) -> Result<()> {
    let terms = text.map(|text| seal.terms(text)).unwrap_or_default();
    if terms.is_empty() {
        return remove_search_text(tx, tenant, message).await;
    }
    let statement = tx
        .prepare_cached(
            "INSERT INTO message_search (tenant, message, terms) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant, message) DO UPDATE SET terms = excluded.terms",
        )
        .await
        .during(OP)?;
    tx.execute(&statement, &[&tenant.as_str(), &message.as_uuid(), &terms]).await.during(OP)?;
    Ok(())
}

/// Takes a message out of search.
pub(crate) async fn remove_search_text(tx: &Tx<'_>, tenant: &TenantId, message: MessageId) -> Result<()> {
    let statement =
        tx.prepare_cached("DELETE FROM message_search WHERE tenant = $1 AND message = $2").await.during(OP)?;
    tx.execute(&statement, &[&tenant.as_str(), &message.as_uuid()]).await.during(OP)?;
    Ok(())
}

/// An edit to apply.
pub(crate) struct Edit<'a> {
    pub(crate) at: i64,
    pub(crate) event_id: &'a str,
    pub(crate) content_json: &'a str,
    pub(crate) text: Option<&'a str>,
}

/// Applies an edit as [`AmendedMessage::edit`] decides: nothing when a later edit already won;
/// on an unsent message only the edit's time, the content staying erased.
pub(crate) async fn apply_edit(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    target: &mut Target,
    edit: &Edit<'_>,
) -> Result<()> {
    match target.state.edit(edit.at, edit.event_id) {
        EditEffect::Superseded => {}
        EditEffect::TimeOnly => {
            tx.execute(
                "UPDATE messages SET edited_at = $3, edited_by = $4 WHERE tenant = $1 AND id = $2",
                &[&tenant.as_str(), &target.id.as_uuid(), &edit.at, &edit.event_id],
            )
            .await
            .during(OP)?;
        }
        EditEffect::Replace => {
            let sealed = seal.seal(field::MESSAGE_CONTENT, target.id.as_bytes(), edit.content_json)?;
            tx.execute(
                "UPDATE messages SET content = '', content_sealed = $3, edited_at = $4, edited_by = $5 \
             WHERE tenant = $1 AND id = $2",
                &[&tenant.as_str(), &target.id.as_uuid(), &sealed, &edit.at, &edit.event_id],
            )
            .await
            .during(OP)?;
            set_search_text(tx, tenant, seal, target.id, edit.text).await?;
        }
    }
    Ok(())
}

/// Erases a message's content for good: empty text, out of search. The earliest unsend time
/// is kept ([`AmendedMessage::unsend`]).
pub(crate) async fn apply_unsend(tx: &Tx<'_>, tenant: &TenantId, target: &mut Target, at: i64) -> Result<()> {
    let unsent_at = target.state.unsend(at);
    tx.execute(
        "UPDATE messages SET content = $3, content_sealed = NULL, unsent_at = $4 WHERE tenant = $1 AND id = $2",
        &[&tenant.as_str(), &target.id.as_uuid(), &ERASED_CONTENT_JSON, &unsent_at],
    )
    .await
    .during(OP)?;
    remove_search_text(tx, tenant, target.id).await?;
    Ok(())
}

/// A reaction (or its removal) to apply.
pub(crate) struct NewReaction<'a> {
    pub(crate) reactor: &'a str,
    pub(crate) emoji: Option<&'a str>,
    pub(crate) at: i64,
    pub(crate) event_id: &'a str,
}

/// Records a customer's reaction (or its removal) unless a later one is stored
/// ([`wins`]). The row of a removed reaction stays, so an older event cannot bring it
/// back. The row is found by the reactor's blind; the reactor id and emoji are sealed.
pub(crate) async fn apply_reaction(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    message: MessageId,
    reaction: &NewReaction<'_>,
) -> Result<()> {
    let lookup = seal.lookup(index::REACTOR, reaction.reactor);
    let kept = tx
        .query_opt(
            "SELECT at, event_id FROM reactions WHERE tenant = $1 AND message = $2 AND reactor = $3",
            &[&tenant.as_str(), &message.as_uuid(), &lookup],
        )
        .await
        .during(OP)?;
    let kept: Option<(i64, String)> = kept.map(|row| (row.get(0), row.get(1)));
    if !wins(reaction.at, reaction.event_id, kept.as_ref().map(|(time, event)| (*time, event.as_str()))) {
        return Ok(());
    }
    let row = reaction_row(message.as_bytes(), &lookup);
    let reactor_sealed = seal.seal(field::REACTION_REACTOR, &row, reaction.reactor)?;
    let emoji_sealed = seal.seal_opt(field::REACTION_EMOJI, &row, reaction.emoji)?;
    tx.execute(
        "INSERT INTO reactions (tenant, message, reactor, reactor_sealed, emoji_sealed, at, event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant, message, reactor) DO UPDATE SET reactor_sealed = excluded.reactor_sealed, \
           emoji_sealed = excluded.emoji_sealed, at = excluded.at, event_id = excluded.event_id",
        &[
            &tenant.as_str(),
            &message.as_uuid(),
            &lookup,
            &reactor_sealed,
            &emoji_sealed,
            &reaction.at,
            &reaction.event_id,
        ],
    )
    .await
    .during(OP)?;
    Ok(())
}

/// Merges a delivery status into an outbound message's ([`AmendedMessage::deliver`]).
pub(crate) async fn apply_delivery(
    tx: &Tx<'_>,
    tenant: &TenantId,
    target: &mut Target,
    status: &DeliveryStatus,
) -> Result<()> {
    if let Some(merged) = target.state.deliver(status) {
        tx.execute(
            "UPDATE messages SET delivery = $3 WHERE tenant = $1 AND id = $2",
            &[&tenant.as_str(), &target.id.as_uuid(), &to_json(merged, "delivery status")?],
        )
        .await
        .during(OP)?;
    }
    Ok(())
}

/// Keeps a change until the message with `platform_message_id` (its blind) arrives. Once an
/// unsend is pending, pending edits keep only their time: their content is never stored.
pub(crate) async fn pend(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    account: ChannelAccountId,
    platform_message_id: &str,
    pending: &Pending,
) -> Result<()> {
    let (name, account_id) = (tenant.as_str(), account.as_uuid());
    let mut erased = false;
    match pending.change {
        PendingChange::Edit { .. } => {
            erased = tx
                .query_opt(
                    // LIMIT 1: an unsend redelivered under new event ids is pending more than once.
                    "SELECT 1 FROM pending_actions WHERE tenant = $1 AND account = $2 AND platform_message_id = $3 \
                     AND kind = 'unsend' LIMIT 1",
                    &[&name, &account_id, &platform_message_id],
                )
                .await
                .during(OP)?
                .is_some();
        }
        PendingChange::Unsend => {
            tx.execute(
                "UPDATE pending_actions SET payload = $4, payload_sealed = NULL WHERE tenant = $1 AND account = $2 \
                 AND platform_message_id = $3 AND kind = 'edit'",
                &[&name, &account_id, &platform_message_id, &ERASED_CONTENT_JSON],
            )
            .await
            .during(OP)?;
        }
        PendingChange::Reaction { .. } | PendingChange::Delivery(_) => {}
    }
    let (payload, payload_sealed) = if erased {
        (ERASED_CONTENT_JSON.to_owned(), None)
    } else {
        let row = pending_row(account, platform_message_id, &pending.event_id);
        (String::new(), Some(seal.seal(field::PENDING_PAYLOAD, &row, &pending.change.payload()?)?))
    };
    tx.execute(
        "INSERT INTO pending_actions (tenant, account, platform_message_id, event_id, kind, at, payload, payload_sealed, \
           author) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        &[
            &name,
            &account_id,
            &platform_message_id,
            &pending.event_id,
            &pending.change.kind(),
            &pending.at,
            &payload,
            &payload_sealed,
            &pending.author,
        ],
    )
    .await
    .during(OP)?;
    Ok(())
}

/// Removes and returns the changes waiting for `platform_message_id` (its blind).
pub(crate) async fn take_pending(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    account: ChannelAccountId,
    platform_message_id: &str,
) -> Result<Vec<Pending>> {
    let rows = tx
        .query(
            "DELETE FROM pending_actions WHERE tenant = $1 AND account = $2 AND platform_message_id = $3 \
             RETURNING event_id, at, kind, payload, payload_sealed",
            &[&tenant.as_str(), &account.as_uuid(), &platform_message_id],
        )
        .await
        .during(OP)?;
    let mut pending = rows
        .iter()
        .map(|row| {
            let (event_id, at, kind, payload, sealed): (String, i64, String, String, Option<Vec<u8>>) =
                (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
            let payload = match sealed {
                Some(sealed) => {
                    seal.open(field::PENDING_PAYLOAD, &pending_row(account, platform_message_id, &event_id), &sealed)?
                }
                None => payload,
            };
            let change = PendingChange::decode(&kind, &payload).ok_or_else(|| corrupt(OP, "pending change"))?;
            Ok(Pending { change, event_id, at, author: None })
        })
        .collect::<Result<Vec<_>>>()?;
    pending.sort_by(|a, b| (a.at, &a.event_id).cmp(&(b.at, &b.event_id)));
    Ok(pending)
}

/// Applies changes that waited for a message, now stored as `target`.
pub(crate) async fn apply_pending(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    target: &mut Target,
    pending: Vec<Pending>,
) -> Result<()> {
    for Pending { event_id, at, change, .. } in pending {
        match change {
            PendingChange::Edit { content_json } => {
                let text = edit_search_text(&content_json).ok_or_else(|| corrupt(OP, "pending edit"))?;
                let edit = Edit { at, event_id: &event_id, content_json: &content_json, text: text.as_deref() };
                apply_edit(tx, tenant, seal, target, &edit).await?;
            }
            PendingChange::Unsend => apply_unsend(tx, tenant, target, at).await?,
            PendingChange::Reaction { reactor, emoji } => {
                let reaction = NewReaction { reactor: &reactor, emoji: emoji.as_deref(), at, event_id: &event_id };
                apply_reaction(tx, tenant, seal, target.id, &reaction).await?
            }
            PendingChange::Delivery(status) => apply_delivery(tx, tenant, target, &status).await?,
        }
    }
    Ok(())
}
