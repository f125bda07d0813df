//! Writes made by the business: channel accounts, outbound messages and their delivery,
//! conversation workflow, notes.

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::inbox::{ConversationUpdate, OutboundDraft};
use unibox_core::{
    ChannelAccount, ChannelAccountId, Conversation, ConversationId, DeliveryStatus, Direction, Error, ErrorKind,
    InternalNote, Message, MessageId, Result, TenantId,
};

use unibox_core::Timestamp;
use unibox_core::changes::{Change, ChangeKind};

use crate::apply::{
    TARGET_COLUMNS, Target, apply_delivery, apply_pending, apply_reaction, find_target, search_text, take_pending,
    target_from_row,
};
use crate::changes::append;
use crate::codec::{direction_key, to_json};
use crate::error::SqlResultExt;
use crate::queries::{conversation_exists, not_found};
use crate::reactions;
use crate::rows;
use crate::sealing::cells::field;
use crate::sealing::{self};
use crate::writer::WriteTx;

/// Creates or replaces an account. Another account of the same channel with the same platform
/// id is a conflict, and so is an id that belongs to another tenant (accounts never move).
pub(crate) fn save_account(conn: &Connection, account: &ChannelAccount, state_json: &str) -> Result<()> {
    const OP: &str = "sqlite.save_account";
    let taken = conn
        .prepare_cached("SELECT 1 FROM accounts WHERE channel = ?1 AND platform_account_id = ?2 AND id <> ?3")
        .during(OP)?
        .exists(params![account.channel.as_str(), account.platform_account_id, account.id.as_bytes()])
        .during(OP)?;
    if taken {
        return Err(Error::new(
            ErrorKind::Conflict,
            "another account of this channel already has this platform account id",
        )
        .with_operation(OP)
        .with_context("channel", &account.channel));
    }
    let owner: Option<String> = conn
        .prepare_cached("SELECT tenant FROM accounts WHERE id = ?1")
        .during(OP)?
        .query_row([account.id.as_bytes()], |row| row.get(0))
        .optional()
        .during(OP)?;
    if owner.is_some_and(|owner| owner != account.tenant.as_str()) {
        return Err(
            Error::new(ErrorKind::Conflict, "an account with this id belongs to another tenant").with_operation(OP)
        );
    }
    conn.prepare_cached(
        "INSERT INTO accounts (id, tenant, channel, kind, platform_account_id, display_name, state, connected_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, kind = excluded.kind, \
           platform_account_id = excluded.platform_account_id, display_name = excluded.display_name, \
           state = excluded.state, connected_at = excluded.connected_at",
    )
    .during(OP)?
    .execute(params![
        account.id.as_bytes(),
        account.tenant.as_str(),
        account.channel.as_str(),
        account.kind.as_str(),
        account.platform_account_id,
        account.display_name,
        state_json,
        account.connected_at.as_unix_millis(),
    ])
    .during(OP)?;
    Ok(())
}

/// An outbound draft with its JSON encoded (in the caller's task).
#[derive(Debug)]
pub(crate) struct PreparedDraft {
    pub(crate) draft: OutboundDraft,
    pub(crate) author_json: String,
    pub(crate) content_json: String,
    pub(crate) text: Option<String>,
}

impl PreparedDraft {
    pub(crate) fn new(draft: OutboundDraft) -> Result<Self> {
        Ok(PreparedDraft {
            author_json: to_json(&draft.author, "author")?,
            content_json: to_json(&draft.content, "message content")?,
            text: search_text(&draft.content),
            draft,
        })
    }
}

