//! The lifecycle's table lists against the migrated schema, and the credit ledger's one
//! deletion path, on a real PostgreSQL ([`crate::testing`]).

use unibox_core::lifecycle::DataLifecycle;
use unibox_core::metering::{CreditChange, CreditLedger};
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ErrorKind, TenantId, Timestamp};

use super::tables::{CONTACT_ERASURE, KEPT_BY_TENANT_DELETION, TENANT_DELETION};
use unibox_vault::{Keyring, StoreKeys};

use crate::testing::TestDatabase;
use crate::{PostgresInbox, PostgresStore};

#[tokio::test]
async fn every_tenant_table_is_covered() {
    let Some(database) = TestDatabase::create("every_tenant_table_is_covered").await else { return };
    let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
    let client = inbox.db.client("test").await.unwrap();
    let tables: Vec<String> = client
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND c.column_name = 'tenant' AND t.table_type = 'BASE TABLE' \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(tables.len() > 30, "the schema query found the tenant tables: {tables:?}");
    let uncovered: Vec<&String> = tables
        .iter()
        .filter(|name| {
            name.as_str() != "account_registry"
                && !TENANT_DELETION.iter().any(|t| t.name == name.as_str())
                && !KEPT_BY_TENANT_DELETION.iter().any(|(kept, _)| kept == name)
        })
        .collect();
    assert!(
        uncovered.is_empty(),
        "tables with a tenant column that tenant deletion neither deletes nor keeps on purpose: {uncovered:?}; \
         add them to TENANT_DELETION (or KEPT_BY_TENANT_DELETION with the reason) in src/lifecycle/tables.rs"
    );
    for listed in TENANT_DELETION {
        assert!(tables.iter().any(|t| t == listed.name), "{} is listed but has no tenant column", listed.name);
    }
    for name in CONTACT_ERASURE {
        assert!(tables.iter().any(|t| t == name), "{name} is erased from but is no tenant table");
    }
}

/// One call of the owner's credit deletion function in a transaction of `tenant`.
async fn delete_credits(inbox: &PostgresInbox, tenant: &TenantId) -> unibox_core::Result<i64> {
    inbox
        .db
        .tenant_tx("test", tenant, |tx| {
            Box::pin(async move {
                let row = tx
                    .query_one("SELECT unibox_delete_tenant_credits(100)", &[])
                    .await
                    .map_err(|e| crate::error::storage("test", e))?;
                Ok(row.get(0))
            })
        })
        .await
}

fn tenant_deletion(tenant: &TenantId) -> DeletionRequest {
    DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: "c0de".into(),
        kind: PrivacyRequestKind::TenantDeletion,
        platform: "operator".into(),
        platform_user_id: String::new(),
        contacts: Vec::new(),
        status: DeletionStatus::Received,
        requested_at: Timestamp::from_unix_seconds(1),
        updated_at: Timestamp::from_unix_seconds(1),
    }
}

#[tokio::test]
async fn credit_entries_are_deleted_only_by_a_pending_tenant_deletion() {
    let Some(database) = TestDatabase::create("credit_entries_are_deleted_only_by_a_pending_tenant_deletion").await
    else {
        return;
    };
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    let store = PostgresStore::connect(&database.app_options(), keys).await.unwrap();
    let inbox = store.inbox();
    let tenant: TenantId = "credited".parse().unwrap();
    inbox.append(CreditChange::purchase(tenant.clone(), 100, Timestamp::from_unix_seconds(1))).await.unwrap();
    inbox.append(CreditChange::debit(tenant.clone(), 1, Timestamp::from_unix_seconds(2))).await.unwrap();

    // The application role cannot delete entries, even setting the trigger's variable itself.
    let name = tenant.as_str().to_owned();
    let direct = inbox
        .db
        .tenant_tx("test", &tenant, move |tx| {
            Box::pin(async move {
                tx.execute("SELECT set_config('unibox.credit_erasure', $1, true)", &[&name]).await.unwrap();
                tx.execute("DELETE FROM credit_entries WHERE tenant = $1", &[&name])
                    .await
                    .map_err(|e| crate::error::storage("test", e))
            })
        })
        .await;
    assert_eq!(direct.unwrap_err().kind(), ErrorKind::Conflict, "the append-only trigger refuses the delete");
    // Nor through the function while no tenant deletion is pending.
    let step = delete_credits(inbox, &tenant).await;
    assert!(step.is_err(), "no tenant deletion is pending: {step:?}");
    assert_eq!(inbox.balance(&tenant).await.unwrap(), 99, "both entries stay");
    let lifecycle = store.lifecycle();
    let refused = lifecycle.delete_tenant(&tenant, 100).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "tenant deletion without a request says why: {refused}");
    assert_eq!(inbox.balance(&tenant).await.unwrap(), 99, "nothing of the refused batch was deleted");

    inbox.open(tenant_deletion(&tenant)).await.unwrap();
    let step = delete_credits(inbox, &tenant).await.unwrap();
    assert_eq!(step, 2, "the pending tenant deletion deletes the ledger");
    assert_eq!(inbox.balance(&tenant).await.unwrap(), 0);
}
