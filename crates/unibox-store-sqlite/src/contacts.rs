//! Contact profiles (the attributes agents record) and merging two contacts into one.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use unibox_core::changes::{Change, ChangeKind};
use unibox_core::workflow::{ContactProfile, ContactUpdate};
use unibox_core::{Author, ContactId, ConversationId, Error, ErrorKind, Result, TenantId, Timestamp};

use crate::changes;
use crate::codec::to_json;
use crate::error::SqlResultExt;
use crate::queries::not_found;
use crate::rows;
use crate::sealing::{self, cells::field};

/// The `named_at` of a display name the team chose: later than any event, so ingest never
/// replaces it (it keeps the name of the newest event by this column).
const CHOSEN_BY_TEAM: i64 = i64::MAX;

pub(crate) fn profile(
    conn: &Connection,
    tenant: &TenantId,
    id: ContactId,
    operation: &'static str,
) -> Result<ContactProfile> {
    let contact = rows::contact(conn, tenant, id, operation)?.ok_or_else(|| not_found("contact", operation))?;
    let mut statement = conn
        .prepare_cached(
            "SELECT name, value, value_sealed FROM contact_attributes WHERE tenant = ?1 AND contact = ?2 ORDER BY name",
        )
        .during(operation)?;
    let stored = statement
        .query_map(params![tenant.as_str(), id.as_bytes()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<Vec<u8>>>(2)?))
        })
        .during(operation)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(operation)?;
    let sealer = sealing::current(operation)?;
    let mut attributes = BTreeMap::new();
    for (name, value, sealed) in stored {
        let value = sealer.open_required(field::ATTRIBUTE_VALUE, &attribute_row(id, &name), value, sealed)?;
        attributes.insert(name, value);
    }
    Ok(ContactProfile { contact, attributes })
}

/// The value of attribute `name` of each contact in `ids` that has it: one prepared
/// statement, one point lookup per contact, all in one read (opened when sealed).
pub(crate) fn attribute_of_each(
    conn: &Connection,
    tenant: &TenantId,
    ids: &[ContactId],
    name: &str,
    operation: &'static str,
) -> Result<std::collections::HashMap<ContactId, String>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT value, value_sealed FROM contact_attributes WHERE tenant = ?1 AND contact = ?2 AND name = ?3",
        )
        .during(operation)?;
    let sealer = sealing::current(operation)?;
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for id in ids {
        let mut rows = statement.query(params![tenant.as_str(), id.as_bytes(), name]).during(operation)?;
        if let Some(row) = rows.next().during(operation)? {
            let value = row.get::<_, String>(0).during(operation)?;
            let sealed = row.get::<_, Option<Vec<u8>>>(1).during(operation)?;
            found.insert(*id, sealer.open_required(field::ATTRIBUTE_VALUE, &attribute_row(*id, name), value, sealed)?);
        }
    }
    Ok(found)
}

/// The row id a sealed attribute value is bound to: the contact and the attribute's name.
pub(crate) fn attribute_row(contact: ContactId, name: &str) -> Vec<u8> {
    let mut row = contact.as_bytes().to_vec();
    row.extend_from_slice(name.as_bytes());
    row
}

fn replace_attributes(
    conn: &Connection,
    tenant: &TenantId,
    id: ContactId,
    attributes: &BTreeMap<String, String>,
    operation: &'static str,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM contact_attributes WHERE tenant = ?1 AND contact = ?2")
        .during(operation)?
        .execute(params![tenant.as_str(), id.as_bytes()])
        .during(operation)?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO contact_attributes (tenant, contact, name, value, value_sealed) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .during(operation)?;
    let sealer = sealing::current(operation)?;
    for (name, value) in attributes {
        let (value, sealed) = sealer.store_required(field::ATTRIBUTE_VALUE, &attribute_row(id, name), value)?;
        insert.execute(params![tenant.as_str(), id.as_bytes(), name, value, sealed]).during(operation)?;
    }
    Ok(())
}

pub(crate) fn update(
    conn: &Connection,
    tenant: &TenantId,
    id: ContactId,
    update: &ContactUpdate,
) -> Result<ContactProfile> {
    const OP: &str = "sqlite.update_contact";
    let mut profile = profile(conn, tenant, id, OP)?;
    update.apply(&mut profile)?;
    if update.display_name.is_some() {
        let (name, sealed) =
            sealing::current(OP)?.store(field::CONTACT_NAME, id.as_bytes(), profile.contact.display_name.as_deref())?;
        conn.prepare_cached(
            "UPDATE contacts SET display_name = ?3, named_at = ?4, named_by = '', display_name_sealed = ?5 \
             WHERE tenant = ?1 AND id = ?2",
        )
        .during(OP)?
        .execute(params![tenant.as_str(), id.as_bytes(), name, CHOSEN_BY_TEAM, sealed])
        .during(OP)?;
    }
    if !update.attributes.is_empty() {
        replace_attributes(conn, tenant, id, &profile.attributes, OP)?;
    }
    log_contact_change(conn, tenant, id, "contact_updated", OP)?;
    Ok(profile)
}

