//! The read side of the inbox. Every function takes the tenant and filters by it; `route` is
//! the one lookup across tenants, by design.

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::inbox::{AssigneeFilter, ConversationQuery, Cursor, MessageQuery, Page};
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Conversation, ConversationId,
    Error, ErrorKind, InternalNote, Message, NoteId, Result, TenantId, Timestamp, UserId,
};

use crate::codec::{fetch_limit, identity_kind_key, keyset, parsed_column};
use crate::error::SqlResultExt;
use crate::rows::{self, account_from_row, conversation_from_row, finish_message_page, load_tags, message_from_row};

pub(crate) fn not_found(what: &'static str, operation: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} not found")).with_operation(operation)
}

pub(crate) fn account(conn: &Connection, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
    const OP: &str = "sqlite.account";
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.tenant = ?1 AND a.id = ?2");
    conn.prepare_cached(SQL)
        .during(OP)?
        .query_row(params![tenant.as_str(), id.as_bytes()], account_from_row)
        .optional()
        .during(OP)?
        .ok_or_else(|| not_found("channel account", OP))
}

pub(crate) fn accounts(conn: &Connection, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
    const OP: &str = "sqlite.accounts";
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.tenant = ?1 ORDER BY a.connected_at, a.id");
    let mut statement = conn.prepare_cached(SQL).during(OP)?;
    let rows = statement.query_map(params![tenant.as_str()], account_from_row).during(OP)?;
    rows.collect::<rusqlite::Result<_>>().during(OP)
}

pub(crate) fn route(
    conn: &Connection,
    channel: &ChannelId,
    platform_account_id: &str,
) -> Result<Option<ChannelAccount>> {
    const OP: &str = "sqlite.route";
    const SQL: &str =
        concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.channel = ?1 AND a.platform_account_id = ?2");
    conn.prepare_cached(SQL)
        .during(OP)?
        .query_row(params![channel.as_str(), platform_account_id], account_from_row)
        .optional()
        .during(OP)
}

/// A page of conversations, newest activity first. One statement serves every combination of
/// filters: a NULL parameter switches its filter off. The keyset condition is a row-value range
/// on the (tenant, last_activity_at, id) index, so a deep page costs the same as the first.
const LIST_CONVERSATIONS: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations c \
     WHERE c.tenant = ?1 AND (c.last_activity_at, c.id) < (?2, ?3) \
       AND (?4 IS NULL OR c.status = ?4) \
       AND (?5 IS NULL OR c.account = ?5) \
       AND (?6 = 0 OR (?6 = 1 AND c.assignee IS NULL) OR (?6 = 2 AND c.assignee = ?7)) \
       AND (?8 IS NULL OR EXISTS (SELECT 1 FROM conversation_tags t \
            WHERE t.tenant = ?1 AND t.conversation = c.id AND t.tag = ?8)) \
       AND (?9 = 0 OR c.unread_count > 0) \
       AND (?11 IS NULL OR c.contact = ?11) \
     ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?10"
);

pub(crate) fn conversations(
    conn: &Connection,
    tenant: &TenantId,
    query: &ConversationQuery,
) -> Result<Page<Conversation>> {
    const OP: &str = "sqlite.conversations";
    let (after_at, after_id) = keyset(query.after);
    let (assignee_mode, assignee) = match &query.assignee {
        None => (0, None),
        Some(AssigneeFilter::Unassigned) => (1, None),
        Some(AssigneeFilter::User(user)) => (2, Some(user.as_str())),
    };
    let mut statement = conn.prepare_cached(LIST_CONVERSATIONS).during(OP)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                after_at,
                after_id,
                query.status.map(|status| status.as_str()),
                query.account.as_ref().map(|account| account.as_bytes().as_slice()),
                assignee_mode,
                assignee,
                query.tag.as_deref(),
                query.unread_only,
                fetch_limit(query.limit),
                query.contact.as_ref().map(|contact| contact.as_bytes().as_slice()),
            ],
            |row| conversation_from_row(row, tenant),
        )
        .during(OP)?;
    let mut items = rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?;
    let next = if items.len() > query.limit {
        items.truncate(query.limit);
        items.last().map(|last| Cursor::new(last.last_activity_at, last.id.as_uuid()))
    } else {
        None
    };
    for conversation in &mut items {
        load_tags(conn, conversation, OP)?;
    }
    Ok(Page { items, next })
}

pub(crate) fn conversation(conn: &Connection, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
    const OP: &str = "sqlite.conversation";
    rows::conversation(conn, tenant, id, OP)?.ok_or_else(|| not_found("conversation", OP))
}

/// Whether the conversation exists in the tenant.
pub(crate) fn conversation_exists(
    conn: &Connection,
    tenant: &TenantId,
    id: ConversationId,
    operation: &'static str,
) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM conversations WHERE tenant = ?1 AND id = ?2")
        .during(operation)?
        .exists(params![tenant.as_str(), id.as_bytes()])
        .during(operation)
}

/// A conversation's messages, newest first, keyset-paged on the (tenant, conversation, sent_at,
/// id) index.
const LIST_MESSAGES: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.tenant = ?1 AND m.conversation = ?2 AND (m.sent_at, m.id) < (?3, ?4) \
     ORDER BY m.sent_at DESC, m.id DESC LIMIT ?5"
);

pub(crate) fn messages(
    conn: &Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    query: &MessageQuery,
) -> Result<Page<Message>> {
    const OP: &str = "sqlite.messages";
    if !conversation_exists(conn, tenant, conversation, OP)? {
        return Err(not_found("conversation", OP));
    }
    let (before_at, before_id) = keyset(query.before);
    let mut statement = conn.prepare_cached(LIST_MESSAGES).during(OP)?;
    let rows = statement
        .query_map(
            params![tenant.as_str(), conversation.as_bytes(), before_at, before_id, fetch_limit(query.limit)],
            |row| message_from_row(row, tenant),
        )
        .during(OP)?;
    let items = rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?;
    finish_message_page(conn, tenant, rows::open_messages(items, OP)?, query.limit, OP)
}

