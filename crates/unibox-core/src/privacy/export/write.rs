//! Writing an export: the manifest, then every record, a page at a time.

use std::collections::HashSet;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::format::{ExportRecord, ExportScope, ExportedContact, Manifest, RecordCounts};
use crate::inbox::{ConversationQuery, MAX_PAGE_SIZE, MessageQuery};
use crate::store::Store;
use crate::{ChannelAccountId, Contact, ContactId, Error, ErrorKind, Result, TenantId, Timestamp};

const OP: &str = "privacy.export";

/// Writes the records, one JSON line each, counting them.
struct Lines<'w, W> {
    out: &'w mut W,
    line: Vec<u8>,
    counts: RecordCounts,
}

impl<W: AsyncWrite + Unpin + Send> Lines<'_, W> {
    async fn write_json(&mut self, value: &impl serde::Serialize) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(|error| {
            Error::new(ErrorKind::Unexpected, "a record cannot be encoded as JSON")
                .with_source(error)
                .with_operation(OP)
        })?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).await.map_err(|error| {
            Error::new(ErrorKind::Storage, "the export could not be written").with_source(error).with_operation(OP)
        })
    }

    async fn record(&mut self, record: ExportRecord) -> Result<()> {
        self.write_json(&record).await?;
        self.counts.count(&record);
        Ok(())
    }
}

/// Identities in one order whatever the backend keeps them in: by account, kind (as its JSON
/// name) and value.
fn sort_identities(contact: &mut Contact) {
    contact.identities.sort_by_cached_key(|identity| {
        (identity.account, serde_json::to_string(&identity.kind).unwrap_or_default(), identity.value.clone())
    });
}

/// Writes an export of `tenant` (all of it, or one contact's data) to `out` as JSON Lines: a
/// [`Manifest`] line, then one [`ExportRecord`] per line. Reads go through the store's ports a
/// page at a time and each record is written as soon as it is read, so memory stays bounded
/// by a page (and one conversation's notes) whatever the tenant's size.
///
/// The order is deterministic: accounts (by connection time), contacts (by id), conversations
/// (most recent activity first), each followed by its messages (newest first) and notes (oldest
/// first), orders (by account and order id), audit records (chain order), audit checkpoints.
/// Exporting what [`import`](super::import) restored gives the same bytes.
///
/// The export reads the live store: run it when the tenant is quiet for a point-in-time copy.
/// A contact export fails with `NotFound` when the tenant has no such contact. Orders and audit
/// records are left out when the store keeps none.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::memory::MemoryStore;
/// use unibox_core::privacy::export::{export, ExportScope};
/// use unibox_core::Timestamp;
/// let store = MemoryStore::new().into();
/// let mut out = Vec::new();
/// let counts = export(&store, &"acme".parse()?, &ExportScope::Tenant, Timestamp::from_unix_seconds(1), &mut out).await?;
/// assert_eq!(counts.total(), 0);
/// assert!(String::from_utf8(out).unwrap().starts_with(r#"{"format":"unibox.export","schema_version":1,"#));
/// # Ok(())
/// # }
/// ```
pub async fn export<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    scope: &ExportScope,
    created_at: Timestamp,
    out: &mut W,
) -> Result<RecordCounts> {
    let page = store.capabilities.max_page_size.clamp(1, MAX_PAGE_SIZE);
    let mut lines = Lines { out, line: Vec::new(), counts: RecordCounts::default() };
    let contact = match scope {
        ExportScope::Tenant => None,
        ExportScope::Contact { contact } => {
            // Fails before anything is written when the contact is not the tenant's.
            Some(store.reads.contact(tenant, *contact).await.map_err(|e| e.with_operation(OP))?.id)
        }
    };
    lines.write_json(&Manifest::new(tenant.clone(), scope.clone(), created_at)).await?;

    accounts(store, tenant, contact, &mut lines).await?;
    contacts(store, tenant, contact, page, &mut lines).await?;
    let conversations = conversations(store, tenant, contact, page, &mut lines).await?;
    orders(store, tenant, contact, page, &mut lines).await?;
    let about = contact.map(|contact| (crate::audit::targets::contact(contact), &conversations));
    audit(store, tenant, about, page, &mut lines).await?;

    lines.out.flush().await.map_err(|error| {
        Error::new(ErrorKind::Storage, "the export could not be written").with_source(error).with_operation(OP)
    })?;
    Ok(lines.counts)
}

/// The accounts: all of them, or those the contact has an identity or a conversation on.
async fn accounts<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    contact: Option<ContactId>,
    lines: &mut Lines<'_, W>,
) -> Result<()> {
    let accounts = store.accounts.accounts(tenant).await.map_err(|e| e.with_operation(OP))?;
    let wanted: Option<HashSet<ChannelAccountId>> = match contact {
        None => None,
        Some(contact) => {
            let found = store.reads.contact(tenant, contact).await.map_err(|e| e.with_operation(OP))?;
            let mut ids: HashSet<ChannelAccountId> = found.identities.iter().map(|i| i.account).collect();
            let query = ConversationQuery::new().contact(contact).limit(MAX_PAGE_SIZE);
            let mut query = query;
            loop {
                let page = store.reads.conversations(tenant, &query).await.map_err(|e| e.with_operation(OP))?;
                ids.extend(page.items.iter().map(|c| c.account));
                match page.next {
                    Some(next) => query = query.after(Some(next)),
                    None => break,
                }
            }
            Some(ids)
        }
    };
    for account in accounts {
        if wanted.as_ref().is_none_or(|wanted| wanted.contains(&account.id)) {
            lines.record(ExportRecord::Account(account)).await?;
        }
    }
    Ok(())
}

