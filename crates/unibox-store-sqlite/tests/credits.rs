//! Message credits in the SQLite file: the ledger conformance suite, entries kept across a
//! reopen, and the ledger append-only even to SQL.

use unibox_core::metering::{CreditChange, CreditEntryKind, CreditLedger};
use unibox_core::{ErrorKind, Timestamp};
use unibox_store_sqlite::SqliteInbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_sqlite_passes_the_credits_suite() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("credits.db")).await.unwrap();
    unibox_testkit::credits::run_all(&inbox).await;
    inbox.close().await;
}

#[tokio::test]
async fn in_memory_sqlite_passes_the_credits_suite() {
    let inbox = SqliteInbox::open_in_memory().await.unwrap();
    unibox_testkit::credits::run_all(&inbox).await;
}

#[tokio::test]
async fn credits_survive_a_reopen_and_numbering_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credits.db");
    let acme: unibox_core::TenantId = "acme".parse().unwrap();
    let at = Timestamp::from_unix_millis(1_732_147_200_123);
    {
        let inbox = SqliteInbox::open(&path).await.unwrap();
        inbox.append(CreditChange::purchase(acme.clone(), 250, at).reference("invoice-1")).await.unwrap();
        inbox.append(CreditChange::debit(acme.clone(), 4, at).no_lower_than(0)).await.unwrap();
        inbox.close().await;
    }
    let inbox = SqliteInbox::open(&path).await.unwrap();
    assert_eq!(inbox.balance(&acme).await.unwrap(), 246);
    let entries = inbox.entries(&acme, 0, 10).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[0].kind, entries[0].amount, entries[0].at), (CreditEntryKind::Purchase, 250, at));
    assert_eq!(entries[0].reference.as_deref(), Some("invoice-1"));
    let next = inbox.append(CreditChange::refund(acme.clone(), 1, at)).await.unwrap();
    assert_eq!((next.sequence, next.balance), (3, 247));
    let refused = inbox.append(CreditChange::debit(acme.clone(), 248, at).no_lower_than(0)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::CreditsExhausted);
    inbox.close().await;
}

#[tokio::test]
async fn entries_cannot_be_changed_or_deleted_even_with_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credits.db");
    let acme: unibox_core::TenantId = "acme".parse().unwrap();
    let inbox = SqliteInbox::open(&path).await.unwrap();
    inbox.append(CreditChange::purchase(acme.clone(), 10, Timestamp::UNIX_EPOCH)).await.unwrap();
    inbox.close().await;

    let conn = rusqlite::Connection::open(&path).unwrap();
    let update = conn.execute("UPDATE credit_entries SET balance = 1000000 WHERE tenant = 'acme'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM credit_entries WHERE tenant = 'acme'", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let balance: i64 =
        conn.query_row("SELECT balance FROM credit_entries WHERE tenant = 'acme'", [], |r| r.get(0)).unwrap();
    assert_eq!(balance, 10);
}
