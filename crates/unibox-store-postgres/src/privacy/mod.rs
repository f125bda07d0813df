//! Privacy requests: [`DeletionRequestStore`] for [`PostgresInbox`] (tables `privacy_user_links`
//! and `privacy_requests`, migration `0023_privacy.sql`), as the SQLite store keeps them; the
//! platform user id sealed from migration 17 ([`users`]).

mod users;

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, Error, ErrorKind, Result, TenantId, Timestamp};
use uuid::Uuid;

use crate::codec::{from_json, to_json};
use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::pool::Tx;
use crate::sealing::{Access, Seal};

const COLUMNS: &str = "confirmation_code, kind, platform, platform_user_id, contacts, status, requested_at, updated_at, \
                       platform_user_id_sealed";

fn kind_from(text: &str, operation: &'static str) -> Result<PrivacyRequestKind> {
    match text {
        "data_deletion" => Ok(PrivacyRequestKind::DataDeletion),
        "deauthorization" => Ok(PrivacyRequestKind::Deauthorization),
        "tenant_deletion" => Ok(PrivacyRequestKind::TenantDeletion),
        "contact_erasure" => Ok(PrivacyRequestKind::ContactErasure),
        _ => Err(corrupt(operation, "privacy request kind")),
    }
}

fn request_from(seal: &Seal, tenant: &TenantId, row: &Row, operation: &'static str) -> Result<DeletionRequest> {
    let code: String = row.get(0);
    let platform_user_id = users::open_request_user(seal, tenant, &code, row.get(3), row.get(8))?;
    Ok(DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: code,
        kind: kind_from(row.get(1), operation)?,
        platform: row.get(2),
        platform_user_id,
        contacts: row.get::<_, Vec<Uuid>>(4).into_iter().map(ContactId::from_uuid).collect(),
        status: from_json(row.get(5), operation, "privacy request status")?,
        requested_at: Timestamp::from_unix_millis(row.get(6)),
        updated_at: Timestamp::from_unix_millis(row.get(7)),
    })
}

async fn select_one(
    tx: &Tx<'_>,
    seal: &Seal,
    tenant: &TenantId,
    code: &str,
    operation: &'static str,
) -> Result<Option<DeletionRequest>> {
    let statement = tx
        .prepare_cached(&format!("SELECT {COLUMNS} FROM privacy_requests WHERE tenant = $1 AND confirmation_code = $2"))
        .await
        .during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant.as_str(), &code]).await.during(operation)?;
    row.map(|row| request_from(seal, tenant, &row, operation)).transpose()
}

#[async_trait]
impl DeletionRequestStore for PostgresInbox {
    async fn link_platform_user(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
        contact: ContactId,
    ) -> Result<()> {
        const OP: &str = "postgres.privacy.link";
        let seal = self.keys.seal(tenant, Access::Write).await?;
        let (owner, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { users::link(tx, &seal, &owner, &platform, &user, contact, OP).await })
            })
            .await
    }

    async fn linked_contacts(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
    ) -> Result<Vec<ContactId>> {
        const OP: &str = "postgres.privacy.linked_contacts";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owner, platform, user) = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { users::linked(tx, &seal, &owner, &platform, &user, OP).await })
            })
            .await
    }

    async fn open(&self, new: DeletionRequest) -> Result<DeletionRequest> {
        const OP: &str = "postgres.privacy.open";
        let status = to_json(&new.status, "privacy request status")?;
        let tenant = new.tenant.clone();
        // A request naming no user seals nothing: no data key is created for it (a tenant
        // deletion records its request after destroying the keys).
        let access = if new.platform_user_id.is_empty() { Access::Read } else { Access::Write };
        let seal = self.keys.seal(&tenant, access).await?;
        let (user, user_sealed) = users::store_request_user(
            (access == Access::Write).then_some(&seal),
            &new.confirmation_code,
            &new.platform_user_id,
        )?;
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO privacy_requests (tenant, confirmation_code, kind, platform, platform_user_id, \
                             contacts, status, status_name, requested_at, updated_at, platform_user_id_sealed) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
                        )
                        .await
                        .during(OP)?;
                    let contacts: Vec<Uuid> = new.contacts.iter().map(ContactId::as_uuid).collect();
                    tx.execute(
                        &statement,
                        &[
                            &new.tenant.as_str(),
                            &new.confirmation_code,
                            &new.kind.as_str(),
                            &new.platform,
                            &user,
                            &contacts,
                            &status,
                            &new.status.as_str(),
                            &new.requested_at.as_unix_millis(),
                            &new.updated_at.as_unix_millis(),
                            &user_sealed,
                        ],
                    )
                    .await
                    .during(OP)?;
                    select_one(tx, &seal, &new.tenant, &new.confirmation_code, OP)
                        .await?
                        .ok_or_else(|| corrupt(OP, "privacy request that was just written"))
                })
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        const OP: &str = "postgres.privacy.get";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (owned, code) = (tenant.clone(), confirmation_code.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| Box::pin(async move { select_one(tx, &seal, &owned, &code, OP).await }))
            .await
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        confirmation_code: &str,
        status: DeletionStatus,
        at: Timestamp,
    ) -> Result<DeletionRequest> {
        const OP: &str = "postgres.privacy.set_status";
        let (owned, code) = (tenant.clone(), confirmation_code.to_owned());
        let json = to_json(&status, "privacy request status")?;
        let seal = self.keys.seal(tenant, Access::Read).await?;
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "UPDATE privacy_requests SET status = $3, status_name = $4, updated_at = $5 \
                             WHERE tenant = $1 AND confirmation_code = $2",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(&statement, &[&owned.as_str(), &code, &json, &status.as_str(), &at.as_unix_millis()])
                        .await
                        .during(OP)?;
                    if changed == 0 {
                        return Err(Error::new(ErrorKind::NotFound, "no deletion request with this confirmation code")
                            .with_operation(OP));
                    }
                    select_one(tx, &seal, &owned, &code, OP)
                        .await?
                        .ok_or_else(|| corrupt(OP, "privacy request that was just updated"))
                })
            })
            .await
    }

    async fn pending(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>> {
        const OP: &str = "postgres.privacy.pending";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let owned = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM privacy_requests WHERE tenant = $1 AND status_name <> 'completed' \
                             ORDER BY requested_at, confirmation_code COLLATE \"C\""
                        ))
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&owned.as_str()]).await.during(OP)?;
                    rows.iter().map(|row| request_from(&seal, &owned, row, OP)).collect()
                })
            })
            .await
    }
}
