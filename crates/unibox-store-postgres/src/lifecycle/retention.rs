//! Retention's statements: listing expired messages and notes (keyset pages by time and id),
//! deleting records with what derives from them, purging the logs.

use unibox_core::lifecycle::{ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef};
use unibox_core::{ChannelId, ContactId, ConversationId, MessageId, NoteId, Result, TenantId, Timestamp};
use uuid::Uuid;

use crate::error::{PgResultExt, corrupt};
use crate::pool::Tx;

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Up to `limit` records of `kind` sent (messages) or written (notes) before `before`, after
/// `after` in (time, id) order.
pub(crate) async fn expired(
    tx: &Tx<'_>,
    tenant: &TenantId,
    kind: RecordKind,
    before: Timestamp,
    after: Option<ExpiredCursor>,
    limit: usize,
) -> Result<Vec<ExpiredRecord>> {
    const OP: &str = "postgres.lifecycle.expired";
    let sql = match kind {
        RecordKind::Message => {
            "SELECT r.id, r.conversation, c.contact, a.channel, r.sent_at FROM messages r \
             JOIN conversations c ON c.tenant = r.tenant AND c.id = r.conversation \
             JOIN accounts a ON a.tenant = c.tenant AND a.id = c.account \
             WHERE r.tenant = $1 AND r.sent_at < $2 AND (r.sent_at, r.id) > ($3, $4) \
             ORDER BY r.sent_at, r.id LIMIT $5"
        }
        RecordKind::Note => {
            "SELECT r.id, r.conversation, c.contact, a.channel, r.created_at FROM notes r \
             JOIN conversations c ON c.tenant = r.tenant AND c.id = r.conversation \
             JOIN accounts a ON a.tenant = c.tenant AND a.id = c.account \
             WHERE r.tenant = $1 AND r.created_at < $2 AND (r.created_at, r.id) > ($3, $4) \
             ORDER BY r.created_at, r.id LIMIT $5"
        }
    };
    // UUIDs compare as their bytes, as the cursor's tie-breaker does.
    let (after_at, after_id) = match after {
        Some(cursor) => (cursor.at.as_unix_millis(), Uuid::from_bytes(cursor.id)),
        None => (i64::MIN, Uuid::nil()),
    };
    let statement = tx.prepare_cached(sql).await.during(OP)?;
    let rows = tx
        .query(&statement, &[&tenant.as_str(), &before.as_unix_millis(), &after_at, &after_id, &limit_sql(limit)])
        .await
        .during(OP)?;
    rows.iter()
        .map(|row| {
            let id: Uuid = row.get(0);
            Ok(ExpiredRecord {
                record: match kind {
                    RecordKind::Message => RecordRef::Message(MessageId::from_uuid(id)),
                    RecordKind::Note => RecordRef::Note(NoteId::from_uuid(id)),
                },
                conversation: ConversationId::from_uuid(row.get(1)),
                contact: ContactId::from_uuid(row.get(2)),
                channel: ChannelId::new(row.get::<_, &str>(3)).map_err(|_| corrupt(OP, "account channel"))?,
                at: Timestamp::from_unix_millis(row.get(4)),
            })
        })
        .collect()
}

/// Deletes the messages `ids` and everything derived from them: their blind search terms,
/// reactions, outbox jobs and the changes waiting for them. Returns how many existed.
pub(crate) async fn delete_messages(tx: &Tx<'_>, tenant: &TenantId, ids: &[Uuid]) -> Result<u64> {
    const OP: &str = "postgres.lifecycle.delete_messages";
    if ids.is_empty() {
        return Ok(0);
    }
    let name = tenant.as_str();
    let statement = tx
        .prepare_cached(
            "DELETE FROM messages WHERE tenant = $1 AND id = ANY($2) RETURNING id, account, platform_message_id",
        )
        .await
        .during(OP)?;
    let gone = tx.query(&statement, &[&name, &ids]).await.during(OP)?;
    if gone.is_empty() {
        return Ok(0);
    }
    let deleted: Vec<Uuid> = gone.iter().map(|row| row.get(0)).collect();
    for sql in [
        "DELETE FROM message_search WHERE tenant = $1 AND message = ANY($2)",
        "DELETE FROM reactions WHERE tenant = $1 AND message = ANY($2)",
        "DELETE FROM outbox WHERE tenant = $1 AND message = ANY($2)",
    ] {
        let statement = tx.prepare_cached(sql).await.during(OP)?;
        tx.execute(&statement, &[&name, &deleted]).await.during(OP)?;
    }
    // Changes waiting for a message go with it (an outbound message not yet accepted has no
    // platform id, and nothing waits for it).
    let (accounts, platform_ids): (Vec<Uuid>, Vec<String>) = gone
        .iter()
        .filter_map(|row| row.get::<_, Option<String>>(2).map(|platform_id| (row.get::<_, Uuid>(1), platform_id)))
        .unzip();
    if !accounts.is_empty() {
        let statement = tx
            .prepare_cached(
                "DELETE FROM pending_actions p USING unnest($2::uuid[], $3::text[]) AS gone (account, platform_id) \
                 WHERE p.tenant = $1 AND p.account = gone.account AND p.platform_message_id = gone.platform_id",
            )
            .await
            .during(OP)?;
        tx.execute(&statement, &[&name, &accounts, &platform_ids]).await.during(OP)?;
    }
    Ok(gone.len() as u64)
}

