//! The SQLite ConversationControlStore: the handoff conformance suite, and the state surviving a
//! reopen of the file.

use unibox_core::ConversationId;
use unibox_core::ai::{Control, ConversationControlStore, HandoffReason};
use unibox_core::memory::MemoryConversationControl;
use unibox_store_sqlite::SqliteInbox;

#[tokio::test]
async fn the_sqlite_store_passes_the_handoff_suite() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap();
    unibox_testkit::ai::control_store_suite(&inbox).await;
}

#[tokio::test]
async fn the_memory_store_passes_the_handoff_suite() {
    unibox_testkit::ai::control_store_suite(&MemoryConversationControl::new()).await;
}

#[tokio::test]
async fn a_person_s_hold_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let (tenant, conversation) = ("acme".parse().unwrap(), ConversationId::new());
    let at = unibox_core::Timestamp::from_unix_seconds(1_732_147_200);
    {
        let inbox = SqliteInbox::open(&path).await.unwrap();
        inbox.take_for_human(&tenant, conversation, HandoffReason::Topic("refund".into()), at).await.unwrap();
        inbox.close().await;
    }
    let inbox = SqliteInbox::open(&path).await.unwrap();
    let state = inbox.state(&tenant, conversation).await.unwrap();
    assert_eq!(state.control, Control::Human);
    assert_eq!(state.reason, Some(HandoffReason::Topic("refund".into())));
    assert_eq!(state.changed_at, Some(at));
    assert!(inbox.admit_bot_reply(&tenant, conversation, 0, at).await.unwrap().is_none());
}
