//! Retention's statements: listing expired messages and notes, deleting records with what
//! derives from them, purging the logs.

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::lifecycle::{ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef};
use unibox_core::{ChannelId, ContactId, ConversationId, MessageId, NoteId, Result, TenantId, Timestamp};

use crate::error::{SqlResultExt, corrupt};

pub(crate) fn expired(
    conn: &Connection,
    tenant: &TenantId,
    kind: RecordKind,
    before: Timestamp,
    after: Option<ExpiredCursor>,
    limit: usize,
) -> Result<Vec<ExpiredRecord>> {
    const OP: &str = "sqlite.lifecycle.expired";
    let sql = match kind {
        RecordKind::Message => {
            "SELECT r.id, r.conversation, c.contact, a.channel, r.sent_at FROM messages r \
             JOIN conversations c ON c.id = r.conversation JOIN accounts a ON a.id = c.account \
             WHERE r.tenant = ?1 AND r.sent_at < ?2 AND (r.sent_at, r.id) > (?3, ?4) \
             ORDER BY r.sent_at, r.id LIMIT ?5"
        }
        RecordKind::Note => {
            "SELECT r.id, r.conversation, c.contact, a.channel, r.created_at FROM notes r \
             JOIN conversations c ON c.id = r.conversation JOIN accounts a ON a.id = c.account \
             WHERE r.tenant = ?1 AND r.created_at < ?2 AND (r.created_at, r.id) > (?3, ?4) \
             ORDER BY r.created_at, r.id LIMIT ?5"
        }
    };
    let (after_at, after_id) = match after {
        Some(cursor) => (cursor.at.as_unix_millis(), cursor.id.to_vec()),
        None => (i64::MIN, Vec::new()),
    };
    let mut statement = conn.prepare_cached(sql).during(OP)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                before.as_unix_millis(),
                after_at,
                after_id,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |row| {
                Ok((
                    row.get::<_, [u8; 16]>(0)?,
                    row.get::<_, [u8; 16]>(1)?,
                    row.get::<_, [u8; 16]>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            },
        )
        .during(OP)?;
    let mut found = Vec::new();
    for row in rows {
        let (id, conversation, contact, channel, at) = row.during(OP)?;
        found.push(ExpiredRecord {
            record: match kind {
                RecordKind::Message => RecordRef::Message(MessageId::from_bytes(id)),
                RecordKind::Note => RecordRef::Note(NoteId::from_bytes(id)),
            },
            conversation: ConversationId::from_bytes(conversation),
            contact: ContactId::from_bytes(contact),
            channel: ChannelId::new(&channel).map_err(|_| corrupt(OP, "account channel"))?,
            at: Timestamp::from_unix_millis(at),
        });
    }
    Ok(found)
}

/// Deletes one message and everything derived from it: its search text, reactions, outbox
/// job, change-log rows and changes waiting for it. Returns whether it existed.
pub(crate) fn delete_message(conn: &Connection, tenant: &TenantId, id: &[u8; 16]) -> Result<bool> {
    const OP: &str = "sqlite.lifecycle.delete_message";
    let found: Option<(i64, Vec<u8>, Option<String>)> = conn
        .prepare_cached("SELECT seq, account, platform_message_id FROM messages WHERE tenant = ?1 AND id = ?2")
        .during(OP)?
        .query_row(params![tenant.as_str(), id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()
        .during(OP)?;
    let Some((seq, account, platform_id)) = found else { return Ok(false) };
    // Both search indexes: the plaintext one (a plain inbox) and the blind one (a sealed inbox).
    conn.prepare_cached("DELETE FROM message_search WHERE rowid = ?1").during(OP)?.execute([seq]).during(OP)?;
    conn.prepare_cached("DELETE FROM message_terms WHERE rowid = ?1").during(OP)?.execute([seq]).during(OP)?;
    conn.prepare_cached("DELETE FROM reactions WHERE tenant = ?1 AND message = ?2")
        .during(OP)?
        .execute(params![tenant.as_str(), id])
        .during(OP)?;
    conn.prepare_cached("DELETE FROM outbox WHERE message = ?1 AND tenant = ?2")
        .during(OP)?
        .execute(params![id, tenant.as_str()])
        .during(OP)?;
    if let Some(stored) = platform_id {
        // Changes waiting for a message are keyed by its bare blind in a sealed file.
        let platform_id = match crate::sealing::mode::is_sealed(conn)? {
            true => crate::sealing::message_ids::bare_blind(&stored),
            false => stored.as_str(),
        };
        conn.prepare_cached(
            "DELETE FROM pending_actions WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3",
        )
        .during(OP)?
        .execute(params![tenant.as_str(), account, platform_id])
        .during(OP)?;
    }
    conn.prepare_cached("DELETE FROM messages WHERE seq = ?1").during(OP)?.execute([seq]).during(OP)?;
    Ok(true)
}

pub(crate) fn delete_records(conn: &Connection, tenant: &TenantId, records: &[RecordRef]) -> Result<u64> {
    const OP: &str = "sqlite.lifecycle.delete_records";
    let mut deleted = 0u64;
    for record in records {
        let gone = match record {
            RecordRef::Message(id) => delete_message(conn, tenant, id.as_bytes())?,
            RecordRef::Note(id) => {
                conn.prepare_cached("DELETE FROM notes WHERE tenant = ?1 AND id = ?2")
                    .during(OP)?
                    .execute(params![tenant.as_str(), id.as_bytes()])
                    .during(OP)?
                    > 0
            }
        };
        deleted += u64::from(gone);
    }
    // The change log names the deleted messages; their rows go by time in `purge_logs` (the log
    // has no index by message, and it holds ids, not content).
    Ok(deleted)
}

/// Up to `limit` rows of each log from before `before` (or, dry run, the count of all).
pub(crate) fn purge_logs(
    conn: &Connection,
    tenant: &TenantId,
    before: Timestamp,
    limit: usize,
    dry_run: bool,
) -> Result<PurgeCounts> {
    const OP: &str = "sqlite.lifecycle.purge_logs";
    let (tenant, before, limit) = (tenant.as_str(), before.as_unix_millis(), i64::try_from(limit).unwrap_or(i64::MAX));
    if dry_run {
        let count = |sql: &str| -> Result<u64> {
            let n: i64 =
                conn.prepare_cached(sql).during(OP)?.query_row(params![tenant, before], |r| r.get(0)).during(OP)?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        return Ok(PurgeCounts {
            events: count("SELECT count(*) FROM events WHERE tenant = ?1 AND received_at < ?2")?,
            pending_actions: count("SELECT count(*) FROM pending_actions WHERE tenant = ?1 AND at < ?2")?,
            changes: count("SELECT count(*) FROM changes WHERE tenant = ?1 AND at < ?2")?,
            ..PurgeCounts::default()
        });
    }
    let events = conn
        .prepare_cached(
            "DELETE FROM events WHERE tenant = ?1 AND (account, event_id) IN \
             (SELECT account, event_id FROM events WHERE tenant = ?1 AND received_at < ?2 ORDER BY received_at LIMIT ?3)",
        )
        .during(OP)?
        .execute(params![tenant, before, limit])
        .during(OP)?;
    let pending_actions = conn
        .prepare_cached(
            "DELETE FROM pending_actions WHERE tenant = ?1 AND (account, platform_message_id, event_id) IN \
             (SELECT account, platform_message_id, event_id FROM pending_actions WHERE tenant = ?1 AND at < ?2 LIMIT ?3)",
        )
        .during(OP)?
        .execute(params![tenant, before, limit])
        .during(OP)?;
    // Positions grow with time: the oldest positions are the expired ones.
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT max(position) FROM (SELECT position FROM changes WHERE tenant = ?1 AND at < ?2 ORDER BY position LIMIT ?3)",
        )
        .during(OP)?
        .query_row(params![tenant, before, limit], |row| row.get(0))
        .during(OP)?;
    let mut changes = 0;
    if let Some(last) = last {
        changes = conn
            .prepare_cached("DELETE FROM changes WHERE tenant = ?1 AND position <= ?2 AND at < ?3")
            .during(OP)?
            .execute(params![tenant, last, before])
            .during(OP)?;
        // Readers behind the purged rows are told they missed changes, as after a trim.
        conn.prepare_cached(
            "INSERT INTO change_trims (tenant, through) VALUES (?1, ?2) \
             ON CONFLICT (tenant) DO UPDATE SET through = max(through, excluded.through)",
        )
        .during(OP)?
        .execute(params![tenant, last])
        .during(OP)?;
    }
    Ok(PurgeCounts {
        events: events as u64,
        pending_actions: pending_actions as u64,
        changes: changes as u64,
        ..PurgeCounts::default()
    })
}
