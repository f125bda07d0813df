//! Contact profiles (the attributes agents record, sealed) and merging two contacts into one.

use std::collections::{BTreeMap, HashMap};

use unibox_core::changes::{Change, ChangeKind};
use unibox_core::workflow::{ContactProfile, ContactUpdate};
use unibox_core::{Author, ContactId, ConversationId, Error, ErrorKind, Result, TenantId, Timestamp};

use crate::codec::to_json;
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::reads::not_found;
use crate::reads::rows::contacts;
use crate::rows::attribute_row;
use crate::sealing::{Seal, field};

/// The `named_at` of a display name the team chose: later than any event, so ingest never
/// replaces it (it keeps the name of the newest event by this column).
const CHOSEN_BY_TEAM: i64 = i64::MAX;

/// A contact with its attributes.
pub(crate) async fn profile(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    id: ContactId,
    operation: &'static str,
) -> Result<ContactProfile> {
    let contact =
        contacts(tx, tenant, seal, &[id], operation).await?.pop().ok_or_else(|| not_found("contact", operation))?;
    let statement = tx
        .prepare_cached("SELECT name, value_sealed FROM contact_attributes WHERE tenant = $1 AND contact = $2")
        .await
        .during(operation)?;
    let mut attributes = BTreeMap::new();
    for row in tx.query(&statement, &[&tenant.as_str(), &id.as_uuid()]).await.during(operation)? {
        let name: String = row.get(0);
        let value = seal.open(field::ATTRIBUTE_VALUE, &attribute_row(id, &name), row.get(1))?;
        attributes.insert(name, value);
    }
    Ok(ContactProfile { contact, attributes })
}

/// The value of attribute `name` of each contact in `ids` that has it, in one query.
pub(crate) async fn attribute_of_each(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    ids: &[ContactId],
    name: &str,
) -> Result<HashMap<ContactId, String>> {
    const OP: &str = "postgres.contacts_attribute";
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let statement = tx
        .prepare_cached(
            "SELECT contact, value_sealed FROM contact_attributes WHERE tenant = $1 AND contact = ANY($2) AND name = $3",
        )
        .await
        .during(OP)?;
    let mut found = HashMap::with_capacity(ids.len());
    for row in tx.query(&statement, &[&tenant.as_str(), &uuids, &name]).await.during(OP)? {
        let id = ContactId::from_uuid(row.get(0));
        found.insert(id, seal.open(field::ATTRIBUTE_VALUE, &attribute_row(id, name), row.get(1))?);
    }
    Ok(found)
}

async fn replace_attributes(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    id: ContactId,
    attributes: &BTreeMap<String, String>,
    operation: &'static str,
) -> Result<()> {
    tx.execute("DELETE FROM contact_attributes WHERE tenant = $1 AND contact = $2", &[&tenant.as_str(), &id.as_uuid()])
        .await
        .during(operation)?;
    let statement = tx
        .prepare_cached("INSERT INTO contact_attributes (tenant, contact, name, value_sealed) VALUES ($1, $2, $3, $4)")
        .await
        .during(operation)?;
    for (name, value) in attributes {
        let sealed = seal.seal(field::ATTRIBUTE_VALUE, &attribute_row(id, name), value)?;
        tx.execute(&statement, &[&tenant.as_str(), &id.as_uuid(), name, &sealed]).await.during(operation)?;
    }
    Ok(())
}

/// Locks the contact's row (edits and merges of one contact run one after the other).
async fn lock_contact(tx: &Tx<'_>, tenant: &TenantId, id: ContactId, operation: &'static str) -> Result<()> {
    let found = tx
        .query_opt(
            "SELECT 1 FROM contacts WHERE tenant = $1 AND id = $2 FOR UPDATE",
            &[&tenant.as_str(), &id.as_uuid()],
        )
        .await
        .during(operation)?;
    found.map(|_| ()).ok_or_else(|| not_found("contact", operation))
}

/// Edits a contact's profile with [`ContactUpdate::apply`]; a name set here sticks.
pub(crate) async fn update(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    id: ContactId,
    update: &ContactUpdate,
    log: &mut Vec<Change>,
) -> Result<ContactProfile> {
    const OP: &str = "postgres.update_contact";
    lock_contact(tx, tenant, id, OP).await?;
    let mut profile = profile(tx, tenant, seal, id, OP).await?;
    update.apply(&mut profile)?;
    if update.display_name.is_some() {
        let sealed = seal.seal_opt(field::CONTACT_NAME, id.as_bytes(), profile.contact.display_name.as_deref())?;
        tx.execute(
            "UPDATE contacts SET display_name_sealed = $3, named_at = $4, named_by = '' WHERE tenant = $1 AND id = $2",
            &[&tenant.as_str(), &id.as_uuid(), &sealed, &CHOSEN_BY_TEAM],
        )
        .await
        .during(OP)?;
    }
    if !update.attributes.is_empty() {
        replace_attributes(tx, tenant, seal, id, &profile.attributes, OP).await?;
    }
    log_contact_change(tx, tenant, id, "contact_updated", log, OP).await?;
    Ok(profile)
}

