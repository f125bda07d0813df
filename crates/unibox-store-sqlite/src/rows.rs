//! Reading model values out of rows. Every query here filters by tenant.

use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::inbox::{Cursor, Page};
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, ChannelKind, Contact, ContactId, ContactIdentity, Content,
    Conversation, ConversationId, Message, MessageId, Result, TenantId, Timestamp, UserId,
};

use crate::codec::{json_column, parse_direction, parse_status, parsed_column, time_column};
use crate::error::{SqlResultExt, corrupt};
use crate::sealing::{self, cells::field};

/// What `contact_identities.value` holds for an identity: the value (plain) or the blind of
/// kind and value (sealed).
pub(crate) fn identity_lookup(sealer: &sealing::Sealer, kind: &str, value: &str) -> String {
    if sealer.is_sealed() {
        sealer.lookup(sealing::cells::index::IDENTITY, &format!("{kind}\u{0}{value}"))
    } else {
        value.to_owned()
    }
}

/// The row id a sealed identity value is bound to: the account, the kind's key and the value's
/// lookup key (its blind), which together are the identity's primary key.
pub(crate) fn identity_row(account: &[u8; 16], kind: &str, lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + kind.len() + 1 + lookup.len());
    row.extend_from_slice(account);
    row.extend_from_slice(kind.as_bytes());
    row.push(0);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// The message columns [`message_from_row`] reads, from a table aliased `m`.
macro_rules! message_columns {
    () => {
        "m.id, m.conversation, m.account, m.direction, m.author, m.content, m.platform_message_id, \
         m.reply_to, m.sent_at, m.recorded_at, m.edited_at, m.unsent_at, m.delivery, \
         m.content_sealed, m.reply_to_sealed, m.platform_message_id_sealed, m.body_sealed"
    };
}

/// The conversation columns [`conversation_from_row`] reads, from a table aliased `c`.
macro_rules! conversation_columns {
    () => {
        "c.id, c.account, c.contact, c.status, c.snoozed_until, c.assignee, c.unread_count, \
         c.last_inbound_at, c.last_activity_at, c.created_at"
    };
}

/// The account columns [`account_from_row`] reads, from a table aliased `a`.
macro_rules! account_columns {
    () => {
        "a.id, a.tenant, a.channel, a.kind, a.platform_account_id, a.display_name, a.state, a.connected_at"
    };
}

/// A message row as read, its sealed columns not opened yet ([`StoredMessage::open`]).
pub(crate) struct StoredMessage {
    message: Message,
    content: String,
    content_sealed: Option<Vec<u8>>,
    reply_to_sealed: Option<Vec<u8>>,
    platform_message_id_sealed: Option<Vec<u8>>,
    /// The parts above sealed as one ([`body`](crate::sealing::body)); then they are empty.
    body_sealed: Option<Vec<u8>>,
}

impl StoredMessage {
    /// The message, its sealed columns opened with the current job's sealer.
    pub(crate) fn open(self, operation: &'static str) -> Result<Message> {
        let sealer = sealing::current(operation)?;
        let StoredMessage {
            mut message,
            content,
            content_sealed,
            reply_to_sealed,
            platform_message_id_sealed,
            body_sealed,
        } = self;
        let row = *message.id.as_bytes();
        if let Some(sealed) = body_sealed {
            let body = crate::sealing::body::open(&sealer, &row, &sealed)?;
            message.content =
                serde_json::from_str(&body.content_json).map_err(|_| corrupt(operation, "message content"))?;
            message.reply_to = body.reply_to;
            message.platform_message_id = body.platform_id;
            return Ok(message);
        }
        let content = sealer.open_required(field::MESSAGE_CONTENT, &row, content, content_sealed)?;
        message.content = serde_json::from_str(&content).map_err(|_| corrupt(operation, "message content"))?;
        if reply_to_sealed.is_some() {
            message.reply_to = sealer.open(field::MESSAGE_REPLY_TO, &row, None, reply_to_sealed)?;
        }
        if platform_message_id_sealed.is_some() {
            message.platform_message_id =
                sealer.open(field::MESSAGE_PLATFORM_ID, &row, None, platform_message_id_sealed)?;
        }
        Ok(message)
    }
}

