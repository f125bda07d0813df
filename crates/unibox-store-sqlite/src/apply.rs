//! Changes to stored messages (edits, unsends, reactions, receipts) and the pending table that
//! holds them until their message arrives.
//!
//! Which change wins is decided by the ingest rules of `unibox_core::ingest`, the same functions
//! the memory backend calls: [`AmendedMessage`] (the latest edit by `(time, event id)`, the
//! earliest unsend time, merged receipts) and [`wins`] (the latest reaction per customer). This
//! module only reads the state those rules compare (kept on [`Target`] as it changes) and writes
//! their result, so applying the same set of changes in any order gives the same row.

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::ingest::{AmendedMessage, EditEffect, edit_search_text, wins};
pub(crate) use unibox_core::ingest::{Pending, PendingChange};
use unibox_core::{ChannelAccountId, ConversationId, DeliveryStatus, MessageId, Result, TenantId};

use crate::codec::{ERASED_CONTENT_JSON, parse_direction, to_json};
use crate::error::{SqlResultExt, corrupt};
use crate::reactions;
use crate::sealing::{self, cells::field};
use crate::writer::WriteTx;

const OP: &str = "sqlite.ingest";

/// A stored message a change applies to.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) seq: i64,
    pub(crate) id: MessageId,
    pub(crate) conversation: ConversationId,
    /// What the amendment rules compare.
    pub(crate) state: AmendedMessage,
}

/// The columns [`target_from_row`] reads, in its order.
pub(crate) const TARGET_COLUMNS: &str = "seq, id, conversation, direction, delivery, edited_at, edited_by, unsent_at";

/// A [`Target`] from a row selected with [`TARGET_COLUMNS`] first.
pub(crate) fn target_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawTarget> {
    Ok(RawTarget {
        seq: row.get(0)?,
        id: row.get(1)?,
        conversation: row.get(2)?,
        direction: row.get(3)?,
        delivery: row.get(4)?,
        edited_at: row.get(5)?,
        edited_by: row.get(6)?,
        unsent_at: row.get(7)?,
    })
}

/// A target's columns as read, before decoding.
pub(crate) struct RawTarget {
    seq: i64,
    id: [u8; 16],
    conversation: [u8; 16],
    direction: String,
    delivery: String,
    edited_at: Option<i64>,
    edited_by: Option<String>,
    unsent_at: Option<i64>,
}

impl RawTarget {
    /// Decodes the row; a stored value this version cannot read is reported as corrupt.
    pub(crate) fn decode(self) -> Result<Target> {
        Ok(Target {
            seq: self.seq,
            id: MessageId::from_bytes(self.id),
            conversation: ConversationId::from_bytes(self.conversation),
            state: AmendedMessage {
                direction: parse_direction(&self.direction)?,
                delivery: serde_json::from_str(&self.delivery).map_err(|_| corrupt(OP, "delivery status"))?,
                edited: self.edited_at.zip(self.edited_by),
                unsent_at: self.unsent_at,
            },
        })
    }
}

/// The message with this platform id on this account, if stored: `keys` are the stored keys it
/// may have ([`MessageKeys::candidates`](crate::sealing::cells::MessageKeys::candidates)).
pub(crate) fn find_target(
    conn: &Connection,
    tenant: &TenantId,
    account: ChannelAccountId,
    keys: &[String],
) -> Result<Option<Target>> {
    for key in keys {
        let found = conn
            .prepare_cached(&format!(
                "SELECT {TARGET_COLUMNS} FROM messages WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3"
            ))
            .during(OP)?
            .query_row(params![tenant.as_str(), account.as_bytes(), key], target_from_row)
            .optional()
            .during(OP)?;
        if let Some(found) = found {
            return found.decode().map(Some);
        }
    }
    Ok(None)
}

/// The text a search finds a content by (the rule every backend shares).
pub(crate) use unibox_core::ingest::search_text;