pub(crate) fn merge(
    conn: &Connection,
    tenant: &TenantId,
    keep: ContactId,
    duplicate: ContactId,
) -> Result<ContactProfile> {
    const OP: &str = "sqlite.merge_contacts";
    if keep == duplicate {
        return Err(Error::new(ErrorKind::InvalidInput, "a contact cannot be merged into itself").with_operation(OP));
    }
    let kept = profile(conn, tenant, keep, OP)?;
    let merged_away = profile(conn, tenant, duplicate, OP)?;
    let clash = conn
        .prepare_cached(
            "SELECT 1 FROM conversations k JOIN conversations d ON d.tenant = k.tenant AND d.account = k.account \
             WHERE k.tenant = ?1 AND k.contact = ?2 AND d.contact = ?3",
        )
        .during(OP)?
        .exists(params![tenant.as_str(), keep.as_bytes(), duplicate.as_bytes()])
        .during(OP)?;
    if clash {
        return Err(Error::new(
            ErrorKind::Conflict,
            "both contacts have a conversation on the same channel account; a conversation belongs to one contact",
        )
        .with_operation(OP));
    }
    let merged = kept.merged_with(&merged_away);
    let t = tenant.as_str();
    // The name's provenance travels with the name, so later events compare against the right one.
    let source = if kept.contact.display_name.is_some() { keep } else { duplicate };
    let (name, name_sealed) =
        sealing::current(OP)?.store(field::CONTACT_NAME, keep.as_bytes(), merged.contact.display_name.as_deref())?;
    conn.prepare_cached(
        "UPDATE contacts SET display_name = ?3, created_at = ?4, display_name_sealed = ?6, \
           named_at = (SELECT named_at FROM contacts WHERE tenant = ?1 AND id = ?5), \
           named_by = (SELECT named_by FROM contacts WHERE tenant = ?1 AND id = ?5) \
         WHERE tenant = ?1 AND id = ?2",
    )
    .during(OP)?
    .execute(params![
        t,
        keep.as_bytes(),
        name,
        merged.contact.created_at.as_unix_millis(),
        source.as_bytes(),
        name_sealed
    ])
    .during(OP)?;
    conn.prepare_cached(
        "UPDATE messages SET author = ?3 WHERE tenant = ?1 AND author = ?4 \
         AND conversation IN (SELECT id FROM conversations WHERE tenant = ?1 AND contact = ?2)",
    )
    .during(OP)?
    .execute(params![
        t,
        duplicate.as_bytes(),
        to_json(&Author::Contact(keep), "author")?,
        to_json(&Author::Contact(duplicate), "author")?
    ])
    .during(OP)?;
    // Logged on the conversations that move, before they move.
    log_contact_change(conn, tenant, duplicate, "contact_merged", OP)?;
    for sql in [
        "UPDATE contact_identities SET contact = ?2 WHERE tenant = ?1 AND contact = ?3",
        "UPDATE conversations SET contact = ?2 WHERE tenant = ?1 AND contact = ?3",
    ] {
        conn.prepare_cached(sql).during(OP)?.execute(params![t, keep.as_bytes(), duplicate.as_bytes()]).during(OP)?;
    }
    for sql in [
        "DELETE FROM contact_attributes WHERE tenant = ?1 AND contact = ?2",
        "DELETE FROM contacts WHERE tenant = ?1 AND id = ?2",
    ] {
        conn.prepare_cached(sql).during(OP)?.execute(params![t, duplicate.as_bytes()]).during(OP)?;
    }
    replace_attributes(conn, tenant, keep, &merged.attributes, OP)?;
    profile(conn, tenant, keep, OP)
}

/// Appends a change to the log for each of the contact's conversations, which show the contact.
fn log_contact_change(
    conn: &Connection,
    tenant: &TenantId,
    contact: ContactId,
    detail: &str,
    op: &'static str,
) -> Result<()> {
    let conversations = conn
        .prepare_cached("SELECT id FROM conversations WHERE tenant = ?1 AND contact = ?2")
        .during(op)?
        .query_map(params![tenant.as_str(), contact.as_bytes()], |row| row.get::<_, [u8; 16]>(0))
        .during(op)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(op)?;
    let at = Timestamp::now();
    for id in conversations {
        let change = Change::new(tenant.clone(), at, ChangeKind::ConversationChanged)
            .conversation(ConversationId::from_bytes(id))
            .detail(detail);
        changes::append(conn, &change)?;
    }
    Ok(())
}
