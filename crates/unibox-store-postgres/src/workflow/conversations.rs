//! A conversation's workflow fields, its notes, and assignment within capacity.

use std::collections::HashMap;

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::inbox::ConversationUpdate;
use unibox_core::workflow::{Agent, first_with_room};
use unibox_core::{Conversation, ConversationId, Error, ErrorKind, InternalNote, Result, TenantId, Timestamp, UserId};

use crate::codec::parsed;
use crate::error::PgResultExt;
use crate::pool::{Tx, lock_key};
use crate::reads::rows::{CONVERSATION_COLUMNS, conversation as conversation_row, load_tags};
use crate::reads::{conversation_exists, not_found};
use crate::sealing::{Seal, field};

/// The conversation, its row locked until the transaction ends.
async fn locked(tx: &Tx<'_>, tenant: &TenantId, id: ConversationId, operation: &'static str) -> Result<Conversation> {
    let sql =
        format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.tenant = $1 AND c.id = $2 FOR UPDATE");
    let statement = tx.prepare_cached(&sql).await.during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant.as_str(), &id.as_uuid()]).await.during(operation)?;
    let Some(row) = row else { return Err(not_found("conversation", operation)) };
    let mut found = [conversation_row(&row, tenant, operation)?];
    load_tags(tx, tenant, &mut found, operation).await?;
    let [found] = found;
    Ok(found)
}

/// Changes a conversation's workflow fields with [`ConversationUpdate::apply`] (so every
/// backend agrees on the details) and logs the change.
pub(crate) async fn update(
    tx: &Tx<'_>,
    tenant: &TenantId,
    id: ConversationId,
    update: &ConversationUpdate,
    log: &mut Vec<Change>,
) -> Result<Conversation> {
    const OP: &str = "postgres.update_conversation";
    let before = locked(tx, tenant, id, OP).await?;
    let mut conversation = before.clone();
    update.apply(&mut conversation)?;
    tx.execute(
        "UPDATE conversations SET status = $3, snoozed_until = $4, assignee = $5, unread_count = $6 \
         WHERE tenant = $1 AND id = $2",
        &[
            &tenant.as_str(),
            &id.as_uuid(),
            &conversation.status.as_str(),
            &conversation.snoozed_until.map(|at| at.as_unix_millis()),
            &conversation.assignee.as_ref().map(|user| user.as_str()),
            &i64::from(conversation.unread_count),
        ],
    )
    .await
    .during(OP)?;
    if update.tags.is_some() {
        tx.execute(
            "DELETE FROM conversation_tags WHERE tenant = $1 AND conversation = $2",
            &[&tenant.as_str(), &id.as_uuid()],
        )
        .await
        .during(OP)?;
        tx.execute(
            "INSERT INTO conversation_tags (tenant, conversation, tag) SELECT $1, $2, unnest($3::TEXT[]) \
             ON CONFLICT DO NOTHING",
            &[&tenant.as_str(), &id.as_uuid(), &conversation.tags],
        )
        .await
        .during(OP)?;
    }
    let at = update.at.unwrap_or_else(Timestamp::now);
    log.push(unibox_core::analytics::conversation_change(tenant, &before, &conversation, at));
    Ok(conversation)
}

/// Adds a note (its body sealed) to a conversation of the note's tenant. The same note again
/// changes nothing; another note under its id is a `Conflict`.
pub(crate) async fn add_note(tx: &Tx<'_>, seal: &Seal, note: &InternalNote, log: &mut Vec<Change>) -> Result<()> {
    const OP: &str = "postgres.add_note";
    let tenant = &note.tenant;
    if !conversation_exists(tx, tenant, note.conversation, OP).await? {
        return Err(not_found("conversation", OP));
    }
    let body_sealed = seal.seal(field::NOTE_BODY, note.id.as_bytes(), &note.body)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO notes (tenant, id, conversation, author, body_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, id) DO NOTHING",
        )
        .await
        .during(OP)?;
    let inserted = tx
        .execute(
            &statement,
            &[
                &tenant.as_str(),
                &note.id.as_uuid(),
                &note.conversation.as_uuid(),
                &note.author.as_str(),
                &body_sealed,
                &note.created_at.as_unix_millis(),
            ],
        )
        .await
        .during(OP)?;
    if inserted > 0 {
        log.push(
            Change::new(tenant.clone(), note.created_at, ChangeKind::NoteAdded)
                .conversation(note.conversation)
                .detail(note.id.to_string()),
        );
        return Ok(());
    }
    let stored = tx
        .query_opt(
            "SELECT body_sealed FROM notes WHERE tenant = $1 AND id = $2 AND conversation = $3 AND author = $4 \
             AND created_at = $5",
            &[
                &tenant.as_str(),
                &note.id.as_uuid(),
                &note.conversation.as_uuid(),
                &note.author.as_str(),
                &note.created_at.as_unix_millis(),
            ],
        )
        .await
        .during(OP)?;
    let same = match stored {
        Some(row) => seal.open(field::NOTE_BODY, note.id.as_bytes(), row.get(0))? == note.body,
        None => false,
    };
    if same {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Conflict, "another note with this id already exists").with_operation(OP))
    }
}

/// How many open or pending conversations each assignee works.
pub(crate) async fn open_assignments(
    tx: &Tx<'_>,
    tenant: &TenantId,
    operation: &'static str,
) -> Result<HashMap<UserId, u32>> {
    let statement = tx
        .prepare_cached(
            "SELECT assignee, count(*) FROM conversations \
             WHERE tenant = $1 AND assignee IS NOT NULL AND status IN ('open', 'pending') GROUP BY assignee",
        )
        .await
        .during(operation)?;
    tx.query(&statement, &[&tenant.as_str()])
        .await
        .during(operation)?
        .iter()
        .map(|row| {
            let user = parsed(row.get(0), operation, "assignee", |s| UserId::new(s))?;
            Ok((user, u32::try_from(row.get::<_, i64>(1)).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Assigns an unassigned conversation to the first candidate with room. The tenant's
/// assignments are serialised by an advisory lock taken first, so the count and the assignment
/// happen together for every process: concurrent calls never take an agent past capacity.
pub(crate) async fn assign_within_capacity(
    tx: &Tx<'_>,
    tenant: &TenantId,
    id: ConversationId,
    candidates: &[Agent],
    at: Timestamp,
    log: &mut Vec<Change>,
) -> Result<Option<Conversation>> {
    const OP: &str = "postgres.assign_within_capacity";
    lock_key(tx, &format!("unibox.assign\u{1f}{tenant}"), OP).await?;
    let conversation = locked(tx, tenant, id, OP).await?;
    if let Some(current) = &conversation.assignee {
        return Err(Error::new(ErrorKind::Conflict, format!("the conversation is already assigned to {current}"))
            .with_operation(OP));
    }
    let open = open_assignments(tx, tenant, OP).await?;
    let chosen = first_with_room(candidates, |user| Ok(open.get(user).copied().unwrap_or(0)))?;
    let Some(user) = chosen else { return Ok(None) };
    update(tx, tenant, id, &ConversationUpdate::new().assign(user).at(at), log).await.map(Some)
}
