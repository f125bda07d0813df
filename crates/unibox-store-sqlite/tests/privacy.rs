//! The SQLite DeletionRequestStore: links, requests, status changes and tenant isolation,
//! surviving a reopen of the file.

use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, ErrorKind, TenantId, Timestamp};
use unibox_store_sqlite::SqliteInbox;

fn request(tenant: &TenantId, code: &str, at: i64, contacts: Vec<ContactId>) -> DeletionRequest {
    DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: code.into(),
        kind: PrivacyRequestKind::DataDeletion,
        platform: "meta".into(),
        platform_user_id: "1234567890".into(),
        contacts,
        status: DeletionStatus::Received,
        requested_at: Timestamp::from_unix_seconds(at),
        updated_at: Timestamp::from_unix_seconds(at),
    }
}

#[tokio::test]
async fn requests_and_links_are_stored_per_tenant_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let acme: TenantId = "acme".parse().unwrap();
    let globex: TenantId = "globex".parse().unwrap();
    let (first, second) = (ContactId::new(), ContactId::new());
    {
        let inbox = SqliteInbox::open(&path).await.unwrap();
        assert_eq!(inbox.schema_version().await.unwrap(), unibox_store_sqlite::SCHEMA_VERSION);
        inbox.link_platform_user(&acme, "meta", "1234567890", first).await.unwrap();
        inbox.link_platform_user(&acme, "meta", "1234567890", second).await.unwrap();
        inbox.link_platform_user(&acme, "meta", "1234567890", first).await.unwrap();
        let contacts = inbox.linked_contacts(&acme, "meta", "1234567890").await.unwrap();
        assert_eq!(contacts, [first, second]);
        assert!(inbox.linked_contacts(&globex, "meta", "1234567890").await.unwrap().is_empty());

        let opened = inbox.open(request(&acme, "c0de01", 1_700_000_000, contacts)).await.unwrap();
        assert_eq!(opened.contacts, [first, second]);
        // Opening the same code again returns the stored request unchanged.
        let again = inbox.open(request(&acme, "c0de01", 1_700_009_999, vec![])).await.unwrap();
        assert_eq!(again, opened);
        inbox.open(request(&acme, "c0de02", 1_699_000_000, vec![])).await.unwrap();
        inbox.close().await;
    }
    let inbox = SqliteInbox::open(&path).await.unwrap();
    let pending: Vec<String> = inbox.pending(&acme).await.unwrap().into_iter().map(|r| r.confirmation_code).collect();
    assert_eq!(pending, ["c0de02", "c0de01"], "oldest first");
    assert!(inbox.get(&globex, "c0de01").await.unwrap().is_none(), "another tenant sees nothing");
    assert!(inbox.pending(&globex).await.unwrap().is_empty());

    let failed = DeletionStatus::Failed { reason: "the contact store was unavailable".into() };
    let updated =
        inbox.set_status(&acme, "c0de01", failed.clone(), Timestamp::from_unix_seconds(1_700_000_500)).await.unwrap();
    assert_eq!((updated.status, updated.updated_at), (failed, Timestamp::from_unix_seconds(1_700_000_500)));
    inbox
        .set_status(&acme, "c0de01", DeletionStatus::Completed, Timestamp::from_unix_seconds(1_700_001_000))
        .await
        .unwrap();
    let pending: Vec<String> = inbox.pending(&acme).await.unwrap().into_iter().map(|r| r.confirmation_code).collect();
    assert_eq!(pending, ["c0de02"]);
    assert_eq!(inbox.get(&acme, "c0de01").await.unwrap().unwrap().status, DeletionStatus::Completed);
    let missing = inbox
        .set_status(&globex, "c0de01", DeletionStatus::Completed, Timestamp::from_unix_seconds(1))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    inbox.close().await;
}