/// Records an outbound message as queued. Recording the same draft id again returns the stored
/// message: the id is the idempotency key.
pub(crate) fn record_outbound(tx: &WriteTx<'_>, tenant: &TenantId, prepared: PreparedDraft) -> Result<Message> {
    const OP: &str = "sqlite.record_outbound";
    let PreparedDraft { draft, author_json, content_json, text } = prepared;
    let account: [u8; 16] = tx
        .prepare_cached("SELECT account FROM conversations WHERE tenant = ?1 AND id = ?2")
        .during(OP)?
        .query_row(params![tenant.as_str(), draft.conversation.as_bytes()], |row| row.get(0))
        .optional()
        .during(OP)?
        .ok_or_else(|| not_found("conversation", OP))?;
    let existing: Option<(String, [u8; 16])> = tx
        .prepare_cached("SELECT tenant, conversation FROM messages WHERE id = ?1")
        .during(OP)?
        .query_row([draft.id.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .during(OP)?;
    if let Some((owner, conversation)) = existing {
        if owner == tenant.as_str() && conversation == *draft.conversation.as_bytes() {
            return rows::message(tx, tenant, draft.id, OP)?.ok_or_else(|| not_found("message", OP));
        }
        return Err(Error::new(ErrorKind::Conflict, "a message with this id already exists").with_operation(OP));
    }
    let at = draft.at.as_unix_millis();
    let sealer = sealing::current(OP)?;
    let row = draft.id.as_bytes();
    let (content, content_sealed) = sealer.store_required(field::MESSAGE_CONTENT, row, &content_json)?;
    let (reply_to, reply_to_sealed) = sealer.store(field::MESSAGE_REPLY_TO, row, draft.reply_to.as_deref())?;
    tx.prepare_cached(
        "INSERT INTO messages (id, tenant, conversation, account, direction, author, content, platform_message_id, \
           reply_to, sent_at, recorded_at, edited_at, edited_by, unsent_at, delivery, content_sealed, reply_to_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?9, NULL, NULL, NULL, ?10, ?11, ?12)",
    )
    .during(OP)?
    .execute(params![
        draft.id.as_bytes(),
        tenant.as_str(),
        draft.conversation.as_bytes(),
        account,
        direction_key(Direction::Outbound),
        author_json,
        content,
        reply_to,
        at,
        to_json(&DeliveryStatus::Queued, "delivery status")?,
        content_sealed,
        reply_to_sealed,
    ])
    .during(OP)?;
    tx.add_search_text(tx.last_insert_rowid(), text.as_deref())?;
    tx.prepare_cached(
        "UPDATE conversations SET last_activity_at = max(last_activity_at, ?3) WHERE tenant = ?1 AND id = ?2",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), draft.conversation.as_bytes(), at])
    .during(OP)?;
    append(
        tx,
        &Change::new(tenant.clone(), draft.at, ChangeKind::MessageAdded)
            .conversation(draft.conversation)
            .message(draft.id)
            .detail("queued"),
    )?;
    Ok(draft.into_queued_message(tenant.clone(), ChannelAccountId::from_bytes(account)))
}

