//! [`Restore`] for [`SqliteInbox`]: an export written back in one write transaction.

use async_trait::async_trait;
use rusqlite::params;
use unibox_core::audit::Checkpoint;
use unibox_core::orders::Order;
use unibox_core::privacy::export::{ExportRecord, ExportedContact, Restore};
use unibox_core::{ChannelAccount, Conversation, Error, ErrorKind, InternalNote, Message, Result, TenantId};

use crate::codec::{ERASED_CONTENT_JSON, direction_key, identity_kind_key, to_json};
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;
use crate::reactions;
use crate::rows::{identity_lookup, identity_row};
use crate::sealing::cells::field;
use crate::sealing::{self, Sealer};
use crate::writer::WriteTx;

const OP: &str = "sqlite.restore";

/// The tables that hold a tenant's exported data: a restore needs them all empty.
const TENANT_TABLES: [&str; 8] =
    ["accounts", "contacts", "conversations", "messages", "notes", "orders", "audit_log", "audit_checkpoints"];

#[async_trait]
impl Restore for SqliteInbox {
    /// Writes the records in one job of the writer: one transaction (a savepoint of a group
    /// commit), so a failure part way (a conflict with another tenant's ids or routing keys)
    /// leaves nothing behind. The job runs under the tenant's sealer, so a sealed inbox stores
    /// exactly what ingest would have stored: sealed values, blind lookups, blind search terms.
    async fn restore(&self, tenant: &TenantId, records: Vec<ExportRecord>) -> Result<()> {
        if let Some(other) = records.iter().find(|record| record.tenant() != tenant) {
            return Err(Error::new(ErrorKind::InvalidInput, format!("a {} belongs to another tenant", other.kind()))
                .with_operation(OP));
        }
        // Events accepted before the restore land first, so the emptiness check sees them.
        self.applied(OP).await?;
        let tenant = tenant.clone();
        self.write_sealed(OP, &tenant.clone(), move |tx| restore(tx, &tenant, &records)).await
    }
}

fn restore(tx: &WriteTx<'_>, tenant: &TenantId, records: &[ExportRecord]) -> Result<()> {
    for table in TENANT_TABLES {
        let holds = tx
            .prepare_cached(&format!("SELECT 1 FROM {table} WHERE tenant = ?1 LIMIT 1"))
            .during(OP)?
            .exists([tenant.as_str()])
            .during(OP)?;
        if holds {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("tenant {tenant} already holds data ({table}); import into an empty tenant"),
            )
            .with_operation(OP));
        }
    }
    let sealer = sealing::current(OP)?;
    let sealer = &sealer;
    let mut last_seq = 0u64;
    for record in records {
        match record {
            ExportRecord::Account(account) => account_row(tx, account)?,
            ExportRecord::Contact(contact) => contact_rows(tx, sealer, contact)?,
            ExportRecord::Conversation(conversation) => conversation_rows(tx, conversation)?,
            ExportRecord::Message(message) => message_rows(tx, sealer, message)?,
            ExportRecord::Note(note) => note_row(tx, sealer, note)?,
            ExportRecord::Order(order) => order_row(tx, sealer, order)?,
            ExportRecord::Audit(chained) => {
                if chained.seq != last_seq + 1 {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "the audit records do not form a chain from seq 1 without gaps",
                    )
                    .with_operation(OP));
                }
                last_seq = chained.seq;
                crate::audit::insert(tx, chained, OP)?;
            }
            ExportRecord::AuditCheckpoint(checkpoint) => checkpoint_row(tx, checkpoint)?,
        }
    }
    audit_index(tx, tenant, last_seq)
}

fn account_row(tx: &WriteTx<'_>, account: &ChannelAccount) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO accounts (id, tenant, channel, kind, platform_account_id, display_name, state, connected_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .during(OP)?
    .execute(params![
        account.id.as_bytes(),
        account.tenant.as_str(),
        account.channel.as_str(),
        account.kind.as_str(),
        account.platform_account_id,
        account.display_name,
        to_json(&account.state, "account state")?,
        account.connected_at.as_unix_millis(),
    ])
    .during(OP)?;
    Ok(())
}

