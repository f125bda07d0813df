//! [`InboxReads`] for [`PostgresInbox`]: every read is one transaction scoped to its tenant,
//! with the tenant's seal (for reading: a read never creates a data key) to open what it reads.

pub(crate) mod rows;
mod search;

use async_trait::async_trait;
use unibox_core::inbox::{AssigneeFilter, ConversationQuery, Cursor, InboxReads, MessageQuery, Page, SearchQuery};
use unibox_core::{
    Contact, ContactId, ContactIdentity, Conversation, ConversationId, Error, ErrorKind, InternalNote, Message,
    MessageId, NoteId, Result, TenantId, Timestamp, UserId,
};

use crate::codec::{identity_kind_key, parsed};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::Tx;
use crate::rows::identity_lookup;
use crate::sealing::{Access, field};

pub(crate) use rows::{CONVERSATION_COLUMNS, MESSAGE_COLUMNS};

pub(crate) fn not_found(what: &'static str, operation: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} not found")).with_operation(operation)
}

/// The keyset position to continue from: the cursor's `(time, id)`, or, for the first page, a
/// position after every stored row.
pub(crate) fn keyset(cursor: Option<Cursor>) -> (i64, uuid::Uuid) {
    match cursor {
        Some(cursor) => (cursor.at.as_unix_millis(), cursor.id),
        None => (i64::MAX, uuid::Uuid::max()),
    }
}

/// Fetch one row more than the page size to learn whether another page follows.
pub(crate) fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1)
}

/// A page of `items` fetched with [`fetch_limit`]: the extra item, if any, says a page follows.
pub(crate) fn page<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> Cursor) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(key)
    } else {
        None
    };
    Page { items, next }
}

pub(crate) async fn conversation_exists(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversation: ConversationId,
    operation: &'static str,
) -> Result<bool> {
    let statement =
        tx.prepare_cached("SELECT 1 FROM conversations WHERE tenant = $1 AND id = $2").await.during(operation)?;
    Ok(tx.query_opt(&statement, &[&tenant.as_str(), &conversation.as_uuid()]).await.during(operation)?.is_some())
}

