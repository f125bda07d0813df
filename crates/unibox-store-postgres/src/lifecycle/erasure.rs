//! Erasure's statements: a contact (right to be forgotten) and a whole tenant, a batch per
//! transaction.

use unibox_core::lifecycle::ErasureStep;
use unibox_core::{ChannelAccountId, ContactId, Error, ErrorKind, Result, TenantId};
use uuid::Uuid;

use super::retention::delete_messages;
use super::tables::{CREDITS, TENANT_DELETION};
use crate::error::PgResultExt;
use crate::ingest::store::identity_key_lock;
use crate::pool::{Tx, lock_keys_in_order};
use crate::rows::buyer_lookup;
use crate::rows::{event_row, identity_row, pending_row};
use crate::sealing::{Seal, field, index};

/// The contact's conversations, as a subquery on `$1` (tenant) and `$2` (contact).
const CONVERSATIONS: &str = "(SELECT id FROM conversations WHERE tenant = $1 AND contact = $2)";

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Up to `limit` messages of the contact's conversations; once none is left, the rest of the
/// contact in the same transaction (a few rows per conversation and identity).
pub(crate) async fn erase_contact(
    tx: &Tx<'_>,
    seal: &Seal,
    tenant: &TenantId,
    contact: ContactId,
    limit: usize,
) -> Result<ErasureStep> {
    const OP: &str = "postgres.lifecycle.erase_contact";
    let (t, c) = (tenant.as_str(), contact.as_uuid());
    let statement = tx
        .prepare_cached(&format!(
            "SELECT id FROM messages WHERE tenant = $1 AND conversation IN {CONVERSATIONS} ORDER BY id LIMIT $3"
        ))
        .await
        .during(OP)?;
    let messages: Vec<Uuid> =
        tx.query(&statement, &[&t, &c, &limit_sql(limit)]).await.during(OP)?.iter().map(|row| row.get(0)).collect();
    let mut rows = delete_messages(tx, tenant, &messages).await?;
    if messages.len() >= limit {
        return Ok(ErasureStep { rows, done: false });
    }
    // The last batch. The identity value is stored as its blind with a sealed copy: opened here,
    // for the rows below that name it.
    let statement = tx
        .prepare_cached(
            "SELECT account, kind, value, value_sealed FROM contact_identities WHERE tenant = $1 AND contact = $2",
        )
        .await
        .during(OP)?;
    let mut identities = Vec::new();
    let mut locks = Vec::new();
    for row in tx.query(&statement, &[&t, &c]).await.during(OP)? {
        let (account, kind, lookup): (Uuid, String, String) = (row.get(0), row.get(1), row.get(2));
        let value = seal.open(field::IDENTITY_VALUE, &identity_row(account.as_bytes(), &kind, &lookup), row.get(3))?;
        locks.push(identity_key_lock(tenant, ChannelAccountId::from_uuid(account), &kind, &lookup));
        identities.push((account, kind, value));
    }
    // Ingest in another process holds an identity's lock from before it looks the contact up
    // until it commits. Taking the person's locks keeps new messages out until this transaction
    // commits (they then make a new contact), and a message stored since the read above was
    // committed before the lock was granted, so the next read sees it: erased with the rest.
    lock_keys_in_order(tx, &locks, OP).await?;
    let statement_all = tx
        .prepare_cached(&format!("SELECT id FROM messages WHERE tenant = $1 AND conversation IN {CONVERSATIONS}"))
        .await
        .during(OP)?;
    let raced: Vec<Uuid> = tx.query(&statement_all, &[&t, &c]).await.during(OP)?.iter().map(|row| row.get(0)).collect();
    rows += delete_messages(tx, tenant, &raced).await?;
    // Of its conversations (the change log's rows of them too: they name the conversation).
    for table in ["notes", "conversation_tags", "read_markers", "ai_control", "analytics_tracks", "outbox", "changes"] {
        let statement = tx
            .prepare_cached(&format!("DELETE FROM {table} WHERE tenant = $1 AND conversation IN {CONVERSATIONS}"))
            .await
            .during(OP)?;
        rows += tx.execute(&statement, &[&t, &c]).await.during(OP)?;
    }
    let statement =
        tx.prepare_cached("DELETE FROM conversations WHERE tenant = $1 AND contact = $2").await.during(OP)?;
    rows += tx.execute(&statement, &[&t, &c]).await.during(OP)?;
    // Rows naming one of its identities: orders it bought, events and pending changes it sent,
    // reactions it placed on messages of other conversations (a group chat), looked up by the
    // blind of each index, or matched in the opened payloads.
    for (account, kind, value) in &identities {
        let statement = tx
            .prepare_cached(
                "DELETE FROM orders WHERE tenant = $1 AND account = $2 AND buyer_kind = $3 AND buyer_id = $4",
            )
            .await
            .during(OP)?;
        rows += tx.execute(&statement, &[&t, account, kind, &buyer_lookup(seal, kind, value)]).await.during(OP)?;
        let statement = tx
            .prepare_cached(
                "DELETE FROM reactions r WHERE r.tenant = $1 AND r.reactor = $2 AND EXISTS \
                 (SELECT 1 FROM messages m WHERE m.tenant = $1 AND m.id = r.message AND m.account = $3)",
            )
            .await
            .during(OP)?;
        rows += tx.execute(&statement, &[&t, &seal.lookup(index::REACTOR, value), account]).await.during(OP)?;
        rows += naming_events(tx, seal, t, *account, value).await?;
        rows += naming_pending(tx, seal, t, *account, value).await?;
    }
    // The contact itself.
    for sql in [
        "DELETE FROM contact_attributes WHERE tenant = $1 AND contact = $2",
        "DELETE FROM privacy_user_links WHERE tenant = $1 AND contact = $2",
        "DELETE FROM contact_identities WHERE tenant = $1 AND contact = $2",
        "DELETE FROM contacts WHERE tenant = $1 AND id = $2",
    ] {
        let statement = tx.prepare_cached(sql).await.during(OP)?;
        rows += tx.execute(&statement, &[&t, &c]).await.during(OP)?;
    }
    Ok(ErasureStep { rows, done: true })
}