/// Deletes `records` (messages with what derives from them, notes). Returns how many existed.
pub(crate) async fn delete_records(tx: &Tx<'_>, tenant: &TenantId, records: &[RecordRef]) -> Result<u64> {
    const OP: &str = "postgres.lifecycle.delete_records";
    let (mut messages, mut notes) = (Vec::new(), Vec::new());
    for record in records {
        match record {
            RecordRef::Message(id) => messages.push(id.as_uuid()),
            RecordRef::Note(id) => notes.push(id.as_uuid()),
        }
    }
    let mut deleted = delete_messages(tx, tenant, &messages).await?;
    if !notes.is_empty() {
        let statement = tx.prepare_cached("DELETE FROM notes WHERE tenant = $1 AND id = ANY($2)").await.during(OP)?;
        deleted += tx.execute(&statement, &[&tenant.as_str(), &notes]).await.during(OP)?;
    }
    // The change log names the deleted messages; its rows go by time in `purge_logs` (it holds
    // ids, not content, and a reader must not find holes in it).
    Ok(deleted)
}

/// Up to `limit` rows of each log from before `before` (or, dry run, the count of all).
pub(crate) async fn purge_logs(
    tx: &Tx<'_>,
    tenant: &TenantId,
    before: Timestamp,
    limit: usize,
    dry_run: bool,
) -> Result<PurgeCounts> {
    const OP: &str = "postgres.lifecycle.purge_logs";
    let (name, before, limit) = (tenant.as_str(), before.as_unix_millis(), limit_sql(limit));
    if dry_run {
        let statement = tx
            .prepare_cached(
                "SELECT (SELECT count(*) FROM events WHERE tenant = $1 AND received_at < $2), \
                        (SELECT count(*) FROM pending_actions WHERE tenant = $1 AND at < $2), \
                        (SELECT count(*) FROM changes WHERE tenant = $1 AND at < $2)",
            )
            .await
            .during(OP)?;
        let row = tx.query_one(&statement, &[&name, &before]).await.during(OP)?;
        let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        return Ok(PurgeCounts { events: n(0), pending_actions: n(1), changes: n(2), ..PurgeCounts::default() });
    }
    let statement = tx
        .prepare_cached(
            "DELETE FROM events WHERE tenant = $1 AND (account, event_id) IN \
             (SELECT account, event_id FROM events WHERE tenant = $1 AND received_at < $2 \
              ORDER BY received_at LIMIT $3)",
        )
        .await
        .during(OP)?;
    let events = tx.execute(&statement, &[&name, &before, &limit]).await.during(OP)?;
    let statement = tx
        .prepare_cached(
            "DELETE FROM pending_actions WHERE tenant = $1 AND (account, platform_message_id, event_id) IN \
             (SELECT account, platform_message_id, event_id FROM pending_actions WHERE tenant = $1 AND at < $2 \
              ORDER BY at LIMIT $3)",
        )
        .await
        .during(OP)?;
    let pending_actions = tx.execute(&statement, &[&name, &before, &limit]).await.during(OP)?;
    // Positions grow with time: the oldest positions are the expired ones. Readers behind the
    // purged rows are told they missed changes, as after a trim.
    let statement = tx
        .prepare_cached(
            "WITH gone AS (DELETE FROM changes WHERE tenant = $1 AND position IN \
               (SELECT position FROM changes WHERE tenant = $1 AND at < $2 ORDER BY position LIMIT $3) \
               RETURNING position) \
             SELECT count(*), max(position) FROM gone",
        )
        .await
        .during(OP)?;
    let row = tx.query_one(&statement, &[&name, &before, &limit]).await.during(OP)?;
    let (changes, last): (i64, Option<i64>) = (row.get(0), row.get(1));
    if let Some(last) = last {
        let statement = tx
            .prepare_cached("UPDATE change_heads SET trimmed_through = GREATEST(trimmed_through, $2) WHERE tenant = $1")
            .await
            .during(OP)?;
        tx.execute(&statement, &[&name, &last]).await.during(OP)?;
    }
    Ok(PurgeCounts { events, pending_actions, changes: u64::try_from(changes).unwrap_or(0), ..PurgeCounts::default() })
}
