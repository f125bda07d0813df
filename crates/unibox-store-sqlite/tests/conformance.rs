//! The shared `Inbox` conformance suite, against a file-backed and an in-memory `SqliteInbox`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use unibox_core::Inbox;
use unibox_store_sqlite::SqliteInbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_sqlite_inbox_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_path_buf();
    let opened = AtomicUsize::new(0);
    let factory = || {
        // Each check gets a new database file of its own.
        let path = root.join(format!("inbox-{}.db", opened.fetch_add(1, Ordering::Relaxed)));
        async move {
            let inbox =
                SqliteInbox::open(&path).await.unwrap_or_else(|err| panic!("opening {}: {err}", path.display()));
            Arc::new(inbox) as Arc<dyn Inbox>
        }
    };
    unibox_testkit::inbox::run_all(&factory).await;
}

#[tokio::test]
async fn in_memory_sqlite_inbox_passes_the_conformance_suite() {
    let factory = || async {
        let inbox = SqliteInbox::open_in_memory().await.unwrap_or_else(|err| panic!("opening in memory: {err}"));
        Arc::new(inbox) as Arc<dyn Inbox>
    };
    unibox_testkit::inbox::run_all(&factory).await;
}