/// Applies an edit as [`AmendedMessage::edit`] decides: nothing when a later edit already won;
/// on an unsent message only the edit's time, the content staying erased.
pub(crate) fn apply_edit(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    target: &mut Target,
    at: i64,
    event_id: &str,
    content_json: &str,
    text: Option<&str>,
) -> Result<()> {
    match target.state.edit(at, event_id) {
        EditEffect::Superseded => {}
        EditEffect::TimeOnly => {
            tx.prepare_cached("UPDATE messages SET edited_at = ?3, edited_by = ?4 WHERE tenant = ?1 AND seq = ?2")
                .during(OP)?
                .execute(params![tenant.as_str(), target.seq, at, event_id])
                .during(OP)?;
        }
        EditEffect::Replace => {
            let sealer = sealing::current(OP)?;
            // The replaced content must not stay inside the message's sealed body.
            sealing::body::split(tx, &sealer, tenant, target.seq, target.id.as_bytes())?;
            let (content_json, content_sealed) =
                sealer.store_required(field::MESSAGE_CONTENT, target.id.as_bytes(), content_json)?;
            tx.prepare_cached(
                "UPDATE messages SET content = ?3, content_sealed = ?4, edited_at = ?5, edited_by = ?6 \
             WHERE tenant = ?1 AND seq = ?2",
            )
            .during(OP)?
            .execute(params![tenant.as_str(), target.seq, content_json, content_sealed, at, event_id])
            .during(OP)?;
            tx.set_search_text(target.seq, text)?;
        }
    }
    Ok(())
}

/// Erases a message's content for good: empty text, out of the search index. The earliest
/// unsend time is kept ([`AmendedMessage::unsend`]).
pub(crate) fn apply_unsend(tx: &WriteTx<'_>, tenant: &TenantId, target: &mut Target, at: i64) -> Result<()> {
    let unsent_at = target.state.unsend(at);
    // The erased content must not stay inside the message's sealed body.
    sealing::body::split(tx, &sealing::current(OP)?, tenant, target.seq, target.id.as_bytes())?;
    tx.prepare_cached(
        "UPDATE messages SET content = ?3, content_sealed = NULL, unsent_at = ?4 WHERE tenant = ?1 AND seq = ?2",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), target.seq, ERASED_CONTENT_JSON, unsent_at])
    .during(OP)?;
    tx.set_search_text(target.seq, None)?;
    Ok(())
}