/// Deletes the event-log rows of `account` whose sealed payload (events without a table of
/// their own) names `value`.
async fn naming_events(tx: &Tx<'_>, seal: &Seal, tenant: &str, account: Uuid, value: &str) -> Result<u64> {
    const OP: &str = "postgres.lifecycle.erase_contact";
    let statement = tx
        .prepare_cached(
            "SELECT event_id, payload_sealed FROM events WHERE tenant = $1 AND account = $2 \
             AND payload_sealed IS NOT NULL",
        )
        .await
        .during(OP)?;
    let account_id = ChannelAccountId::from_uuid(account);
    let mut naming = Vec::new();
    for row in tx.query(&statement, &[&tenant, &account]).await.during(OP)? {
        let event_id: String = row.get(0);
        let payload = seal.open(field::EVENT_PAYLOAD, &event_row(account_id, &event_id), row.get(1))?;
        if payload.contains(value) {
            naming.push(event_id);
        }
    }
    if naming.is_empty() {
        return Ok(0);
    }
    let statement = tx
        .prepare_cached("DELETE FROM events WHERE tenant = $1 AND account = $2 AND event_id = ANY($3)")
        .await
        .during(OP)?;
    tx.execute(&statement, &[&tenant, &account, &naming]).await.during(OP)
}