pub(crate) fn message(conn: &Connection, tenant: &TenantId, id: unibox_core::MessageId) -> Result<Message> {
    const OP: &str = "sqlite.message";
    rows::message(conn, tenant, id, OP)?.ok_or_else(|| not_found("message", OP))
}

pub(crate) fn contact(conn: &Connection, tenant: &TenantId, id: ContactId) -> Result<Contact> {
    const OP: &str = "sqlite.contact";
    rows::contact(conn, tenant, id, OP)?.ok_or_else(|| not_found("contact", OP))
}

/// Up to `limit` contacts of the tenant in id order, after `after`.
pub(crate) fn contacts(
    conn: &Connection,
    tenant: &TenantId,
    after: Option<ContactId>,
    limit: usize,
) -> Result<Vec<Contact>> {
    const OP: &str = "sqlite.contacts";
    let after = after.map(|id| id.as_bytes().to_vec()).unwrap_or_default();
    let ids = conn
        .prepare_cached("SELECT id FROM contacts WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?3")
        .during(OP)?
        .query_map(params![tenant.as_str(), after, i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            row.get::<_, [u8; 16]>(0)
        })
        .during(OP)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(OP)?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.extend(rows::contact(conn, tenant, ContactId::from_bytes(id), OP)?);
    }
    Ok(found)
}

pub(crate) fn contact_by_identity(
    conn: &Connection,
    tenant: &TenantId,
    identity: &ContactIdentity,
) -> Result<Option<Contact>> {
    const OP: &str = "sqlite.contact_by_identity";
    let kind = identity_kind_key(&identity.kind)?;
    let value = rows::identity_lookup(&crate::sealing::current(OP)?, &kind, &identity.value);
    let id: Option<[u8; 16]> = conn
        .prepare_cached(
            "SELECT contact FROM contact_identities WHERE tenant = ?1 AND account = ?2 AND kind = ?3 AND value = ?4",
        )
        .during(OP)?
        .query_row(params![tenant.as_str(), identity.account.as_bytes(), kind, value], |row| row.get(0))
        .optional()
        .during(OP)?;
    match id {
        Some(id) => rows::contact(conn, tenant, ContactId::from_bytes(id), OP),
        None => Ok(None),
    }
}

pub(crate) fn notes(conn: &Connection, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
    const OP: &str = "sqlite.notes";
    if !conversation_exists(conn, tenant, conversation, OP)? {
        return Err(not_found("conversation", OP));
    }
    let mut statement = conn
        .prepare_cached(
            "SELECT id, author, body, created_at, body_sealed FROM notes WHERE tenant = ?1 AND conversation = ?2 \
             ORDER BY created_at, id",
        )
        .during(OP)?;
    let rows = statement
        .query_map(params![tenant.as_str(), conversation.as_bytes()], |row| {
            let note = InternalNote {
                id: NoteId::from_bytes(row.get(0)?),
                tenant: tenant.clone(),
                conversation,
                author: parsed_column(row, 1, |s| UserId::new(s))?,
                body: row.get(2)?,
                created_at: Timestamp::from_unix_millis(row.get(3)?),
            };
            Ok((note, row.get::<_, Option<Vec<u8>>>(4)?))
        })
        .during(OP)?;
    let stored = rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)?;
    let sealer = crate::sealing::current(OP)?;
    stored
        .into_iter()
        .map(|(mut note, sealed)| {
            note.body = sealer.open_required(
                crate::sealing::cells::field::NOTE_BODY,
                note.id.as_bytes(),
                std::mem::take(&mut note.body),
                sealed,
            )?;
            Ok(note)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::search::{SEARCH_INDEXED, SEARCH_SCAN};

    /// The query plan of `sql`, one line per step.
    fn plan(sql: &str) -> String {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        // The search filter is a registered function; a stand-in is enough to plan.
        conn.create_scalar_function("unibox_matches", 2, rusqlite::functions::FunctionFlags::SQLITE_UTF8, |_| Ok(true))
            .unwrap();
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = vec![rusqlite::types::Null; statement.parameter_count()];
        let lines = statement.query_map(rusqlite::params_from_iter(unbound), |row| row.get::<_, String>(3)).unwrap();
        lines.collect::<rusqlite::Result<Vec<_>>>().unwrap().join("\n")
    }

    #[test]
    fn conversation_pages_walk_the_activity_index_without_sorting() {
        let plan = plan(LIST_CONVERSATIONS);
        assert!(plan.contains("conversations_by_activity"), "{plan}");
        assert!(plan.contains("(last_activity_at,id)<(?,?)"), "the cursor is an index range: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn message_pages_walk_the_conversation_index_without_sorting() {
        let plan = plan(LIST_MESSAGES);
        assert!(plan.contains("messages_by_conversation"), "{plan}");
        assert!(plan.contains("(sent_at,id)<(?,?)"), "the cursor is an index range: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn short_term_search_scans_the_tenants_messages_newest_first() {
        let plan = plan(SEARCH_SCAN);
        assert!(plan.contains("messages_by_time"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "it stops at the page size instead of sorting: {plan}");
    }

    #[test]
    fn trigram_search_starts_from_the_index() {
        let plan = plan(SEARCH_INDEXED);
        let first = plan.lines().next().unwrap_or_default();
        assert!(first.contains("VIRTUAL TABLE"), "the trigram index is the outer loop: {plan}");
    }
}
