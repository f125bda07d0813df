//! Reading model values out of rows, opening their sealed columns.

use tokio_postgres::Row;
use unibox_core::{
    ChannelAccountId, Contact, ContactId, ContactIdentity, Content, Conversation, ConversationId, ConversationStatus,
    Message, MessageId, Reaction, Result, TenantId, Timestamp, UserId,
};

use crate::codec::{from_json, parse_direction, parsed};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::rows::{identity_row, reaction_row};
use crate::sealing::{Seal, field};

/// The message columns [`message`] reads, from a table aliased `m`.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.conversation, m.account, m.direction, m.author, m.content, \
     m.content_sealed, m.platform_message_id_sealed, m.reply_to_sealed, m.sent_at, m.recorded_at, m.edited_at, \
     m.unsent_at, m.delivery";

/// The conversation columns [`conversation`] reads, from a table aliased `c`.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.account, c.contact, c.status, c.snoozed_until, c.assignee, \
     c.unread_count, c.last_inbound_at, c.last_activity_at, c.created_at";

/// A message (without its reactions: [`load_reactions`]), sealed columns opened.
pub(crate) fn message(row: &Row, tenant: &TenantId, seal: &Seal, operation: &'static str) -> Result<Message> {
    let id = MessageId::from_uuid(row.get(0));
    let key = id.as_bytes();
    let content = match row.get::<_, Option<&[u8]>>(6) {
        Some(sealed) => seal.open(field::MESSAGE_CONTENT, key, sealed)?,
        None => row.get::<_, String>(5),
    };
    Ok(Message {
        id,
        tenant: tenant.clone(),
        conversation: ConversationId::from_uuid(row.get(1)),
        account: ChannelAccountId::from_uuid(row.get(2)),
        direction: parse_direction(row.get(3), operation)?,
        author: from_json(row.get(4), operation, "message author")?,
        content: from_json::<Content>(&content, operation, "message content")?,
        platform_message_id: seal.open_opt(field::MESSAGE_PLATFORM_ID, key, row.get(7))?,
        reply_to: seal.open_opt(field::MESSAGE_REPLY_TO, key, row.get(8))?,
        sent_at: Timestamp::from_unix_millis(row.get(9)),
        recorded_at: Timestamp::from_unix_millis(row.get(10)),
        edited_at: row.get::<_, Option<i64>>(11).map(Timestamp::from_unix_millis),
        unsent_at: row.get::<_, Option<i64>>(12).map(Timestamp::from_unix_millis),
        delivery: from_json(row.get(13), operation, "delivery status")?,
        reactions: Vec::new(),
    })
}

/// Fills in the current reactions of `messages` (removed ones are not returned), each
/// message's oldest first (ties by reactor id, compared once opened).
pub(crate) async fn load_reactions(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    messages: &mut [Message],
    operation: &'static str,
) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = messages.iter().map(|m| m.id.as_uuid()).collect();
    let statement = tx
        .prepare_cached(
            "SELECT message, reactor, reactor_sealed, emoji_sealed, at FROM reactions \
             WHERE tenant = $1 AND message = ANY($2) AND emoji_sealed IS NOT NULL",
        )
        .await
        .during(operation)?;
    for row in tx.query(&statement, &[&tenant.as_str(), &ids]).await.during(operation)? {
        let message: uuid::Uuid = row.get(0);
        let lookup: &str = row.get(1);
        let key = reaction_row(message.as_bytes(), lookup);
        let by = seal.open(field::REACTION_REACTOR, &key, row.get(2))?;
        let emoji = seal.open(field::REACTION_EMOJI, &key, row.get(3))?;
        let at = Timestamp::from_unix_millis(row.get(4));
        if let Some(target) = messages.iter_mut().find(|m| m.id.as_uuid() == message) {
            target.reactions.push(Reaction { by, emoji, at });
        }
    }
    for message in messages {
        message.reactions.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
    }
    Ok(())
}