async fn exported_contact(store: &Store, tenant: &TenantId, id: ContactId) -> Result<ExportRecord> {
    let profile = store.workflow.contact_profile(tenant, id).await.map_err(|e| e.with_operation(OP))?;
    let mut contact = profile.contact;
    sort_identities(&mut contact);
    Ok(ExportRecord::Contact(ExportedContact { contact, attributes: profile.attributes }))
}

async fn contacts<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    contact: Option<ContactId>,
    page: usize,
    lines: &mut Lines<'_, W>,
) -> Result<()> {
    if let Some(contact) = contact {
        return lines.record(exported_contact(store, tenant, contact).await?).await;
    }
    let mut after = None;
    loop {
        let batch = store.reads.contacts(tenant, after, page).await.map_err(|e| e.with_operation(OP))?;
        for found in &batch {
            lines.record(exported_contact(store, tenant, found.id).await?).await?;
        }
        match batch.last() {
            Some(last) if batch.len() == page => after = Some(last.id),
            _ => return Ok(()),
        }
    }
}

/// The conversations with their messages and notes; returns the ids written (a contact
/// export's audit records are the ones about them).
async fn conversations<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    contact: Option<ContactId>,
    page: usize,
    lines: &mut Lines<'_, W>,
) -> Result<HashSet<String>> {
    let mut written = HashSet::new();
    let mut query = ConversationQuery::new().limit(page);
    if let Some(contact) = contact {
        query = query.contact(contact);
    }
    loop {
        let batch = store.reads.conversations(tenant, &query).await.map_err(|e| e.with_operation(OP))?;
        for conversation in batch.items {
            let id = conversation.id;
            if contact.is_some() {
                written.insert(crate::audit::targets::conversation(id));
            }
            lines.record(ExportRecord::Conversation(conversation)).await?;
            let mut messages = MessageQuery::new().limit(page);
            loop {
                let batch = store.reads.messages(tenant, id, &messages).await.map_err(|e| e.with_operation(OP))?;
                for mut message in batch.items {
                    message.reactions.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
                    lines.record(ExportRecord::Message(message)).await?;
                }
                match batch.next {
                    Some(next) => messages = messages.before(Some(next)),
                    None => break,
                }
            }
            for note in store.reads.notes(tenant, id).await.map_err(|e| e.with_operation(OP))? {
                lines.record(ExportRecord::Note(note)).await?;
            }
        }
        match batch.next {
            Some(next) => query = query.after(Some(next)),
            None => return Ok(written),
        }
    }
}

async fn orders<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    contact: Option<ContactId>,
    page: usize,
    lines: &mut Lines<'_, W>,
) -> Result<()> {
    let Some(orders) = &store.orders else { return Ok(()) };
    let identities = match contact {
        Some(contact) => Some(store.reads.contact(tenant, contact).await.map_err(|e| e.with_operation(OP))?.identities),
        None => None,
    };
    let mut after = None;
    loop {
        let batch = orders.orders_after(tenant, after, page).await.map_err(|e| e.with_operation(OP))?;
        let full = batch.len() == page;
        after = batch.last().map(|last| (last.account, last.order_id.clone()));
        for order in batch {
            let about_contact =
                identities.as_ref().is_none_or(|identities| identities.iter().any(|identity| order.is_of(identity)));
            if about_contact {
                lines.record(ExportRecord::Order(order)).await?;
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// The audit chain (and its checkpoints) for a tenant export; for a contact export, the records
/// whose target is the contact or one of its conversations.
async fn audit<W: AsyncWrite + Unpin + Send>(
    store: &Store,
    tenant: &TenantId,
    about: Option<(String, &HashSet<String>)>,
    page: usize,
    lines: &mut Lines<'_, W>,
) -> Result<()> {
    let log = store.audit.log();
    let mut after = 0;
    loop {
        let batch = log.chain(tenant, after, page).await.map_err(|e| e.with_operation(OP))?;
        let full = batch.len() == page;
        after = batch.last().map_or(after, |last| last.seq.max(after + 1));
        for chained in batch {
            let wanted = about.as_ref().is_none_or(|(contact, conversations)| {
                &chained.record.target == contact || conversations.contains(&chained.record.target)
            });
            if wanted {
                lines.record(ExportRecord::Audit(chained)).await?;
            }
        }
        if !full {
            break;
        }
    }
    if about.is_none() {
        for checkpoint in log.checkpoints(tenant).await.map_err(|e| e.with_operation(OP))? {
            lines.record(ExportRecord::AuditCheckpoint(checkpoint)).await?;
        }
    }
    Ok(())
}
