//! Orders (and, as they land, the catalog and sync cursors) on SQLite: the testkit suites on a
//! file and in memory, and state surviving a reopen.

use unibox_core::orders::{Order, OrderChange, OrderStore};
use unibox_core::{ChannelAccountId, IdentityKind, PlatformUser, Timestamp};
use unibox_store_sqlite::SqliteInbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_sqlite_passes_the_order_and_catalog_suites() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("orders.db")).await.unwrap();
    unibox_testkit::orders::run_all(&inbox).await;
    unibox_testkit::catalog::run_all(&inbox).await;
    inbox.close().await;
}

#[tokio::test]
async fn in_memory_sqlite_passes_the_order_and_catalog_suites() {
    let inbox = SqliteInbox::open_in_memory().await.unwrap();
    unibox_testkit::orders::run_all(&inbox).await;
    unibox_testkit::catalog::run_all(&inbox).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.db");
    let tenant = "acme".parse().unwrap();
    let account = ChannelAccountId::new();
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    let order = Order::new(tenant, account, "576486316948490001", "AWAITING_SHIPMENT", at)
        .with_buyer(PlatformUser::new(IdentityKind::MarketplaceBuyerId, "7494560109732334274"))
        .with_change(OrderChange::status("notification:1", "AWAITING_SHIPMENT", at));
    let inbox = SqliteInbox::open(&path).await.unwrap();
    let stored = inbox.merge_order(order).await.unwrap();
    inbox.close().await;
    let reopened = SqliteInbox::open(&path).await.unwrap();
    let read = reopened.order(&"acme".parse().unwrap(), account, "576486316948490001").await.unwrap();
    assert_eq!(read, Some(stored));
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_cursors_are_per_tenant_account_and_stream_and_survive_a_reopen() {
    use unibox_core::history::{SyncCursor, SyncCursorStore, SyncStream};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cursors.db");
    let (acme, globex) = ("acme".parse().unwrap(), "globex".parse().unwrap());
    let account = ChannelAccountId::new();
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    let inbox = SqliteInbox::open(&path).await.unwrap();
    inbox.save_cursor(&acme, account, SyncStream::Backfill, &SyncCursor::at("page-2", at)).await.unwrap();
    inbox.save_cursor(&acme, account, SyncStream::Backfill, &SyncCursor::at("page-3", at)).await.unwrap();
    inbox.save_cursor(&acme, account, SyncStream::LostPushes, &SyncCursor::finished(at)).await.unwrap();
    inbox.close().await;
    let inbox = SqliteInbox::open(&path).await.unwrap();
    assert_eq!(inbox.cursor(&acme, account, SyncStream::Backfill).await.unwrap(), Some(SyncCursor::at("page-3", at)));
    assert_eq!(inbox.cursor(&acme, account, SyncStream::LostPushes).await.unwrap(), Some(SyncCursor::finished(at)));
    assert_eq!(inbox.cursor(&globex, account, SyncStream::Backfill).await.unwrap(), None, "another tenant's");
    assert_eq!(inbox.cursor(&acme, ChannelAccountId::new(), SyncStream::Backfill).await.unwrap(), None);
    inbox.close().await;
}
