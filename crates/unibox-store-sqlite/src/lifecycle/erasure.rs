//! Erasure's statements: a contact (right to be forgotten) and a whole tenant, a batch at a time.

use rusqlite::{Connection, params};
use unibox_core::lifecycle::ErasureStep;
use unibox_core::{ContactId, Result, TenantId};

use super::retention::delete_message;
use super::tables::TENANT_DELETION;
use crate::error::SqlResultExt;
use crate::rows::identity_row;
use crate::sealing::cells::{field, index};
use crate::sealing::{self, Sealer};

/// The contact's conversations, as a subquery on `?1` (tenant) and `?2` (contact).
const CONVERSATIONS: &str = "(SELECT id FROM conversations WHERE tenant = ?1 AND contact = ?2)";

/// Up to `limit` messages of the contact's conversations; once none is left, the rest of the
/// contact in the same transaction (a few rows per conversation and identity).
pub(crate) fn erase_contact(
    conn: &Connection,
    tenant: &TenantId,
    contact: ContactId,
    limit: usize,
) -> Result<ErasureStep> {
    const OP: &str = "sqlite.lifecycle.erase_contact";
    let (t, c) = (tenant.as_str(), contact.as_bytes().as_slice());
    let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
    let messages: Vec<[u8; 16]> = {
        let mut statement = conn
            .prepare_cached(&format!(
                "SELECT id FROM messages WHERE tenant = ?1 AND conversation IN {CONVERSATIONS} LIMIT ?3"
            ))
            .during(OP)?;
        let rows = statement.query_map(params![t, c, limit_sql], |row| row.get(0)).during(OP)?;
        rows.collect::<rusqlite::Result<_>>().during(OP)?
    };
    let mut rows = 0u64;
    for id in &messages {
        rows += u64::from(delete_message(conn, tenant, id)?);
    }
    if messages.len() >= limit {
        return Ok(ErasureStep { rows, done: false });
    }
    // Of its conversations.
    for table in ["notes", "conversation_tags", "read_markers", "ai_control", "analytics_tracks"] {
        rows += conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE tenant = ?1 AND conversation IN {CONVERSATIONS}"))
            .during(OP)?
            .execute(params![t, c])
            .during(OP)? as u64;
    }
    rows += conn
        .prepare_cached(&format!("DELETE FROM outbox WHERE tenant = ?1 AND conversation IN {CONVERSATIONS}"))
        .during(OP)?
        .execute(params![t, c])
        .during(OP)? as u64;
    rows += conn
        .prepare_cached(&format!("DELETE FROM changes WHERE tenant = ?1 AND conversation IN {CONVERSATIONS}"))
        .during(OP)?
        .execute(params![t, c])
        .during(OP)? as u64;
    rows += conn
        .prepare_cached("DELETE FROM conversations WHERE tenant = ?1 AND contact = ?2")
        .during(OP)?
        .execute(params![t, c])
        .during(OP)? as u64;
    // Rows naming one of its identities: orders it bought, events and pending changes it sent,
    // reactions it placed on messages of other conversations (a group chat).
    // In a sealed inbox the identity's value is its blind (the sealed copy beside it opens to the
    // value), an order's buyer is a blind of another index, and payloads are sealed: each is
    // opened with the tenant's sealer and matched in memory.
    let sealer = sealing::current(OP)?;
    let identities: Vec<([u8; 16], String, String)> = {
        let mut statement = conn
            .prepare_cached(
                "SELECT account, kind, value, value_sealed FROM contact_identities WHERE tenant = ?1 AND contact = ?2",
            )
            .during(OP)?;
        let found = statement
            .query_map(params![t, c], |row| {
                Ok((
                    row.get::<_, [u8; 16]>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .during(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .during(OP)?;
        let mut opened = Vec::with_capacity(found.len());
        for (account, kind, key, sealed) in found {
            let row = identity_row(&account, &kind, &key);
            let value = sealer.open_required(field::IDENTITY_VALUE, &row, key, sealed)?;
            opened.push((account, kind, value));
        }
        opened
    };
    for (account, kind, value) in &identities {
        let buyer = crate::orders::buyer_lookup(&sealer, kind, value);
        rows += conn
            .prepare_cached(
                "DELETE FROM orders WHERE tenant = ?1 AND account = ?2 AND buyer_kind = ?3 AND buyer_id = ?4",
            )
            .during(OP)?
            .execute(params![t, account.as_slice(), kind, buyer])
            .during(OP)? as u64;
        rows += naming_events(conn, &sealer, t, account, value)?;
        rows += naming_pending(conn, &sealer, t, account, value)?;
        // Its edits and unsends waiting for their message (their payload does not name it).
        rows += conn
            .prepare_cached(
                "DELETE FROM pending_actions WHERE tenant = ?1 AND account = ?2 AND author = ?3 \
                 AND kind IN ('edit', 'unsend')",
            )
            .during(OP)?
            .execute(params![t, account.as_slice(), sealer.lookup(index::CHANGE_AUTHOR, value)])
            .during(OP)? as u64;
        rows += crate::reactions::delete_by_reactor(conn, &sealer, t, account, value, OP)?;
    }
    // The contact itself.
    for table in ["contact_attributes", "privacy_user_links", "contact_identities"] {
        rows += conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE tenant = ?1 AND contact = ?2"))
            .during(OP)?
            .execute(params![t, c])
            .during(OP)? as u64;
    }
    rows += conn
        .prepare_cached("DELETE FROM contacts WHERE tenant = ?1 AND id = ?2")
        .during(OP)?
        .execute(params![t, c])
        .during(OP)? as u64;
    Ok(ErasureStep { rows, done: true })
}

/// Deletes the event-log rows of `account` whose payload (opened when sealed) names `value`.
fn naming_events(conn: &Connection, sealer: &Sealer, tenant: &str, account: &[u8; 16], value: &str) -> Result<u64> {
    const OP: &str = "sqlite.lifecycle.erase_contact";
    if !sealer.is_sealed() {
        return Ok(conn
            .prepare_cached("DELETE FROM events WHERE tenant = ?1 AND account = ?2 AND instr(payload, ?3) > 0")
            .during(OP)?
            .execute(params![tenant, account.as_slice(), value])
            .during(OP)? as u64);
    }
    let stored: Vec<(String, Option<String>, Option<Vec<u8>>)> = conn
        .prepare_cached(
            "SELECT event_id, payload, payload_sealed FROM events WHERE tenant = ?1 AND account = ?2 \
             AND (payload_sealed IS NOT NULL OR payload IS NOT NULL)",
        )
        .during(OP)?
        .query_map(params![tenant, account.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .during(OP)?
        .collect::<rusqlite::Result<_>>()
        .during(OP)?;
    let account_id = unibox_core::ChannelAccountId::from_bytes(*account);
    let mut deleted = 0u64;
    for (event_id, payload, sealed) in stored {
        let row = crate::ingest::event_row(account_id, &event_id);
        let opened = sealer.open(field::EVENT_PAYLOAD, &row, payload, sealed)?;
        if opened.is_some_and(|payload| payload.contains(value)) {
            deleted += conn
                .prepare_cached("DELETE FROM events WHERE tenant = ?1 AND account = ?2 AND event_id = ?3")
                .during(OP)?
                .execute(params![tenant, account.as_slice(), event_id])
                .during(OP)? as u64;
        }
    }
    Ok(deleted)
}

/// Deletes the pending changes of `account` whose payload (opened when sealed) names `value`.
fn naming_pending(conn: &Connection, sealer: &Sealer, tenant: &str, account: &[u8; 16], value: &str) -> Result<u64> {
    const OP: &str = "sqlite.lifecycle.erase_contact";
    if !sealer.is_sealed() {
        return Ok(conn
            .prepare_cached("DELETE FROM pending_actions WHERE tenant = ?1 AND account = ?2 AND instr(payload, ?3) > 0")
            .during(OP)?
            .execute(params![tenant, account.as_slice(), value])
            .during(OP)? as u64);
    }
    let stored: Vec<(String, String, String, Option<Vec<u8>>)> = conn
        .prepare_cached(
            "SELECT platform_message_id, event_id, payload, payload_sealed FROM pending_actions \
             WHERE tenant = ?1 AND account = ?2",
        )
        .during(OP)?
        .query_map(params![tenant, account.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .during(OP)?
        .collect::<rusqlite::Result<_>>()
        .during(OP)?;
    let account_id = unibox_core::ChannelAccountId::from_bytes(*account);
    let mut deleted = 0u64;
    for (platform_message_id, event_id, payload, sealed) in stored {
        let row = crate::apply::pending_row(account_id, &platform_message_id, &event_id);
        if sealer.open_required(field::PENDING_PAYLOAD, &row, payload, sealed)?.contains(value) {
            deleted += conn
                .prepare_cached(
                    "DELETE FROM pending_actions WHERE tenant = ?1 AND account = ?2 \
                     AND platform_message_id = ?3 AND event_id = ?4",
                )
                .during(OP)?
                .execute(params![tenant, account.as_slice(), platform_message_id, event_id])
                .during(OP)? as u64;
        }
    }
    Ok(deleted)
}

/// Up to about `limit` of the tenant's rows, table by table in [`TENANT_DELETION`] order.
pub(crate) fn delete_tenant(conn: &Connection, tenant: &TenantId, limit: usize) -> Result<ErasureStep> {
    const OP: &str = "sqlite.lifecycle.delete_tenant";
    let t = tenant.as_str();
    let mut budget = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
    let mut rows = 0u64;
    for table in TENANT_DELETION {
        if budget == 0 {
            return Ok(ErasureStep { rows, done: false });
        }
        let deleted = if table.name == "messages" {
            for index in ["message_search", "message_terms"] {
                conn.prepare_cached(&format!(
                    "DELETE FROM {index} WHERE rowid IN (SELECT seq FROM messages WHERE tenant = ?1 LIMIT ?2)"
                ))
                .during(OP)?
                .execute(params![t, budget])
                .during(OP)?;
            }
            conn.prepare_cached(
                "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE tenant = ?1 LIMIT ?2)",
            )
            .during(OP)?
            .execute(params![t, budget])
            .during(OP)?
        } else {
            let (name, key) = (table.name, table.key);
            conn.prepare_cached(&format!(
                "DELETE FROM {name} WHERE tenant = ?1 AND ({key}) IN (SELECT {key} FROM {name} WHERE tenant = ?1 LIMIT ?2)"
            ))
            .during(OP)?
            .execute(params![t, budget])
            .during(OP)?
        };
        rows += deleted as u64;
        budget -= i64::try_from(deleted).unwrap_or(budget);
    }
    Ok(ErasureStep { rows, done: budget > 0 })
}