/// Deletes the pending changes of `account` whose sealed payload names `value` (a reaction it
/// placed on a message not stored yet, among others) or whose author is `value` (its edits and
/// unsends waiting for their message, found by the author's blind).
async fn naming_pending(tx: &Tx<'_>, seal: &Seal, tenant: &str, account: Uuid, value: &str) -> Result<u64> {
    const OP: &str = "postgres.lifecycle.erase_contact";
    let statement = tx
        .prepare_cached(
            "SELECT platform_message_id, event_id, payload, payload_sealed, author FROM pending_actions \
             WHERE tenant = $1 AND account = $2",
        )
        .await
        .during(OP)?;
    let account_id = ChannelAccountId::from_uuid(account);
    let author = seal.lookup(index::CHANGE_AUTHOR, value);
    let (mut platform_ids, mut event_ids) = (Vec::new(), Vec::new());
    for row in tx.query(&statement, &[&tenant, &account]).await.during(OP)? {
        let (platform_id, event_id): (String, String) = (row.get(0), row.get(1));
        if row.get::<_, Option<String>>(4).as_deref() == Some(author.as_str()) {
            platform_ids.push(platform_id);
            event_ids.push(event_id);
            continue;
        }
        let payload = match row.get::<_, Option<Vec<u8>>>(3) {
            Some(sealed) => {
                seal.open(field::PENDING_PAYLOAD, &pending_row(account_id, &platform_id, &event_id), &sealed)?
            }
            None => row.get(2),
        };
        if payload.contains(value) {
            platform_ids.push(platform_id);
            event_ids.push(event_id);
        }
    }
    if platform_ids.is_empty() {
        return Ok(0);
    }
    let statement = tx
        .prepare_cached(
            "DELETE FROM pending_actions p USING unnest($3::text[], $4::text[]) AS gone (platform_id, event_id) \
             WHERE p.tenant = $1 AND p.account = $2 AND p.platform_message_id = gone.platform_id \
             AND p.event_id = gone.event_id",
        )
        .await
        .during(OP)?;
    tx.execute(&statement, &[&tenant, &account, &platform_ids, &event_ids]).await.during(OP)
}

/// Up to about `limit` of the tenant's rows, table by table in [`TENANT_DELETION`] order.
pub(crate) async fn delete_tenant(tx: &Tx<'_>, tenant: &TenantId, limit: usize) -> Result<ErasureStep> {
    const OP: &str = "postgres.lifecycle.delete_tenant";
    let t = tenant.as_str();
    let mut budget = limit_sql(limit.max(1));
    let mut rows = 0u64;
    for table in TENANT_DELETION {
        if budget == 0 {
            return Ok(ErasureStep { rows, done: false });
        }
        let deleted = if table.name == CREDITS {
            // Append-only for every other write: only the owner's function deletes, and only
            // while the tenant's deletion is pending (said here as a typed error, not as the
            // function's refusal).
            let statement = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM credit_entries WHERE tenant = $1) AND NOT EXISTS \
                     (SELECT 1 FROM privacy_requests WHERE tenant = $1 AND kind = 'tenant_deletion' \
                      AND status_name <> 'completed')",
                )
                .await
                .during(OP)?;
            if tx.query_one(&statement, &[&t]).await.during(OP)?.get::<_, bool>(0) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "the tenant has message credits, which are deleted only while a tenant deletion is pending: \
                     request one (LifecycleJob::request_tenant_deletion)",
                )
                .with_operation(OP));
            }
            let statement = tx.prepare_cached("SELECT unibox_delete_tenant_credits($1)").await.during(OP)?;
            u64::try_from(tx.query_one(&statement, &[&budget]).await.during(OP)?.get::<_, i64>(0)).unwrap_or(0)
        } else {
            let (name, key) = (table.name, table.key);
            let statement = tx
                .prepare_cached(&format!(
                    "DELETE FROM {name} WHERE tenant = $1 AND ({key}) IN \
                     (SELECT {key} FROM {name} WHERE tenant = $1 LIMIT $2)"
                ))
                .await
                .during(OP)?;
            tx.execute(&statement, &[&t, &budget]).await.during(OP)?
        };
        rows += deleted;
        budget -= i64::try_from(deleted).unwrap_or(budget).min(budget);
    }
    // Every account is gone: events for them no longer route to the tenant.
    let statement = tx.prepare_cached("SELECT unibox_unregister_deleted_accounts()").await.during(OP)?;
    tx.query_one(&statement, &[]).await.during(OP)?;
    Ok(ErasureStep { rows, done: budget > 0 })
}
