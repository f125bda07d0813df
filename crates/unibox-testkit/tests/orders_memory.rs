//! The memory order store passes the order suite.

use unibox_core::memory::MemoryOrderStore;

#[tokio::test]
async fn memory_order_store_passes_the_order_suite() {
    unibox_testkit::orders::run_all(&MemoryOrderStore::new()).await;
}