/// Moves an outbound message's status and, once the platform accepted it, sets its platform
/// id; changes that arrived for that id before (receipts, reactions) then apply. When anything
/// changed, a delivery change with `detail` is logged.
///
/// If the platform's echo of the message was ingested before its id was known here, the echo is
/// the same message seen twice: it is folded into this one (its receipts and reactions kept).
pub(crate) fn update_delivery(
    tx: &WriteTx<'_>,
    tenant: &TenantId,
    id: MessageId,
    status: &DeliveryStatus,
    platform_message_id: Option<&str>,
    detail: &str,
) -> Result<Message> {
    const OP: &str = "sqlite.update_delivery";
    let (raw, account, stored_platform_id) = tx
        .prepare_cached(&format!(
            "SELECT {TARGET_COLUMNS}, account, platform_message_id FROM messages WHERE tenant = ?1 AND id = ?2"
        ))
        .during(OP)?
        .query_row(params![tenant.as_str(), id.as_bytes()], |row| {
            Ok((target_from_row(row)?, row.get::<_, [u8; 16]>(8)?, row.get::<_, Option<String>>(9)?))
        })
        .optional()
        .during(OP)?
        .ok_or_else(|| not_found("message", OP))?;
    let sealer = sealing::current(OP)?;
    // Stored and compared by blind in a sealed inbox (see `MessageKeys`).
    let given_keys = platform_message_id.map(|given| sealer.message_keys(given));
    let account = ChannelAccountId::from_bytes(account);
    let mut target = raw.decode()?;
    let seq = target.seq;
    if target.state.direction != Direction::Outbound {
        return Err(
            Error::new(ErrorKind::InvalidInput, "only outbound messages have a delivery to update").with_operation(OP)
        );
    }
    match (stored_platform_id.as_deref(), platform_message_id) {
        (_, None) => {}
        (Some(stored), Some(_))
            if given_keys.as_ref().is_some_and(|keys| sealer.pending_key(stored) == keys.pending) => {}
        (Some(_), Some(_)) => {
            return Err(Error::new(ErrorKind::Conflict, "the message already has another platform message id")
                .with_operation(OP));
        }
        (None, Some(given)) => {
            if given.is_empty() {
                return Err(Error::new(ErrorKind::InvalidInput, "the platform message id is empty").with_operation(OP));
            }
            let keys = given_keys.unwrap_or_else(|| sealer.message_keys(given));
            if let Some(echo) = find_target(tx, tenant, account, &keys.candidates)? {
                if echo.state.direction != Direction::Outbound {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        "the platform message id belongs to an inbound message",
                    )
                    .with_operation(OP));
                }
                fold_echo(tx, tenant, &mut target, echo)?;
            }
            let (_, given_sealed) = sealer.store(field::MESSAGE_PLATFORM_ID, id.as_bytes(), Some(given))?;
            tx.prepare_cached(
                "UPDATE messages SET platform_message_id = ?3, platform_message_id_sealed = ?4 \
                 WHERE tenant = ?1 AND seq = ?2",
            )
            .during(OP)?
            .execute(params![tenant.as_str(), seq, sealer.new_message_key(&keys), given_sealed])
            .during(OP)?;
            let pending = take_pending(tx, tenant, account, &keys.pending)?;
            apply_pending(tx, tenant, &mut target, pending)?;
        }
    }
    let delivery_before = target.state.delivery.clone();
    apply_delivery(tx, tenant, &mut target, status)?;
    let platform_id_set = stored_platform_id.is_none() && platform_message_id.is_some();
    if platform_id_set || target.state.delivery != delivery_before {
        append(
            tx,
            &Change::new(tenant.clone(), Timestamp::now(), ChangeKind::DeliveryChanged)
                .conversation(target.conversation)
                .message(id)
                .detail(detail),
        )?;
    }
    rows::message(tx, tenant, id, OP)?.ok_or_else(|| not_found("message", OP))
}

/// Folds an ingested echo into the outbound message it echoes, then deletes the echo.
fn fold_echo(tx: &WriteTx<'_>, tenant: &TenantId, target: &mut Target, echo: Target) -> Result<()> {
    const OP: &str = "sqlite.update_delivery";
    apply_delivery(tx, tenant, target, &echo.state.delivery)?;
    let sealer = sealing::current(OP)?;
    for found in reactions::all_rows(tx, tenant, echo.id, OP)? {
        let opened = found.open(&sealer)?;
        apply_reaction(tx, tenant, target.id, &opened.reactor, opened.emoji.as_deref(), found.at, &found.event_id)?;
    }
    let key = params![tenant.as_str(), echo.id.as_bytes()];
    tx.prepare_cached("DELETE FROM reactions WHERE tenant = ?1 AND message = ?2")
        .during(OP)?
        .execute(key)
        .during(OP)?;
    tx.set_search_text(echo.seq, None)?;
    tx.prepare_cached("DELETE FROM messages WHERE tenant = ?1 AND id = ?2").during(OP)?.execute(key).during(OP)?;
    Ok(())
}