/// Opens a page of stored messages.
pub(crate) fn open_messages(stored: Vec<StoredMessage>, operation: &'static str) -> Result<Vec<Message>> {
    stored.into_iter().map(|message| message.open(operation)).collect()
}

/// A message without its reactions (see [`load_reactions`]), sealed columns still closed.
pub(crate) fn message_from_row(row: &Row<'_>, tenant: &TenantId) -> rusqlite::Result<StoredMessage> {
    let message = Message {
        id: MessageId::from_bytes(row.get(0)?),
        tenant: tenant.clone(),
        conversation: ConversationId::from_bytes(row.get(1)?),
        account: ChannelAccountId::from_bytes(row.get(2)?),
        direction: parsed_column(row, 3, parse_direction)?,
        author: json_column(row, 4)?,
        content: Content::text(""),
        platform_message_id: row.get(6)?,
        reply_to: row.get(7)?,
        sent_at: Timestamp::from_unix_millis(row.get(8)?),
        recorded_at: Timestamp::from_unix_millis(row.get(9)?),
        edited_at: time_column(row, 10)?,
        unsent_at: time_column(row, 11)?,
        delivery: json_column(row, 12)?,
        reactions: Vec::new(),
    };
    Ok(StoredMessage {
        message,
        content: row.get(5)?,
        content_sealed: row.get(13)?,
        reply_to_sealed: row.get(14)?,
        platform_message_id_sealed: row.get(15)?,
        body_sealed: row.get(16)?,
    })
}

/// Fills in a message's current reactions (removed ones are not returned), oldest first.
pub(crate) fn load_reactions(conn: &Connection, message: &mut Message, operation: &'static str) -> Result<()> {
    let sealer = sealing::current(operation)?;
    message.reactions = crate::reactions::current(conn, &sealer, &message.tenant, message.id, operation)?;
    Ok(())
}

/// One message of the tenant.
pub(crate) fn message(
    conn: &Connection,
    tenant: &TenantId,
    id: MessageId,
    operation: &'static str,
) -> Result<Option<Message>> {
    const SQL: &str = concat!("SELECT ", message_columns!(), " FROM messages m WHERE m.tenant = ?1 AND m.id = ?2");
    let message = conn
        .prepare_cached(SQL)
        .during(operation)?
        .query_row(params![tenant.as_str(), id.as_bytes()], |row| message_from_row(row, tenant))
        .optional()
        .during(operation)?
        .map(|stored| stored.open(operation))
        .transpose()?;
    match message {
        Some(mut message) => {
            load_reactions(conn, &mut message, operation)?;
            Ok(Some(message))
        }
        None => Ok(None),
    }
}

/// Turns `limit + 1` fetched messages into a page: the extra row only says another page follows.
pub(crate) fn finish_message_page(
    conn: &Connection,
    tenant: &TenantId,
    mut items: Vec<Message>,
    limit: usize,
    operation: &'static str,
) -> Result<Page<Message>> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| Cursor::new(last.sent_at, last.id.as_uuid()))
    } else {
        None
    };
    for message in &mut items {
        debug_assert_eq!(&message.tenant, tenant);
        load_reactions(conn, message, operation)?;
    }
    Ok(Page { items, next })
}

/// A conversation without its tags (see [`load_tags`]).
pub(crate) fn conversation_from_row(row: &Row<'_>, tenant: &TenantId) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: ConversationId::from_bytes(row.get(0)?),
        tenant: tenant.clone(),
        account: ChannelAccountId::from_bytes(row.get(1)?),
        contact: ContactId::from_bytes(row.get(2)?),
        status: parsed_column(row, 3, parse_status)?,
        snoozed_until: time_column(row, 4)?,
        assignee: match row.get::<_, Option<String>>(5)? {
            Some(_) => Some(parsed_column(row, 5, |s| UserId::new(s))?),
            None => None,
        },
        tags: Vec::new(),
        unread_count: row.get(6)?,
        last_inbound_at: time_column(row, 7)?,
        last_activity_at: Timestamp::from_unix_millis(row.get(8)?),
        created_at: Timestamp::from_unix_millis(row.get(9)?),
    })
}