#[async_trait]
impl InboxReads for PostgresInbox {
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>> {
        const OP: &str = "postgres.conversations";
        query.validate()?;
        let (owner, query) = (tenant.clone(), query.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let (at, id) = keyset(query.after);
                    let status = query.status.map(|status| status.to_string());
                    let (assignee_mode, assignee): (i32, Option<String>) = match &query.assignee {
                        None => (0, None),
                        Some(AssigneeFilter::Unassigned) => (1, None),
                        Some(AssigneeFilter::User(user)) => (2, Some(user.as_str().to_owned())),
                    };
                    let sql = format!(
                        "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
                         WHERE c.tenant = $1 AND (c.last_activity_at, c.id) < ($2, $3) \
                           AND ($4::TEXT IS NULL OR c.status = $4) \
                           AND ($5::UUID IS NULL OR c.account = $5) \
                           AND ($6 = 0 OR ($6 = 1 AND c.assignee IS NULL) OR ($6 = 2 AND c.assignee = $7)) \
                           AND ($8::TEXT IS NULL OR EXISTS (SELECT 1 FROM conversation_tags t WHERE t.tenant = $1 \
                                AND t.conversation = c.id AND t.tag = $8)) \
                           AND (NOT $9 OR c.unread_count > 0) \
                           AND ($10::UUID IS NULL OR c.contact = $10) \
                         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $11"
                    );
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let rows = tx
                        .query(
                            &statement,
                            &[
                                &owner.as_str(),
                                &at,
                                &id,
                                &status,
                                &query.account.map(|a| a.as_uuid()),
                                &assignee_mode,
                                &assignee,
                                &query.tag,
                                &query.unread_only,
                                &query.contact.map(|c| c.as_uuid()),
                                &fetch_limit(query.limit),
                            ],
                        )
                        .await
                        .during(OP)?;
                    let mut items =
                        rows.iter().map(|row| rows::conversation(row, &owner, OP)).collect::<Result<Vec<_>>>()?;
                    load_tags_of(tx, &owner, &mut items, OP).await?;
                    Ok(page(items, query.limit, |c| Cursor::new(c.last_activity_at, c.id.as_uuid())))
                })
            })
            .await
    }

    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
        const OP: &str = "postgres.conversation";
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let sql =
                        format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.tenant = $1 AND c.id = $2");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let row = tx.query_opt(&statement, &[&owner.as_str(), &id.as_uuid()]).await.during(OP)?;
                    let Some(row) = row else { return Err(not_found("conversation", OP)) };
                    let mut conversation = [rows::conversation(&row, &owner, OP)?];
                    load_tags_of(tx, &owner, &mut conversation, OP).await?;
                    let [conversation] = conversation;
                    Ok(conversation)
                })
            })
            .await
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        const OP: &str = "postgres.messages";
        query.validate()?;
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owner, query) = (tenant.clone(), query.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    if !conversation_exists(tx, &owner, conversation, OP).await? {
                        return Err(not_found("conversation", OP));
                    }
                    let (at, id) = keyset(query.before);
                    let sql = format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.tenant = $1 AND m.conversation = $2 \
                         AND (m.sent_at, m.id) < ($3, $4) ORDER BY m.sent_at DESC, m.id DESC LIMIT $5"
                    );
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let found = tx
                        .query(
                            &statement,
                            &[&owner.as_str(), &conversation.as_uuid(), &at, &id, &fetch_limit(query.limit)],
                        )
                        .await
                        .during(OP)?;
                    let mut items =
                        found.iter().map(|row| rows::message(row, &owner, &seal, OP)).collect::<Result<Vec<_>>>()?;
                    items.truncate(query.limit.saturating_add(1));
                    rows::load_reactions(tx, &owner, &seal, &mut items, OP).await?;
                    Ok(page(items, query.limit, |m| Cursor::new(m.sent_at, m.id.as_uuid())))
                })
            })
            .await
    }

    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message> {
        const OP: &str = "postgres.message";
        let mut found = self.messages_by_id(tenant, &[id]).await.map_err(|e| e.with_operation(OP))?;
        found.pop().ok_or_else(|| not_found("message", OP))
    }

    async fn messages_by_id(&self, tenant: &TenantId, ids: &[MessageId]) -> Result<Vec<Message>> {
        const OP: &str = "postgres.messages_by_id";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owner, ids) = (tenant.clone(), ids.to_vec());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
                    let sql =
                        format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.tenant = $1 AND m.id = ANY($2)");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let found = tx.query(&statement, &[&owner.as_str(), &uuids]).await.during(OP)?;
                    let mut items =
                        found.iter().map(|row| rows::message(row, &owner, &seal, OP)).collect::<Result<Vec<_>>>()?;
                    rows::load_reactions(tx, &owner, &seal, &mut items, OP).await?;
                    Ok(ids.iter().filter_map(|id| items.iter().find(|m| m.id == *id).cloned()).collect())
                })
            })
            .await
    }

    async fn contacts_by_id(&self, tenant: &TenantId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        const OP: &str = "postgres.contacts_by_id";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owner, ids) = (tenant.clone(), ids.to_vec());
        self.db
            .tenant_tx(OP, tenant, move |tx| Box::pin(async move { rows::contacts(tx, &owner, &seal, &ids, OP).await }))
            .await
    }

    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        const OP: &str = "postgres.contacts";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let owner = tenant.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT id FROM contacts WHERE tenant = $1 AND ($2::UUID IS NULL OR id > $2) \
                             ORDER BY id LIMIT $3",
                        )
                        .await
                        .during(OP)?;
                    let ids: Vec<ContactId> = tx
                        .query(&statement, &[&owner.as_str(), &after.map(|a| a.as_uuid()), &limit])
                        .await
                        .during(OP)?
                        .iter()
                        .map(|row| ContactId::from_uuid(row.get(0)))
                        .collect();
                    rows::contacts(tx, &owner, &seal, &ids, OP).await
                })
            })
            .await
    }

    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        const OP: &str = "postgres.contact";
        let mut found = self.contacts_by_id(tenant, &[id]).await.map_err(|e| e.with_operation(OP))?;
        found.pop().ok_or_else(|| not_found("contact", OP))
    }

    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        const OP: &str = "postgres.contact_by_identity";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let kind = identity_kind_key(&identity.kind)?;
        let lookup = identity_lookup(&seal, &kind, &identity.value);
        let (owner, account) = (tenant.clone(), identity.account);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT contact FROM contact_identities WHERE tenant = $1 AND account = $2 AND kind = $3 \
                             AND value = $4",
                        )
                        .await
                        .during(OP)?;
                    let row = tx
                        .query_opt(&statement, &[&owner.as_str(), &account.as_uuid(), &kind, &lookup])
                        .await
                        .during(OP)?;
                    let Some(row) = row else { return Ok(None) };
                    let id = ContactId::from_uuid(row.get(0));
                    Ok(rows::contacts(tx, &owner, &seal, &[id], OP).await?.pop())
                })
            })
            .await
    }

    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        const OP: &str = "postgres.search";
        query.validate()?;
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owner, query) = (tenant.clone(), query.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let mut items = search::search(tx, &owner, &seal, &query, OP).await?;
                    rows::load_reactions(tx, &owner, &seal, &mut items, OP).await?;
                    Ok(page(items, query.limit, |m| Cursor::new(m.sent_at, m.id.as_uuid())))
                })
            })
            .await
    }

    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        const OP: &str = "postgres.notes";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    if !conversation_exists(tx, &owner, conversation, OP).await? {
                        return Err(not_found("conversation", OP));
                    }
                    let statement = tx
                        .prepare_cached(
                            "SELECT id, author, body_sealed, created_at FROM notes WHERE tenant = $1 \
                             AND conversation = $2 ORDER BY created_at, id",
                        )
                        .await
                        .during(OP)?;
                    let found = tx.query(&statement, &[&owner.as_str(), &conversation.as_uuid()]).await.during(OP)?;
                    found
                        .iter()
                        .map(|row| {
                            let id = NoteId::from_uuid(row.get(0));
                            Ok(InternalNote {
                                id,
                                tenant: owner.clone(),
                                conversation,
                                author: parsed(row.get(1), OP, "note author", |s| UserId::new(s))?,
                                body: seal.open(field::NOTE_BODY, id.as_bytes(), row.get(2))?,
                                created_at: Timestamp::from_unix_millis(row.get(3)),
                            })
                        })
                        .collect()
                })
            })
            .await
    }
}

async fn load_tags_of(
    tx: &Tx<'_>,
    tenant: &TenantId,
    conversations: &mut [Conversation],
    operation: &'static str,
) -> Result<()> {
    rows::load_tags(tx, tenant, conversations, operation).await
}
