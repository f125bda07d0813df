//! The SQLite DeletionRequestStore: links, requests, status changes and tenant isolation,
//! surviving a reopen of the file; in a sealed file, rows an earlier build wrote in plaintext,
//! and requests of a tenant whose keys were destroyed.

use std::path::Path;
use std::sync::Arc;

use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::{ContactId, ErrorKind, TenantId, Timestamp};
use unibox_store_sqlite::{SqliteInbox, SqliteStore};
use unibox_vault::{Keyring, StoreKeys};

/// An app-scoped user id, planted.
const USER: &str = "4720193856104728";

fn keys(entry: &str) -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(entry).expect("a keyring")).expect("store keys")
}

/// Closes the store's inbox (finishing its writes) before the file is read beside it.
async fn close(store: SqliteStore) {
    let inbox = store.inbox().clone();
    drop(store);
    match Arc::try_unwrap(inbox) {
        Ok(inbox) => inbox.close().await,
        Err(_) => panic!("the store held the only other reference to its inbox"),
    }
}

/// The links' (platform_user_id is the plaintext id, a sealed copy is set), oldest first.
fn link_rows(path: &Path) -> Vec<(bool, bool)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT platform_user_id = ?1, platform_user_id_sealed IS NOT NULL FROM privacy_user_links ORDER BY id",
        )
        .unwrap();
    statement.query_map([USER], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
}

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

/// A sealed file may hold links and requests an earlier build (schema version 17) stored with
/// the plaintext user id: they still read back and are found, and linking the same user to the
/// same contact again seals the link in place (it keeps its age).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_rows_of_an_earlier_build_keep_working_in_a_sealed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let acme: TenantId = "acme".parse().unwrap();
    let (old, new) = (ContactId::new(), ContactId::new());
    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    assert!(store.inbox().seals_conversations());
    close(store).await;
    // What a build before schema version 18 wrote: the user id in plaintext.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO privacy_user_links (tenant, platform, platform_user_id, contact) VALUES ('acme', 'meta', ?1, ?2)",
        rusqlite::params![USER, old.as_bytes()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO privacy_requests (tenant, confirmation_code, kind, platform, platform_user_id, contacts, status, \
         status_name, requested_at, updated_at) VALUES ('acme', 'c0de17', 'data_deletion', 'meta', ?1, ?2, \
         '{\"status\":\"received\"}', 'received', 1700000000000, 1700000000000)",
        rusqlite::params![USER, old.as_bytes()],
    )
    .unwrap();
    drop(conn);
    assert_eq!(link_rows(&path), [(true, false)], "one plaintext link");

    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    let inbox = store.inbox();
    assert_eq!(inbox.linked_contacts(&acme, "meta", USER).await.unwrap(), [old], "found by the plaintext id");
    let stored = inbox.get(&acme, "c0de17").await.unwrap().expect("the old request");
    assert_eq!((stored.platform_user_id.as_str(), stored.contacts.as_slice()), (USER, [old].as_slice()));
    assert_eq!(stored.status, DeletionStatus::Received);
    let moved = inbox.set_status(&acme, "c0de17", DeletionStatus::InProgress, Timestamp::from_unix_seconds(1)).await;
    assert_eq!(moved.unwrap().platform_user_id, USER);

    inbox.link_platform_user(&acme, "meta", USER, new).await.unwrap();
    assert_eq!(inbox.linked_contacts(&acme, "meta", USER).await.unwrap(), [old, new], "old and sealed links");
    assert_eq!(link_rows(&path), [(true, false), (false, true)]);
    inbox.link_platform_user(&acme, "meta", USER, old).await.unwrap();
    assert_eq!(inbox.linked_contacts(&acme, "meta", USER).await.unwrap(), [old, new], "each once, oldest first");
    close(store).await;
    assert_eq!(link_rows(&path), [(false, true), (false, true)], "both links sealed now");
}

/// A tenant deletion keeps the tenant's requests as its record, after its keys are destroyed:
/// they still read and change status (a sealed user id reads as empty, it was shredded with
/// the keys), and a request naming no user is recorded without creating a data key again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shredded_tenants_requests_still_read_without_their_user_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = SqliteStore::open(&path, keys(&Keyring::generate_entry(1))).await.unwrap();
    let acme: TenantId = "acme".parse().unwrap();
    let inbox = store.inbox();
    let mut deauthorized = request(&acme, "de0a17", 1_700_000_000, vec![]);
    deauthorized.kind = PrivacyRequestKind::Deauthorization;
    deauthorized.platform_user_id = USER.into();
    assert_eq!(inbox.open(deauthorized.clone()).await.unwrap(), deauthorized);
    let data_keys = |path: &Path| -> i64 {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM vault_data_keys WHERE tenant = 'acme'", [], |row| row.get(0)).unwrap()
    };
    assert_eq!(data_keys(&path), 1, "sealing the user id created the tenant's data key");

    store.vault().shred_tenant(&acme).await.unwrap();
    assert_eq!(data_keys(&path), 0);
    let read = inbox.get(&acme, "de0a17").await.unwrap().expect("the request is kept");
    assert_eq!(read.platform_user_id, "", "the user id was shredded with the keys");
    assert_eq!(
        (read.kind, read.platform.as_str(), read.status),
        (PrivacyRequestKind::Deauthorization, "meta", DeletionStatus::Received)
    );
    let mut deletion = request(&acme, "de1e7e", 1_700_000_100, vec![]);
    deletion.kind = PrivacyRequestKind::TenantDeletion;
    deletion.platform = "operator".into();
    deletion.platform_user_id = String::new();
    assert_eq!(inbox.open(deletion.clone()).await.unwrap(), deletion);
    let pending: Vec<String> = inbox.pending(&acme).await.unwrap().into_iter().map(|r| r.confirmation_code).collect();
    assert_eq!(pending, ["de0a17", "de1e7e"]);
    let done =
        inbox.set_status(&acme, "de1e7e", DeletionStatus::Completed, Timestamp::from_unix_seconds(1_700_000_200));
    assert_eq!(done.await.unwrap().status, DeletionStatus::Completed);
    assert_eq!(data_keys(&path), 0, "recording and completing the deletion created no data key");

    // Meta's callback for the tenant after the shredding: a new data key seals the new id; the
    // old one, sealed under the destroyed key, still reads as empty.
    let mut late = request(&acme, "1a7e", 1_700_000_300, vec![]);
    late.platform_user_id = USER.into();
    assert_eq!(inbox.open(late.clone()).await.unwrap(), late);
    assert_eq!(data_keys(&path), 1, "the new request's id is sealed under a new key");
    let users: Vec<(String, String)> =
        inbox.pending(&acme).await.unwrap().into_iter().map(|r| (r.confirmation_code, r.platform_user_id)).collect();
    assert_eq!(users, [("de0a17".to_owned(), String::new()), ("1a7e".to_owned(), USER.to_owned())]);
}

/// A plain file holding a privacy link holds personal data in plaintext: it is not opened
/// sealed (a file never mixes both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_file_with_a_privacy_link_is_not_opened_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let inbox = SqliteInbox::open(&path).await.unwrap();
    inbox.link_platform_user(&"acme".parse().unwrap(), "meta", USER, ContactId::new()).await.unwrap();
    inbox.close().await;
    let refused = SqliteStore::open(&path, keys(&Keyring::generate_entry(1))).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.to_string().contains("plaintext conversation data"), "{refused}");
}
