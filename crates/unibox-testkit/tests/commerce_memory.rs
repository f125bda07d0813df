//! The memory order store and catalog pass their suites.

use unibox_core::memory::MemoryOrderStore;

#[tokio::test]
async fn memory_order_store_passes_the_order_suite() {
    unibox_testkit::orders::run_all(&MemoryOrderStore::new()).await;
}

#[tokio::test]
async fn memory_catalog_passes_the_catalog_suite() {
    unibox_testkit::catalog::run_all(&unibox_core::memory::MemoryCatalog::new()).await;
}
