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

/// The obvious path: a hub built from the SQLite store bundle, with no
/// `HubBuilder::conversation_control` call, keeps the handoff state durably in the store's file
/// (not in a memory store it would lose on restart).
#[tokio::test]
async fn a_hub_on_the_sqlite_bundle_keeps_control_in_the_file_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let keys = || {
        let keyring = unibox_vault::Keyring::new().with_key(1, [7; 32]);
        unibox_vault::StoreKeys::try_from(keyring).unwrap()
    };
    let (tenant, conversation) = ("acme".parse().unwrap(), ConversationId::new());
    let at = unibox_core::Timestamp::from_unix_seconds(1_732_147_200);
    {
        let store = unibox_store_sqlite::SqliteStore::open(&path, keys()).await.unwrap();
        let inbox = store.inbox().clone();
        let bundle: unibox_core::store::Store = store.into();
        assert!(bundle.capabilities.conversation_control);
        let hub = unibox_core::Hub::builder(bundle).build();
        let control = hub.conversation_control().expect("the store's control store comes with the bundle");
        control.take_for_human(&tenant, conversation, HandoffReason::CustomerAskedForPerson, at).await.unwrap();
        drop(hub);
        let inbox = std::sync::Arc::try_unwrap(inbox).expect("the hub held the last other handles");
        inbox.close().await;
    }
    // Reopened with its keys (the file holds sealed conversation data: a plain open refuses it).
    let store = unibox_store_sqlite::SqliteStore::open(&path, keys()).await.unwrap();
    let state = store.inbox().state(&tenant, conversation).await.unwrap();
    assert_eq!((state.control, state.reason), (Control::Human, Some(HandoffReason::CustomerAskedForPerson)));
    // An explicit choice still replaces it.
    let memory = std::sync::Arc::new(MemoryConversationControl::new());
    let hub = unibox_core::Hub::builder(store).conversation_control(memory).build();
    let state = hub.conversation_control().unwrap().state(&tenant, conversation).await.unwrap();
    assert_eq!(state.control, Control::Bot, "the explicit memory store knows nothing of the file's state");
}