/// Adds a note to a conversation of the note's tenant. Adding the same note again is a no-op;
/// another note with the same id is a conflict.
/// Inserts a note's row, its body sealed when the inbox is: 1 if inserted, 0 if a note with its
/// id is already stored. Used by `add_note` and by the restore of an export.
pub(crate) fn insert_note(
    conn: &Connection,
    sealer: &crate::sealing::Sealer,
    note: &InternalNote,
    operation: &'static str,
) -> Result<usize> {
    let (body, body_sealed) = sealer.store_required(field::NOTE_BODY, note.id.as_bytes(), &note.body)?;
    conn.prepare_cached(
        "INSERT INTO notes (id, tenant, conversation, author, body, created_at, body_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
    )
    .during(operation)?
    .execute(params![
        note.id.as_bytes(),
        note.tenant.as_str(),
        note.conversation.as_bytes(),
        note.author.as_str(),
        body,
        note.created_at.as_unix_millis(),
        body_sealed,
    ])
    .during(operation)
}

pub(crate) fn add_note(conn: &Connection, note: &InternalNote) -> Result<()> {
    const OP: &str = "sqlite.add_note";
    if !conversation_exists(conn, &note.tenant, note.conversation, OP)? {
        return Err(not_found("conversation", OP));
    }
    let sealer = sealing::current(OP)?;
    let inserted = insert_note(conn, &sealer, note, OP)?;
    if inserted > 0 {
        append(
            conn,
            &Change::new(note.tenant.clone(), note.created_at, ChangeKind::NoteAdded)
                .conversation(note.conversation)
                .detail(note.id.to_string()),
        )?;
        return Ok(());
    }
    let stored: Option<(String, Option<Vec<u8>>)> = conn
        .prepare_cached(
            "SELECT body, body_sealed FROM notes WHERE id = ?1 AND tenant = ?2 AND conversation = ?3 AND author = ?4 \
             AND created_at = ?5",
        )
        .during(OP)?
        .query_row(
            params![
                note.id.as_bytes(),
                note.tenant.as_str(),
                note.conversation.as_bytes(),
                note.author.as_str(),
                note.created_at.as_unix_millis(),
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .during(OP)?;
    let same = match stored {
        Some((body, sealed)) => sealer.open_required(field::NOTE_BODY, note.id.as_bytes(), body, sealed)? == note.body,
        None => false,
    };
    if same {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Conflict, "another note with this id already exists").with_operation(OP))
    }
}

/// Changes a conversation's workflow fields with [`ConversationUpdate::apply`], so every
/// backend agrees on the details.
pub(crate) fn update_conversation(
    conn: &Connection,
    tenant: &TenantId,
    id: ConversationId,
    update: &ConversationUpdate,
) -> Result<Conversation> {
    const OP: &str = "sqlite.update_conversation";
    let before = rows::conversation(conn, tenant, id, OP)?.ok_or_else(|| not_found("conversation", OP))?;
    let mut conversation = before.clone();
    update.apply(&mut conversation)?;
    conn.prepare_cached(
        "UPDATE conversations SET status = ?3, snoozed_until = ?4, assignee = ?5, unread_count = ?6 \
         WHERE tenant = ?1 AND id = ?2",
    )
    .during(OP)?
    .execute(params![
        tenant.as_str(),
        id.as_bytes(),
        conversation.status.as_str(),
        conversation.snoozed_until.map(|at| at.as_unix_millis()),
        conversation.assignee.as_ref().map(|user| user.as_str()),
        conversation.unread_count,
    ])
    .during(OP)?;
    if update.tags.is_some() {
        conn.prepare_cached("DELETE FROM conversation_tags WHERE tenant = ?1 AND conversation = ?2")
            .during(OP)?
            .execute(params![tenant.as_str(), id.as_bytes()])
            .during(OP)?;
        let mut insert = conn
            .prepare_cached("INSERT INTO conversation_tags (tenant, conversation, tag) VALUES (?1, ?2, ?3)")
            .during(OP)?;
        for tag in &conversation.tags {
            insert.execute(params![tenant.as_str(), id.as_bytes(), tag]).during(OP)?;
        }
    }
    let at = update.at.unwrap_or_else(Timestamp::now);
    append(conn, &unibox_core::analytics::conversation_change(tenant, &before, &conversation, at))?;
    Ok(conversation)
}