/// Fills in a conversation's tags, sorted.
pub(crate) fn load_tags(conn: &Connection, conversation: &mut Conversation, operation: &'static str) -> Result<()> {
    let mut statement = conn
        .prepare_cached("SELECT tag FROM conversation_tags WHERE tenant = ?1 AND conversation = ?2 ORDER BY tag")
        .during(operation)?;
    let tags = statement
        .query_map(params![conversation.tenant.as_str(), conversation.id.as_bytes()], |row| row.get(0))
        .during(operation)?;
    conversation.tags = tags.collect::<rusqlite::Result<_>>().during(operation)?;
    Ok(())
}

/// One conversation of the tenant.
pub(crate) fn conversation(
    conn: &Connection,
    tenant: &TenantId,
    id: ConversationId,
    operation: &'static str,
) -> Result<Option<Conversation>> {
    const SQL: &str =
        concat!("SELECT ", conversation_columns!(), " FROM conversations c WHERE c.tenant = ?1 AND c.id = ?2");
    let conversation = conn
        .prepare_cached(SQL)
        .during(operation)?
        .query_row(params![tenant.as_str(), id.as_bytes()], |row| conversation_from_row(row, tenant))
        .optional()
        .during(operation)?;
    match conversation {
        Some(mut conversation) => {
            load_tags(conn, &mut conversation, operation)?;
            Ok(Some(conversation))
        }
        None => Ok(None),
    }
}

/// One contact of the tenant, with its identities.
pub(crate) fn contact(
    conn: &Connection,
    tenant: &TenantId,
    id: ContactId,
    operation: &'static str,
) -> Result<Option<Contact>> {
    let found = conn
        .prepare_cached(
            "SELECT display_name, created_at, display_name_sealed FROM contacts WHERE tenant = ?1 AND id = ?2",
        )
        .during(operation)?
        .query_row(params![tenant.as_str(), id.as_bytes()], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                Timestamp::from_unix_millis(row.get(1)?),
                row.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })
        .optional()
        .during(operation)?;
    let Some((display_name, created_at, display_name_sealed)) = found else {
        return Ok(None);
    };
    let sealer = sealing::current(operation)?;
    let display_name = sealer.open(field::CONTACT_NAME, id.as_bytes(), display_name, display_name_sealed)?;
    let mut statement = conn
        .prepare_cached(
            "SELECT account, kind, value, value_sealed FROM contact_identities WHERE tenant = ?1 AND contact = ?2 \
             ORDER BY account, kind, value",
        )
        .during(operation)?;
    let stored = statement
        .query_map(params![tenant.as_str(), id.as_bytes()], |row| {
            Ok((
                row.get::<_, [u8; 16]>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<Vec<u8>>>(3)?,
            ))
        })
        .during(operation)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(operation)?;
    let mut opened = Vec::with_capacity(stored.len());
    for (account, kind, value, value_sealed) in stored {
        let row = identity_row(&account, &kind, &value);
        let value = sealer.open_required(field::IDENTITY_VALUE, &row, value, value_sealed)?;
        opened.push((account, kind, value));
    }
    // Sealed identities are stored by blind; readers see them ordered by value, as in a plain file.
    opened.sort();
    let identities = opened
        .into_iter()
        .map(|(account, kind, value)| {
            let kind = serde_json::from_str(&kind).map_err(|_| corrupt(operation, "identity kind"))?;
            Ok(ContactIdentity { account: ChannelAccountId::from_bytes(account), kind, value })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Contact { id, tenant: tenant.clone(), display_name, identities, created_at }))
}

/// A channel account (the tenant column is read back, for routing across tenants).
pub(crate) fn account_from_row(row: &Row<'_>) -> rusqlite::Result<ChannelAccount> {
    Ok(ChannelAccount {
        id: ChannelAccountId::from_bytes(row.get(0)?),
        tenant: parsed_column(row, 1, |s| TenantId::new(s))?,
        channel: parsed_column(row, 2, |s| ChannelId::new(s))?,
        kind: ChannelKind::new(row.get::<_, String>(3)?),
        platform_account_id: row.get(4)?,
        display_name: row.get(5)?,
        state: json_column(row, 6)?,
        connected_at: Timestamp::from_unix_millis(row.get(7)?),
    })
}