fn contact_rows(tx: &WriteTx<'_>, sealer: &Sealer, exported: &ExportedContact) -> Result<()> {
    let contact = &exported.contact;
    let tenant = contact.tenant.as_str();
    let (name, name_sealed) =
        sealer.store(field::CONTACT_NAME, contact.id.as_bytes(), contact.display_name.as_deref())?;
    // No naming event is known: the next event that names the contact sets its name, as it would
    // for a contact whose name came from the team.
    tx.prepare_cached(
        "INSERT INTO contacts (id, tenant, display_name, named_at, named_by, created_at, display_name_sealed) \
         VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5)",
    )
    .during(OP)?
    .execute(params![contact.id.as_bytes(), tenant, name, contact.created_at.as_unix_millis(), name_sealed])
    .during(OP)?;
    let mut identity = tx
        .prepare_cached(
            "INSERT INTO contact_identities (tenant, account, kind, value, contact, value_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .during(OP)?;
    for found in &contact.identities {
        // As ingest stores an identity: looked up by its blind, its value sealed beside it.
        let kind = identity_kind_key(&found.kind)?;
        let key = identity_lookup(sealer, &kind, &found.value);
        let row = identity_row(found.account.as_bytes(), &kind, &key);
        let (_, value_sealed) = sealer.store(field::IDENTITY_VALUE, &row, Some(&found.value))?;
        identity
            .execute(params![tenant, found.account.as_bytes(), kind, key, contact.id.as_bytes(), value_sealed])
            .during(OP)?;
    }
    let mut attribute = tx
        .prepare_cached(
            "INSERT INTO contact_attributes (tenant, contact, name, value, value_sealed) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .during(OP)?;
    for (name, value) in &exported.attributes {
        let (value, value_sealed) =
            sealer.store_required(field::ATTRIBUTE_VALUE, &crate::contacts::attribute_row(contact.id, name), value)?;
        attribute.execute(params![tenant, contact.id.as_bytes(), name, value, value_sealed]).during(OP)?;
    }
    Ok(())
}

fn conversation_rows(tx: &WriteTx<'_>, conversation: &Conversation) -> Result<()> {
    let tenant = conversation.tenant.as_str();
    tx.prepare_cached(
        "INSERT INTO conversations (id, tenant, account, contact, status, snoozed_until, assignee, unread_count, \
           last_inbound_at, last_activity_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .during(OP)?
    .execute(params![
        conversation.id.as_bytes(),
        tenant,
        conversation.account.as_bytes(),
        conversation.contact.as_bytes(),
        conversation.status.as_str(),
        conversation.snoozed_until.map(|at| at.as_unix_millis()),
        conversation.assignee.as_ref().map(|user| user.as_str()),
        conversation.unread_count,
        conversation.last_inbound_at.map(|at| at.as_unix_millis()),
        conversation.last_activity_at.as_unix_millis(),
        conversation.created_at.as_unix_millis(),
    ])
    .during(OP)?;
    let mut tag = tx
        .prepare_cached("INSERT INTO conversation_tags (tenant, conversation, tag) VALUES (?1, ?2, ?3)")
        .during(OP)?;
    for name in &conversation.tags {
        tag.execute(params![tenant, conversation.id.as_bytes(), name]).during(OP)?;
    }
    Ok(())
}

fn message_rows(tx: &WriteTx<'_>, sealer: &Sealer, message: &Message) -> Result<()> {
    let tenant = message.tenant.as_str();
    let row = message.id.as_bytes();
    let content_json = to_json(&message.content, "content")?;
    let (content, content_sealed) = if message.unsent_at.is_some() && content_json == ERASED_CONTENT_JSON {
        // Erased content holds nothing personal: stored as ingest stores it, in the clear.
        (content_json, None)
    } else {
        sealer.store_required(field::MESSAGE_CONTENT, row, &content_json)?
    };
    let (reply_to, reply_to_sealed) = sealer.store(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?;
    // Looked up by its blind in a sealed inbox, its value sealed beside it; one id, one message
    // (a sealed inbox's index cannot refuse a second one itself: see `MessageKeys`).
    let platform_key = match message.platform_message_id.as_deref() {
        Some(given) => {
            let keys = sealer.message_keys(given);
            if crate::apply::find_target(tx, &message.tenant, message.account, &keys.candidates)?.is_some() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "two messages of the import have one platform message id on one account",
                )
                .with_operation(OP));
            }
            Some(sealer.new_message_key(&keys))
        }
        None => None,
    };
    let (_, platform_id_sealed) =
        sealer.store(field::MESSAGE_PLATFORM_ID, row, message.platform_message_id.as_deref())?;
    tx.prepare_cached(
        "INSERT INTO messages (id, tenant, conversation, account, direction, author, content, platform_message_id, \
           reply_to, sent_at, recorded_at, edited_at, edited_by, unsent_at, delivery, \
           content_sealed, reply_to_sealed, platform_message_id_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .during(OP)?
    .execute(params![
        message.id.as_bytes(),
        tenant,
        message.conversation.as_bytes(),
        message.account.as_bytes(),
        direction_key(message.direction),
        to_json(&message.author, "author")?,
        content,
        platform_key,
        reply_to,
        message.sent_at.as_unix_millis(),
        message.recorded_at.as_unix_millis(),
        message.edited_at.map(|at| at.as_unix_millis()),
        // The winning edit's event id is not exported; the empty id loses every tie, so a later
        // edit at the same millisecond still applies.
        message.edited_at.map(|_| ""),
        message.unsent_at.map(|at| at.as_unix_millis()),
        to_json(&message.delivery, "delivery status")?,
        content_sealed,
        reply_to_sealed,
        platform_id_sealed,
    ])
    .during(OP)?;
    let seq = tx.last_insert_rowid();
    if message.unsent_at.is_none() {
        tx.add_search_text(seq, message.content.searchable_text().as_deref())?;
    }
    for found in &message.reactions {
        // The event that set a reaction is not exported; the empty id loses every tie.
        let lookup = reactions::reactor_lookup(sealer, &found.by);
        let reaction = reactions::NewReaction {
            message: message.id,
            reactor: &found.by,
            emoji: Some(&found.emoji),
            at: found.at.as_unix_millis(),
            event_id: "",
        };
        reactions::write(tx, sealer, &message.tenant, &lookup, &reaction, OP)?;
    }
    Ok(())
}

fn note_row(tx: &WriteTx<'_>, sealer: &Sealer, note: &InternalNote) -> Result<()> {
    if crate::outbound::insert_note(tx, sealer, note, OP)? == 0 {
        return Err(Error::new(ErrorKind::Conflict, "a note with this id is already stored").with_operation(OP));
    }
    Ok(())
}

fn order_row(tx: &WriteTx<'_>, sealer: &Sealer, order: &Order) -> Result<()> {
    let (buyer_kind, buyer_id) = match &order.buyer {
        Some(buyer) => {
            let kind = identity_kind_key(&buyer.kind)?;
            let id = crate::orders::buyer_lookup(sealer, &kind, &buyer.id);
            (Some(kind), Some(id))
        }
        None => (None, None),
    };
    let (body, body_sealed) = sealer.store_required(
        field::ORDER_BODY,
        &crate::orders::order_row(order.account.as_bytes(), &order.order_id),
        &to_json(order, "order")?,
    )?;
    tx.prepare_cached(
        "INSERT INTO orders (tenant, account, order_id, buyer_kind, buyer_id, updated_at, body, body_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .during(OP)?
    .execute(params![
        order.tenant.as_str(),
        order.account.as_bytes(),
        order.order_id,
        buyer_kind,
        buyer_id,
        order.updated_at.as_unix_millis(),
        body,
        body_sealed,
    ])
    .during(OP)?;
    Ok(())
}

fn checkpoint_row(tx: &WriteTx<'_>, checkpoint: &Checkpoint) -> Result<()> {
    let seq = i64::try_from(checkpoint.seq).map_err(|_| corrupt(OP, "checkpoint seq"))?;
    tx.prepare_cached(
        "INSERT INTO audit_checkpoints (tenant, seq, hash, at, key_id, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .during(OP)?
    .execute(params![
        checkpoint.tenant.as_str(),
        seq,
        checkpoint.hash.as_bytes().as_slice(),
        checkpoint.at.as_unix_millis(),
        checkpoint.key_id,
        checkpoint.signature.as_slice(),
    ])
    .during(OP)?;
    Ok(())
}

/// Indexes the restored chain's complete blocks, as the appends that wrote it would have.
fn audit_index(tx: &WriteTx<'_>, tenant: &TenantId, last_seq: u64) -> Result<()> {
    let indexed = last_seq - last_seq % crate::audit::INDEX_BLOCK;
    if indexed > 0 {
        let indexed = i64::try_from(indexed).map_err(|_| corrupt(OP, "audit seq"))?;
        crate::audit::index_block(tx, tenant, indexed, OP)?;
    }
    Ok(())
}
