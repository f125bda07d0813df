//! Contacts, their identities and their attributes, sealed as ingest and the workflow seal them.

use std::collections::HashSet;

use unibox_core::privacy::export::ExportedContact;
use unibox_core::{Error, ErrorKind, Result};
use uuid::Uuid;

use super::OP;
use super::batch::{batches, part};
use crate::codec::identity_kind_key;
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::rows::{attribute_row, identity_lookup, identity_row};
use crate::sealing::{Seal, field};

/// The contacts of an export, as rows of `contacts`, `contact_identities` and
/// `contact_attributes`.
#[derive(Default)]
pub(super) struct Contacts {
    id: Vec<Uuid>,
    display_name_sealed: Vec<Option<Vec<u8>>>,
    created_at: Vec<i64>,
    /// (account, kind, blind): an identity belongs to one contact.
    identity_keys: HashSet<(Uuid, String, String)>,
    identity_account: Vec<Uuid>,
    identity_kind: Vec<String>,
    identity_value: Vec<String>,
    identity_contact: Vec<Uuid>,
    identity_value_sealed: Vec<Vec<u8>>,
    attribute_contact: Vec<Uuid>,
    attribute_name: Vec<String>,
    attribute_value_sealed: Vec<Vec<u8>>,
}

impl Contacts {
    pub(super) fn push(&mut self, seal: &Seal, exported: &ExportedContact) -> Result<()> {
        let contact = &exported.contact;
        let id = contact.id.as_uuid();
        self.id.push(id);
        self.display_name_sealed.push(seal.seal_opt(
            field::CONTACT_NAME,
            contact.id.as_bytes(),
            contact.display_name.as_deref(),
        )?);
        self.created_at.push(contact.created_at.as_unix_millis());
        for identity in &contact.identities {
            // As ingest stores an identity: looked up by its blind, its value sealed beside it.
            let kind = identity_kind_key(&identity.kind)?;
            let value = identity_lookup(seal, &kind, &identity.value);
            let row = identity_row(identity.account.as_bytes(), &kind, &value);
            let sealed = seal.seal(field::IDENTITY_VALUE, &row, &identity.value)?;
            if !self.identity_keys.insert((identity.account.as_uuid(), kind.clone(), value.clone())) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "an identity of the contact is listed twice in the export (an identity belongs to one contact)",
                ));
            }
            self.identity_account.push(identity.account.as_uuid());
            self.identity_kind.push(kind);
            self.identity_value.push(value);
            self.identity_contact.push(id);
            self.identity_value_sealed.push(sealed);
        }
        for (name, value) in &exported.attributes {
            self.attribute_contact.push(id);
            self.attribute_name.push(name.clone());
            self.attribute_value_sealed.push(seal.seal(
                field::ATTRIBUTE_VALUE,
                &attribute_row(contact.id, name),
                value,
            )?);
        }
        Ok(())
    }

    /// No naming event is known: `named_at` and `named_by` stay empty, so the next event that
    /// names the contact sets its name (as the SQLite store's restore does).
    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let contacts = tx
            .prepare_cached(
                "INSERT INTO contacts (tenant, id, display_name_sealed, named_at, named_by, created_at) \
                 SELECT $1::TEXT, u.id, u.name, NULL, NULL, u.created_at \
                 FROM unnest($2::UUID[], $3::BYTEA[], $4::BIGINT[]) AS u (id, name, created_at)",
            )
            .await
            .during(OP)?;
        for rows in batches(self.id.len()) {
            let (id, name, created_at) =
                (part(&self.id, &rows), part(&self.display_name_sealed, &rows), part(&self.created_at, &rows));
            tx.execute(&contacts, &[&tenant, &id, &name, &created_at]).await.during(OP)?;
        }
        let identities = tx
            .prepare_cached(
                "INSERT INTO contact_identities (tenant, account, kind, value, contact, value_sealed) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::TEXT[], $4::TEXT[], $5::UUID[], $6::BYTEA[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.identity_account.len()) {
            tx.execute(
                &identities,
                &[
                    &tenant,
                    &part(&self.identity_account, &rows),
                    &part(&self.identity_kind, &rows),
                    &part(&self.identity_value, &rows),
                    &part(&self.identity_contact, &rows),
                    &part(&self.identity_value_sealed, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        let attributes = tx
            .prepare_cached(
                "INSERT INTO contact_attributes (tenant, contact, name, value_sealed) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::TEXT[], $4::BYTEA[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.attribute_contact.len()) {
            tx.execute(
                &attributes,
                &[
                    &tenant,
                    &part(&self.attribute_contact, &rows),
                    &part(&self.attribute_name, &rows),
                    &part(&self.attribute_value_sealed, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
