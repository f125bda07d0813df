//! Every store suite, from the testkit's one capability-gated harness, against the memory
//! bundle: as an integrator's backend would run it.

use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_passes_the_store_harness() {
    let capabilities = Store::from(MemoryStore::new()).capabilities;
    assert!(capabilities.restore, "the memory store restores exports, so the export suite runs");
    unibox_testkit::harness::run(&|| async { MemoryStore::new().into() }, capabilities).await;
}