/// Records a customer's reaction (or its removal, `emoji` `None`) unless a later one is stored
/// ([`wins`]). The row of a removed reaction stays, so an older event cannot bring it back.
/// In a sealed inbox the row is found by the reactor's blind and written sealed
/// ([`reactions`](crate::reactions)); a row an earlier build wrote there in plaintext is found
/// by the reactor id, and replaced by a sealed row when the new reaction wins.
pub(crate) fn apply_reaction(
    conn: &Connection,
    tenant: &TenantId,
    message: MessageId,
    reactor: &str,
    emoji: Option<&str>,
    at: i64,
    event_id: &str,
) -> Result<()> {
    let sealer = sealing::current(OP)?;
    let lookup = reactions::reactor_lookup(&sealer, reactor);
    let kept: Vec<(i64, String, bool)> = conn
        .prepare_cached(
            "SELECT at, event_id, reactor_sealed IS NULL FROM reactions WHERE tenant = ?1 AND message = ?2 \
             AND (reactor = ?3 OR (reactor = ?4 AND reactor_sealed IS NULL))",
        )
        .during(OP)?
        .query_map(params![tenant.as_str(), message.as_bytes(), lookup, reactor], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .during(OP)?
        .collect::<rusqlite::Result<_>>()
        .during(OP)?;
    if !kept.iter().all(|(time, event, _)| wins(at, event_id, Some((*time, event.as_str())))) {
        return Ok(());
    }
    if sealer.is_sealed() && kept.iter().any(|(_, _, plaintext)| *plaintext) {
        conn.prepare_cached(
            "DELETE FROM reactions WHERE tenant = ?1 AND message = ?2 AND reactor = ?3 AND reactor_sealed IS NULL",
        )
        .during(OP)?
        .execute(params![tenant.as_str(), message.as_bytes(), reactor])
        .during(OP)?;
    }
    reactions::write(
        conn,
        &sealer,
        tenant,
        &lookup,
        &reactions::NewReaction { message, reactor, emoji, at, event_id },
        OP,
    )
}

/// Merges a delivery status into an outbound message's ([`AmendedMessage::deliver`]).
pub(crate) fn apply_delivery(
    conn: &Connection,
    tenant: &TenantId,
    target: &mut Target,
    status: &DeliveryStatus,
) -> Result<()> {
    if let Some(merged) = target.state.deliver(status) {
        conn.prepare_cached("UPDATE messages SET delivery = ?3 WHERE tenant = ?1 AND seq = ?2")
            .during(OP)?
            .execute(params![tenant.as_str(), target.seq, to_json(merged, "delivery status")?])
            .during(OP)?;
    }
    Ok(())
}

/// Keeps a change until the message with `platform_message_id` arrives. Once an unsend is
/// pending, pending edits keep only their time: their content is never stored.
pub(crate) fn pend(
    conn: &Connection,
    tenant: &TenantId,
    account: ChannelAccountId,
    platform_message_id: &str,
    pending: &Pending,
) -> Result<()> {
    let key = params![tenant.as_str(), account.as_bytes(), platform_message_id];
    let mut payload = pending.change.payload()?;
    let mut erased = false;
    match pending.change {
        PendingChange::Edit { .. } => {
            let unsent = conn
                .prepare_cached(
                    "SELECT 1 FROM pending_actions WHERE tenant = ?1 AND account = ?2 \
                     AND platform_message_id = ?3 AND kind = 'unsend'",
                )
                .during(OP)?
                .exists(key)
                .during(OP)?;
            if unsent {
                payload = ERASED_CONTENT_JSON.to_owned();
                erased = true;
            }
        }
        PendingChange::Unsend => {
            conn.prepare_cached(
                "UPDATE pending_actions SET payload = ?4, payload_sealed = NULL WHERE tenant = ?1 AND account = ?2 \
                 AND platform_message_id = ?3 AND kind = 'edit'",
            )
            .during(OP)?
            .execute(params![tenant.as_str(), account.as_bytes(), platform_message_id, ERASED_CONTENT_JSON])
            .during(OP)?;
        }
        PendingChange::Reaction { .. } | PendingChange::Delivery(_) => {}
    }
    let row = pending_row(account, platform_message_id, &pending.event_id);
    let (payload, payload_sealed) = if erased {
        (payload, None)
    } else {
        sealing::current(OP)?.store_required(field::PENDING_PAYLOAD, &row, &payload)?
    };
    conn.prepare_cached(
        "INSERT INTO pending_actions (tenant, account, platform_message_id, event_id, kind, at, payload, payload_sealed, \
           author) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
    )
    .during(OP)?
    .execute(params![
        tenant.as_str(),
        account.as_bytes(),
        platform_message_id,
        pending.event_id,
        pending.change.kind(),
        pending.at,
        payload,
        payload_sealed,
        pending.author,
    ])
    .during(OP)?;
    Ok(())
}

/// Removes and returns the changes waiting for `platform_message_id`.
pub(crate) fn take_pending(
    conn: &Connection,
    tenant: &TenantId,
    account: ChannelAccountId,
    platform_message_id: &str,
) -> Result<Vec<Pending>> {
    let key = params![tenant.as_str(), account.as_bytes(), platform_message_id];
    let rows = conn
        .prepare_cached(
            "SELECT event_id, at, kind, payload, payload_sealed FROM pending_actions \
             WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3 ORDER BY at, event_id",
        )
        .during(OP)?
        .query_map(key, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<Vec<u8>>>(4)?,
            ))
        })
        .during(OP)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(OP)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    conn.prepare_cached("DELETE FROM pending_actions WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3")
        .during(OP)?
        .execute(key)
        .during(OP)?;
    let sealer = sealing::current(OP)?;
    rows.into_iter()
        .map(|(event_id, at, kind, payload, payload_sealed)| {
            let row = pending_row(account, platform_message_id, &event_id);
            let payload = sealer.open_required(field::PENDING_PAYLOAD, &row, payload, payload_sealed)?;
            let change = PendingChange::decode(&kind, &payload).ok_or_else(|| corrupt(OP, "pending change"))?;
            Ok(Pending { event_id, at, change, author: None })
        })
        .collect()
}

/// The row id a pending change's sealed payload is bound to.
pub(crate) fn pending_row(account: ChannelAccountId, platform_message_id: &str, event_id: &str) -> Vec<u8> {
    let mut row = account.as_bytes().to_vec();
    row.extend_from_slice(platform_message_id.as_bytes());
    row.push(0);
    row.extend_from_slice(event_id.as_bytes());
    row
}

/// Applies changes that waited for a message, now stored as `target`.
pub(crate) fn apply_pending(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    target: &mut Target,
    pending: Vec<Pending>,
) -> Result<()> {
    for Pending { event_id, at, change, .. } in pending {
        match change {
            PendingChange::Edit { content_json } => {
                let text = edit_search_text(&content_json).ok_or_else(|| corrupt(OP, "pending edit"))?;
                apply_edit(tx, tenant, target, at, &event_id, &content_json, text.as_deref())?;
            }
            PendingChange::Unsend => apply_unsend(tx, tenant, target, at)?,
            PendingChange::Reaction { reactor, emoji } => {
                apply_reaction(tx, tenant, target.id, &reactor, emoji.as_deref(), at, &event_id)?
            }
            PendingChange::Delivery(status) => apply_delivery(tx, tenant, target, &status)?,
        }
    }
    Ok(())
}
