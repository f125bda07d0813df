//! Read markers per agent, and the assignment counts automatic assignment needs.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::changes::{Change, ChangeKind};
use unibox_core::inbox::ConversationUpdate;
use unibox_core::workflow::{Agent, ReadState, first_with_room};
use unibox_core::{Conversation, ConversationId, Direction, Error, ErrorKind, Result, TenantId, Timestamp, UserId};

use crate::codec::{direction_key, parsed_column};
use crate::error::SqlResultExt;
use crate::queries::{conversation_exists, not_found};
use crate::{changes, outbound, rows};

pub(crate) fn mark_read_by(
    conn: &Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    user: &UserId,
    up_to: Timestamp,
) -> Result<ReadState> {
    const OP: &str = "sqlite.mark_read_by";
    if !conversation_exists(conn, tenant, conversation, OP)? {
        return Err(not_found("conversation", OP));
    }
    // A marker never moves back: a late "read" from another device keeps the newer one.
    conn.prepare_cached(
        "INSERT INTO read_markers (tenant, conversation, user_id, read_up_to) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (tenant, conversation, user_id) DO UPDATE SET read_up_to = max(read_up_to, excluded.read_up_to)",
    )
    .during(OP)?
    .execute(params![tenant.as_str(), conversation.as_bytes(), user.as_str(), up_to.as_unix_millis()])
    .during(OP)?;
    conn.prepare_cached("UPDATE conversations SET unread_count = 0 WHERE tenant = ?1 AND id = ?2")
        .during(OP)?
        .execute(params![tenant.as_str(), conversation.as_bytes()])
        .during(OP)?;
    let change = Change::new(tenant.clone(), Timestamp::now(), ChangeKind::ConversationChanged)
        .conversation(conversation)
        .detail("read");
    changes::append(conn, &change)?;
    read_state(conn, tenant, conversation, user, OP)
}

pub(crate) fn read_states(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    conversations: &[ConversationId],
) -> Result<Vec<ReadState>> {
    const OP: &str = "sqlite.read_states";
    conversations
        .iter()
        .map(|conversation| {
            if !conversation_exists(conn, tenant, *conversation, OP)? {
                return Err(not_found("conversation", OP));
            }
            read_state(conn, tenant, *conversation, user, OP)
        })
        .collect()
}

/// One agent's state: the marker, and the inbound messages after it (a range of the
/// (tenant, conversation, sent_at, id) index).
fn read_state(
    conn: &Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    user: &UserId,
    operation: &'static str,
) -> Result<ReadState> {
    let read_up_to: Option<i64> = conn
        .prepare_cached("SELECT read_up_to FROM read_markers WHERE tenant = ?1 AND conversation = ?2 AND user_id = ?3")
        .during(operation)?
        .query_row(params![tenant.as_str(), conversation.as_bytes(), user.as_str()], |row| row.get(0))
        .optional()
        .during(operation)?;
    let unread: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM messages WHERE tenant = ?1 AND conversation = ?2 AND sent_at > ?3 AND direction = ?4",
        )
        .during(operation)?
        .query_row(
            params![
                tenant.as_str(),
                conversation.as_bytes(),
                read_up_to.unwrap_or(i64::MIN),
                direction_key(Direction::Inbound)
            ],
            |row| row.get(0),
        )
        .during(operation)?;
    Ok(ReadState {
        conversation,
        user: user.clone(),
        read_up_to: read_up_to.map(Timestamp::from_unix_millis),
        unread: u32::try_from(unread).unwrap_or(u32::MAX),
    })
}

pub(crate) fn open_assignments(conn: &Connection, tenant: &TenantId) -> Result<HashMap<UserId, u32>> {
    const OP: &str = "sqlite.open_assignments";
    let mut statement = conn
        .prepare_cached(
            "SELECT assignee, count(*) FROM conversations \
             WHERE tenant = ?1 AND assignee IS NOT NULL AND status IN ('open', 'pending') GROUP BY assignee",
        )
        .during(OP)?;
    let rows = statement
        .query_map(params![tenant.as_str()], |row| {
            let user = parsed_column(row, 0, |s| UserId::new(s))?;
            let count: i64 = row.get(1)?;
            Ok((user, u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .during(OP)?;
    rows.collect::<rusqlite::Result<HashMap<_, _>>>().during(OP)
}

/// Assigns an unassigned conversation to the first candidate with room, counting their open or
/// pending conversations in the same write transaction as the assignment: on the writer, no
/// other assignment can come between the count and the update.
pub(crate) fn assign_within_capacity(
    conn: &Connection,
    tenant: &TenantId,
    id: ConversationId,
    candidates: &[Agent],
    at: Timestamp,
) -> Result<Option<Conversation>> {
    const OP: &str = "sqlite.assign_within_capacity";
    let conversation = rows::conversation(conn, tenant, id, OP)?.ok_or_else(|| not_found("conversation", OP))?;
    if let Some(current) = &conversation.assignee {
        return Err(Error::new(ErrorKind::Conflict, format!("the conversation is already assigned to {current}"))
            .with_operation(OP));
    }
    let chosen = first_with_room(candidates, |user| open_count(conn, tenant, user, OP))?;
    let Some(user) = chosen else { return Ok(None) };
    outbound::update_conversation(conn, tenant, id, &ConversationUpdate::new().assign(user).at(at)).map(Some)
}

/// One assignee's open or pending conversations (the `conversations_by_assignee` index).
fn open_count(conn: &Connection, tenant: &TenantId, user: &UserId, operation: &'static str) -> Result<u32> {
    let count: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM conversations WHERE tenant = ?1 AND assignee = ?2 AND status IN ('open', 'pending')",
        )
        .during(operation)?
        .query_row(params![tenant.as_str(), user.as_str()], |row| row.get(0))
        .during(operation)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}
