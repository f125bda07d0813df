//! The catalog, history sync cursors and conversation control on PostgreSQL: the testkit suites,
//! state outliving the pool that wrote it, and hand-overs from two pools at once.

use std::sync::Arc;

use unibox_core::ai::{Control, ConversationControlStore, HandoffReason};
use unibox_core::history::{SyncCursor, SyncCursorStore, SyncStream};
use unibox_core::{ChannelAccountId, ConversationId, TenantId, Timestamp};
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;

async fn connect(database: &TestDatabase) -> Arc<PostgresInbox> {
    Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_passes_the_testkit_catalog_suite() {
    let Some(database) = TestDatabase::create("the_catalog_passes_the_testkit_catalog_suite").await else { return };
    unibox_testkit::catalog::run_all(connect(&database).await.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_control_passes_the_testkit_control_suite() {
    let Some(database) = TestDatabase::create("conversation_control_passes_the_testkit_control_suite").await else {
        return;
    };
    unibox_testkit::ai::control_store_suite(connect(&database).await.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_cursors_are_per_tenant_account_and_stream_and_outlive_the_pool() {
    let Some(database) =
        TestDatabase::create("sync_cursors_are_per_tenant_account_and_stream_and_outlive_the_pool").await
    else {
        return;
    };
    let (acme, globex): (TenantId, TenantId) = ("acme".parse().unwrap(), "globex".parse().unwrap());
    let account = ChannelAccountId::new();
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    {
        let inbox = connect(&database).await;
        inbox.save_cursor(&acme, account, SyncStream::Backfill, &SyncCursor::at("page-2", at)).await.unwrap();
        inbox.save_cursor(&acme, account, SyncStream::Backfill, &SyncCursor::at("page-3", at)).await.unwrap();
        inbox.save_cursor(&acme, account, SyncStream::LostPushes, &SyncCursor::finished(at)).await.unwrap();
        inbox.save_cursor(&globex, account, SyncStream::LostPushes, &SyncCursor::start(at)).await.unwrap();
    }
    let inbox = connect(&database).await;
    assert_eq!(inbox.cursor(&acme, account, SyncStream::Backfill).await.unwrap(), Some(SyncCursor::at("page-3", at)));
    assert_eq!(inbox.cursor(&acme, account, SyncStream::LostPushes).await.unwrap(), Some(SyncCursor::finished(at)));
    assert_eq!(inbox.cursor(&globex, account, SyncStream::Backfill).await.unwrap(), None, "another tenant's");
    assert_eq!(inbox.cursor(&globex, account, SyncStream::LostPushes).await.unwrap(), Some(SyncCursor::start(at)));
    assert_eq!(inbox.cursor(&acme, ChannelAccountId::new(), SyncStream::Backfill).await.unwrap(), None);
}

/// Twenty people take one conversation over from two pools at once: it changes hands exactly
/// once, and a bot reply generated before is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_changes_hands_once_under_concurrent_takeovers_from_two_pools() {
    let Some(database) =
        TestDatabase::create("a_conversation_changes_hands_once_under_concurrent_takeovers_from_two_pools").await
    else {
        return;
    };
    let pools = [connect(&database).await, connect(&database).await];
    let acme: TenantId = "acme".parse().unwrap();
    let conversation = ConversationId::new();
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    let before = pools[0].state(&acme, conversation).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..20 {
        let (store, acme) = (pools[n % 2].clone(), acme.clone());
        tasks.push(tokio::spawn(async move {
            store.take_for_human(&acme, conversation, HandoffReason::Assigned, at).await.unwrap().1
        }));
    }
    let mut changed = 0;
    for task in tasks {
        changed += usize::from(task.await.unwrap());
    }
    assert_eq!(changed, 1, "exactly one takeover changed hands");
    let after = pools[1].state(&acme, conversation).await.unwrap();
    assert_eq!(after.control, Control::Human);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(pools[1].admit_bot_reply(&acme, conversation, before.version, at).await.unwrap(), None);
}

/// Orders need the data keys (the order is sealed): a store with a vault over its own tokens.
async fn sealed(database: &TestDatabase) -> (Arc<PostgresInbox>, Arc<unibox_vault::Vault>) {
    use unibox_core::privacy::DataKeys;
    let inbox = connect(database).await;
    let keyring = unibox_vault::Keyring::new().with_key(1, [0x24; 32]);
    let vault = Arc::new(unibox_vault::Vault::builder(inbox.clone(), Arc::new(keyring)).build());
    let keys: Arc<dyn DataKeys> = vault.clone();
    inbox.attach_keys(Arc::downgrade(&keys)).unwrap();
    (inbox, vault)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_pass_the_testkit_orders_suite() {
    let Some(database) = TestDatabase::create("orders_pass_the_testkit_orders_suite").await else { return };
    let (inbox, _vault) = sealed(&database).await;
    unibox_testkit::orders::run_all(inbox.as_ref()).await;
}

/// The order and its buyer are stored sealed: neither the buyer's id nor the order's status is
/// in the row; another pool reads the order back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_sealed_at_rest_and_read_back_by_another_pool() {
    use unibox_core::orders::{Order, OrderChange, OrderStore};
    use unibox_core::{IdentityKind, PlatformUser};
    let Some(database) = TestDatabase::create("an_order_is_sealed_at_rest_and_read_back_by_another_pool").await else {
        return;
    };
    let acme: TenantId = "acme".parse().unwrap();
    let account = ChannelAccountId::new();
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    let order = Order::new(acme.clone(), account, "576486316948490001", "AWAITING_SHIPMENT", at)
        .with_buyer(PlatformUser::new(IdentityKind::MarketplaceBuyerId, "7494560109732334274"))
        .with_change(OrderChange::status("notification:1", "AWAITING_SHIPMENT", at));
    let (one, _one_vault) = sealed(&database).await;
    let stored = one.merge_order(order).await.unwrap();
    let (other, _other_vault) = sealed(&database).await;
    assert_eq!(other.order(&acme, account, "576486316948490001").await.unwrap(), Some(stored));
    let config: tokio_postgres::Config = database.admin_url().parse().unwrap();
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT coalesce(buyer_id, ''), encode(body_sealed, 'escape') FROM orders", &[])
        .await
        .unwrap();
    let (buyer, body): (String, String) = (row.get(0), row.get(1));
    for clear in ["7494560109732334274", "AWAITING_SHIPMENT"] {
        assert!(!buyer.contains(clear) && !body.contains(clear), "{clear} is stored in the clear");
    }
}
