//! Every conformance suite against the in-memory implementations of unibox-core.

use std::sync::Arc;

use unibox_core::Inbox;
use unibox_core::memory::{MemoryInbox, MemoryTokenStore};

#[tokio::test]
async fn memory_inbox_passes_the_inbox_suite() {
    unibox_testkit::inbox::run_all(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> }).await;
}

#[tokio::test]
async fn memory_token_store_passes_the_token_suite() {
    unibox_testkit::tokens::run_all(&MemoryTokenStore::new()).await;
}
