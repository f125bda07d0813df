//! Privacy requests: [`DeletionRequestStore`] for [`SqliteInbox`] (tables `privacy_*`,
//! schema version 6). Every query names the tenant.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, Error, ErrorKind, Result, TenantId, Timestamp};

use crate::codec::to_json;
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

const COLUMNS: &str = "confirmation_code, kind, platform, platform_user_id, contacts, status, requested_at, updated_at";

fn kind_from(text: &str, operation: &'static str) -> Result<PrivacyRequestKind> {
    match text {
        "data_deletion" => Ok(PrivacyRequestKind::DataDeletion),
        "deauthorization" => Ok(PrivacyRequestKind::Deauthorization),
        "tenant_deletion" => Ok(PrivacyRequestKind::TenantDeletion),
        "contact_erasure" => Ok(PrivacyRequestKind::ContactErasure),
        _ => Err(corrupt(operation, "privacy request kind")),
    }
}

fn contacts_to_bytes(contacts: &[ContactId]) -> Vec<u8> {
    contacts.iter().flat_map(|c| *c.as_bytes()).collect()
}

fn contacts_from_bytes(bytes: &[u8], operation: &'static str) -> Result<Vec<ContactId>> {
    if !bytes.len().is_multiple_of(16) {
        return Err(corrupt(operation, "privacy request contact list"));
    }
    Ok(bytes
        .chunks_exact(16)
        .map(|chunk| {
            let mut id = [0u8; 16];
            id.copy_from_slice(chunk);
            ContactId::from_bytes(id)
        })
        .collect())
}

type RawRequest = (String, String, String, String, Vec<u8>, String, i64, i64);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?))
}

fn request(tenant: &TenantId, raw: RawRequest, operation: &'static str) -> Result<DeletionRequest> {
    let (confirmation_code, kind, platform, platform_user_id, contacts, status, requested_at, updated_at) = raw;
    Ok(DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code,
        kind: kind_from(&kind, operation)?,
        platform,
        platform_user_id,
        contacts: contacts_from_bytes(&contacts, operation)?,
        status: serde_json::from_str(&status).map_err(|_| corrupt(operation, "privacy request status"))?,
        requested_at: Timestamp::from_unix_millis(requested_at),
        updated_at: Timestamp::from_unix_millis(updated_at),
    })
}

fn select_one(
    conn: &rusqlite::Connection,
    tenant: &TenantId,
    code: &str,
    operation: &'static str,
) -> Result<Option<DeletionRequest>> {
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM privacy_requests WHERE tenant = ?1 AND confirmation_code = ?2"))
        .during(operation)?
        .query_row(params![tenant.as_str(), code], raw)
        .optional()
        .during(operation)?;
    row.map(|row| request(tenant, row, operation)).transpose()
}

#[async_trait]
impl DeletionRequestStore for SqliteInbox {
    async fn link_platform_user(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
        contact: ContactId,
    ) -> Result<()> {
        const OP: &str = "sqlite.privacy.link";
        let (tenant, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO privacy_user_links (tenant, platform, platform_user_id, contact) VALUES (?1, ?2, ?3, ?4)",
                )
                .during(OP)?
                .execute(params![tenant.as_str(), platform, user, contact.as_bytes()])
                .during(OP)?;
                Ok(())
            })
            .await
    }

    async fn linked_contacts(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
    ) -> Result<Vec<ContactId>> {
        const OP: &str = "sqlite.privacy.linked_contacts";
        let (tenant, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.read(OP, move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT contact FROM privacy_user_links WHERE tenant = ?1 AND platform = ?2 AND platform_user_id = ?3 ORDER BY id",
                )
                .during(OP)?;
            let rows = statement
                .query_map(params![tenant.as_str(), platform, user], |row| row.get::<_, Vec<u8>>(0))
                .during(OP)?;
            let mut contacts = Vec::new();
            for row in rows {
                contacts.extend(contacts_from_bytes(&row.during(OP)?, OP)?);
            }
            Ok(contacts)
        })
        .await
    }

    async fn open(&self, new: DeletionRequest) -> Result<DeletionRequest> {
        const OP: &str = "sqlite.privacy.open";
        let status = to_json(&new.status, "privacy request status")?;
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO privacy_requests (tenant, confirmation_code, kind, platform, platform_user_id, \
                     contacts, status, status_name, requested_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .during(OP)?
                .execute(params![
                    new.tenant.as_str(),
                    new.confirmation_code,
                    new.kind.as_str(),
                    new.platform,
                    new.platform_user_id,
                    contacts_to_bytes(&new.contacts),
                    status,
                    new.status.as_str(),
                    new.requested_at.as_unix_millis(),
                    new.updated_at.as_unix_millis(),
                ])
                .during(OP)?;
                select_one(conn, &new.tenant, &new.confirmation_code, OP)?
                    .ok_or_else(|| corrupt(OP, "privacy request that was just written"))
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        const OP: &str = "sqlite.privacy.get";
        let (tenant, code) = (tenant.clone(), confirmation_code.to_owned());
        self.read(OP, move |conn| select_one(conn, &tenant, &code, OP)).await
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        confirmation_code: &str,
        status: DeletionStatus,
        at: Timestamp,
    ) -> Result<DeletionRequest> {
        const OP: &str = "sqlite.privacy.set_status";
        let (tenant, code) = (tenant.clone(), confirmation_code.to_owned());
        let json = to_json(&status, "privacy request status")?;
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE privacy_requests SET status = ?3, status_name = ?4, updated_at = ?5 \
                         WHERE tenant = ?1 AND confirmation_code = ?2",
                    )
                    .during(OP)?
                    .execute(params![tenant.as_str(), code, json, status.as_str(), at.as_unix_millis()])
                    .during(OP)?;
                if changed == 0 {
                    return Err(Error::new(ErrorKind::NotFound, "no deletion request with this confirmation code")
                        .with_operation(OP));
                }
                select_one(conn, &tenant, &code, OP)?
                    .ok_or_else(|| corrupt(OP, "privacy request that was just updated"))
            })
            .await
    }

    async fn pending(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>> {
        const OP: &str = "sqlite.privacy.pending";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM privacy_requests WHERE tenant = ?1 AND status_name <> 'completed' \
                     ORDER BY requested_at, confirmation_code"
                ))
                .during(OP)?;
            let rows = statement.query_map(params![tenant.as_str()], raw).during(OP)?;
            let mut pending = Vec::new();
            for row in rows {
                pending.push(request(&tenant, row.during(OP)?, OP)?);
            }
            Ok(pending)
        })
        .await
    }
}