/// A conversation (without its tags: [`load_tags`]).
pub(crate) fn conversation(row: &Row, tenant: &TenantId, operation: &'static str) -> Result<Conversation> {
    let assignee: Option<&str> = row.get(5);
    Ok(Conversation {
        id: ConversationId::from_uuid(row.get(0)),
        tenant: tenant.clone(),
        account: ChannelAccountId::from_uuid(row.get(1)),
        contact: ContactId::from_uuid(row.get(2)),
        status: parsed(row.get(3), operation, "conversation status", |s| s.parse::<ConversationStatus>())?,
        snoozed_until: row.get::<_, Option<i64>>(4).map(Timestamp::from_unix_millis),
        assignee: assignee.map(|s| parsed(s, operation, "assignee", |s| UserId::new(s))).transpose()?,
        tags: Vec::new(),
        unread_count: u32::try_from(row.get::<_, i64>(6)).unwrap_or(u32::MAX),
        last_inbound_at: row.get::<_, Option<i64>>(7).map(Timestamp::from_unix_millis),
        last_activity_at: Timestamp::from_unix_millis(row.get(8)),
        created_at: Timestamp::from_unix_millis(row.get(9)),
    })
}

/// Fills in the conversations' tags, each sorted.
pub(crate) async fn load_tags(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversations: &mut [Conversation],
    operation: &'static str,
) -> Result<()> {
    if conversations.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = conversations.iter().map(|c| c.id.as_uuid()).collect();
    let statement = tx
        .prepare_cached(
            "SELECT conversation, tag FROM conversation_tags WHERE tenant = $1 AND conversation = ANY($2) ORDER BY tag",
        )
        .await
        .during(operation)?;
    for row in tx.query(&statement, &[&tenant.as_str(), &ids]).await.during(operation)? {
        let id: uuid::Uuid = row.get(0);
        if let Some(conversation) = conversations.iter_mut().find(|c| c.id.as_uuid() == id) {
            conversation.tags.push(row.get(1));
        }
    }
    Ok(())
}

/// The contacts with these ids (those that exist), with their identities, in the order given.
pub(crate) async fn contacts(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    ids: &[ContactId],
    operation: &'static str,
) -> Result<Vec<Contact>> {
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let statement = tx
        .prepare_cached("SELECT id, display_name_sealed, created_at FROM contacts WHERE tenant = $1 AND id = ANY($2)")
        .await
        .during(operation)?;
    let mut found: Vec<Contact> = Vec::new();
    for row in tx.query(&statement, &[&tenant.as_str(), &uuids]).await.during(operation)? {
        let id = ContactId::from_uuid(row.get(0));
        found.push(Contact {
            id,
            tenant: tenant.clone(),
            display_name: seal.open_opt(field::CONTACT_NAME, id.as_bytes(), row.get(1))?,
            identities: Vec::new(),
            created_at: Timestamp::from_unix_millis(row.get(2)),
        });
    }
    let statement = tx
        .prepare_cached(
            "SELECT contact, account, kind, value, value_sealed FROM contact_identities \
             WHERE tenant = $1 AND contact = ANY($2)",
        )
        .await
        .during(operation)?;
    for row in tx.query(&statement, &[&tenant.as_str(), &uuids]).await.during(operation)? {
        let contact: uuid::Uuid = row.get(0);
        let account = ChannelAccountId::from_uuid(row.get(1));
        let kind: &str = row.get(2);
        let key = identity_row(account.as_bytes(), kind, row.get(3));
        let value = seal.open(field::IDENTITY_VALUE, &key, row.get(4))?;
        if let Some(target) = found.iter_mut().find(|c| c.id.as_uuid() == contact) {
            target.identities.push(ContactIdentity {
                account,
                kind: from_json(kind, operation, "identity kind")?,
                value,
            });
        }
    }
    for contact in &mut found {
        contact.identities.sort_by(|a, b| {
            (a.account.as_uuid(), identity_sort_key(&a.kind), &a.value).cmp(&(
                b.account.as_uuid(),
                identity_sort_key(&b.kind),
                &b.value,
            ))
        });
    }
    Ok(ids.iter().filter_map(|id| found.iter().find(|c| c.id == *id).cloned()).collect())
}

fn identity_sort_key(kind: &unibox_core::IdentityKind) -> String {
    serde_json::to_string(kind).unwrap_or_default()
}