/// Merges `duplicate` into `keep`, in the caller's transaction.
pub(crate) async fn merge(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    keep: ContactId,
    duplicate: ContactId,
    log: &mut Vec<Change>,
) -> Result<ContactProfile> {
    const OP: &str = "postgres.merge_contacts";
    if keep == duplicate {
        return Err(Error::new(ErrorKind::InvalidInput, "a contact cannot be merged into itself").with_operation(OP));
    }
    // Both rows locked in one order, whichever the call's.
    let (first, second) = if keep.as_uuid() < duplicate.as_uuid() { (keep, duplicate) } else { (duplicate, keep) };
    lock_contact(tx, tenant, first, OP).await?;
    lock_contact(tx, tenant, second, OP).await?;
    let kept = profile(tx, tenant, seal, keep, OP).await?;
    let merged_away = profile(tx, tenant, seal, duplicate, OP).await?;
    let t = tenant.as_str();
    let clash = tx
        .query_opt(
            "SELECT 1 FROM conversations k JOIN conversations d ON d.tenant = k.tenant AND d.account = k.account \
             WHERE k.tenant = $1 AND k.contact = $2 AND d.contact = $3 LIMIT 1",
            &[&t, &keep.as_uuid(), &duplicate.as_uuid()],
        )
        .await
        .during(OP)?;
    if clash.is_some() {
        return Err(Error::new(
            ErrorKind::Conflict,
            "both contacts have a conversation on the same channel account; a conversation belongs to one contact",
        )
        .with_operation(OP));
    }
    let merged = kept.merged_with(&merged_away);
    // The name's provenance travels with the name, so later events compare against the right one.
    let source = if kept.contact.display_name.is_some() { keep } else { duplicate };
    let name_sealed = seal.seal_opt(field::CONTACT_NAME, keep.as_bytes(), merged.contact.display_name.as_deref())?;
    tx.execute(
        "UPDATE contacts c SET display_name_sealed = $3, created_at = $4, named_at = s.named_at, named_by = s.named_by \
         FROM contacts s WHERE c.tenant = $1 AND c.id = $2 AND s.tenant = $1 AND s.id = $5",
        &[&t, &keep.as_uuid(), &name_sealed, &merged.contact.created_at.as_unix_millis(), &source.as_uuid()],
    )
    .await
    .during(OP)?;
    tx.execute(
        "UPDATE messages SET author = $3 WHERE tenant = $1 AND author = $4 \
         AND conversation IN (SELECT id FROM conversations WHERE tenant = $1 AND contact = $2)",
        &[
            &t,
            &duplicate.as_uuid(),
            &to_json(&Author::Contact(keep), "author")?,
            &to_json(&Author::Contact(duplicate), "author")?,
        ],
    )
    .await
    .during(OP)?;
    // Logged on the conversations that move, before they move.
    log_contact_change(tx, tenant, duplicate, "contact_merged", log, OP).await?;
    for sql in [
        "UPDATE contact_identities SET contact = $2 WHERE tenant = $1 AND contact = $3",
        "UPDATE conversations SET contact = $2 WHERE tenant = $1 AND contact = $3",
    ] {
        tx.execute(sql, &[&t, &keep.as_uuid(), &duplicate.as_uuid()]).await.during(OP)?;
    }
    for sql in [
        "DELETE FROM contact_attributes WHERE tenant = $1 AND contact = $2",
        "DELETE FROM contacts WHERE tenant = $1 AND id = $2",
    ] {
        tx.execute(sql, &[&t, &duplicate.as_uuid()]).await.during(OP)?;
    }
    replace_attributes(tx, tenant, seal, keep, &merged.attributes, OP).await?;
    profile(tx, tenant, seal, keep, OP).await
}

/// A change for each of the contact's conversations, which show the contact.
async fn log_contact_change(
    tx: &Tx<'_>,
    tenant: &TenantId,
    contact: ContactId,
    detail: &str,
    log: &mut Vec<Change>,
    operation: &'static str,
) -> Result<()> {
    let rows = tx
        .query(
            "SELECT id FROM conversations WHERE tenant = $1 AND contact = $2 ORDER BY id",
            &[&tenant.as_str(), &contact.as_uuid()],
        )
        .await
        .during(operation)?;
    let at = Timestamp::now();
    for row in rows {
        log.push(
            Change::new(tenant.clone(), at, ChangeKind::ConversationChanged)
                .conversation(ConversationId::from_uuid(row.get(0)))
                .detail(detail),
        );
    }
    Ok(())
}
