//! Privacy requests: [`DeletionRequestStore`] for [`SqliteInbox`] (tables `privacy_*`,
//! schema version 6; the platform user id sealed in a sealed inbox from version 18,
//! [`users`]). Every query names the tenant.

pub(crate) mod users;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, Error, ErrorKind, Result, TenantId, Timestamp};

use crate::codec::to_json;
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;
use crate::sealing::{self, Access};
use crate::writer::WriteTx;

const COLUMNS: &str = "confirmation_code, kind, platform, platform_user_id, platform_user_id_sealed, contacts, status, \
                       requested_at, updated_at";

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

/// A request row as read ([`COLUMNS`]), its platform user id not opened yet.
struct RawRequest {
    confirmation_code: String,
    kind: String,
    platform: String,
    platform_user_id: String,
    platform_user_id_sealed: Option<Vec<u8>>,
    contacts: Vec<u8>,
    status: String,
    requested_at: i64,
    updated_at: i64,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok(RawRequest {
        confirmation_code: row.get(0)?,
        kind: row.get(1)?,
        platform: row.get(2)?,
        platform_user_id: row.get(3)?,
        platform_user_id_sealed: row.get(4)?,
        contacts: row.get(5)?,
        status: row.get(6)?,
        requested_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

/// The request of a row, its platform user id opened with the job's sealer.
fn request(tenant: &TenantId, raw: RawRequest, operation: &'static str) -> Result<DeletionRequest> {
    let sealer = sealing::current(operation)?;
    let platform_user_id = users::open_request_user(
        &sealer,
        tenant,
        &raw.confirmation_code,
        raw.platform_user_id,
        raw.platform_user_id_sealed,
    )?;
    Ok(DeletionRequest {
        tenant: tenant.clone(),
        kind: kind_from(&raw.kind, operation)?,
        platform: raw.platform,
        platform_user_id,
        contacts: contacts_from_bytes(&raw.contacts, operation)?,
        status: serde_json::from_str(&raw.status).map_err(|_| corrupt(operation, "privacy request status"))?,
        requested_at: Timestamp::from_unix_millis(raw.requested_at),
        updated_at: Timestamp::from_unix_millis(raw.updated_at),
        confirmation_code: raw.confirmation_code,
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

impl SqliteInbox {
    /// A write job of `tenant`'s privacy requests, run with its sealer for `access` (`Read`
    /// when nothing is sealed: a request naming no user, a status change).
    async fn privacy_write<T, F>(
        &self,
        operation: &'static str,
        tenant: &TenantId,
        access: Access,
        work: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        let sealer = self.sealing.sealer(tenant, access).await?;
        self.writer.write(operation, move |tx| sealing::scope(&sealer, || work(tx))).await
    }
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
        let (owner, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.privacy_write(OP, tenant, Access::Write, move |conn| {
            users::link(conn, &sealing::current(OP)?, &owner, &platform, &user, contact, OP)
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
        let (owner, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.read_sealed(OP, tenant, move |conn| {
            let mut contacts = Vec::new();
            for found in users::linked(conn, &sealing::current(OP)?, &owner, &platform, &user, OP)? {
                contacts.extend(contacts_from_bytes(&found, OP)?);
            }
            Ok(contacts)
        })
        .await
    }

    async fn open(&self, new: DeletionRequest) -> Result<DeletionRequest> {
        const OP: &str = "sqlite.privacy.open";
        let status = to_json(&new.status, "privacy request status")?;
        // A request naming no user seals nothing: no data key is created for it (a tenant
        // deletion records its request after destroying the keys).
        let access = if new.platform_user_id.is_empty() { Access::Read } else { Access::Write };
        let tenant = new.tenant.clone();
        self.privacy_write(OP, &tenant, access, move |conn| {
            let (user, user_sealed) =
                users::store_request_user(&sealing::current(OP)?, &new.confirmation_code, &new.platform_user_id)?;
            conn.prepare_cached(
                "INSERT OR IGNORE INTO privacy_requests (tenant, confirmation_code, kind, platform, platform_user_id, \
                 platform_user_id_sealed, contacts, status, status_name, requested_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .during(OP)?
            .execute(params![
                new.tenant.as_str(),
                new.confirmation_code,
                new.kind.as_str(),
                new.platform,
                user,
                user_sealed,
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
        let (owner, code) = (tenant.clone(), confirmation_code.to_owned());
        self.read_sealed(OP, tenant, move |conn| select_one(conn, &owner, &code, OP)).await
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        confirmation_code: &str,
        status: DeletionStatus,
        at: Timestamp,
    ) -> Result<DeletionRequest> {
        const OP: &str = "sqlite.privacy.set_status";
        let (owner, code) = (tenant.clone(), confirmation_code.to_owned());
        let json = to_json(&status, "privacy request status")?;
        self.privacy_write(OP, tenant, Access::Read, move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE privacy_requests SET status = ?3, status_name = ?4, updated_at = ?5 \
                     WHERE tenant = ?1 AND confirmation_code = ?2",
                )
                .during(OP)?
                .execute(params![owner.as_str(), code, json, status.as_str(), at.as_unix_millis()])
                .during(OP)?;
            if changed == 0 {
                return Err(Error::new(ErrorKind::NotFound, "no deletion request with this confirmation code")
                    .with_operation(OP));
            }
            select_one(conn, &owner, &code, OP)?.ok_or_else(|| corrupt(OP, "privacy request that was just updated"))
        })
        .await
    }

    async fn pending(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>> {
        const OP: &str = "sqlite.privacy.pending";
        let owner = tenant.clone();
        self.read_sealed(OP, tenant, move |conn| {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM privacy_requests WHERE tenant = ?1 AND status_name <> 'completed' \
                     ORDER BY requested_at, confirmation_code"
                ))
                .during(OP)?;
            let rows = statement.query_map(params![owner.as_str()], raw).during(OP)?;
            let mut pending = Vec::new();
            for row in rows {
                pending.push(request(&owner, row.during(OP)?, OP)?);
            }
            Ok(pending)
        })
        .await
    }
}
