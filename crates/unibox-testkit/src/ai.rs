//! The [`ConversationControlStore`] conformance suite: the handoff state machine as every store
//! must keep it.
//!
//! ```
//! use unibox_core::memory::MemoryConversationControl;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::ai::control_store_suite(&MemoryConversationControl::new()).await;
//! # });
//! ```

use unibox_core::ai::{Control, ConversationControlStore, HandoffReason};
use unibox_core::{ConversationId, TenantId, Timestamp};

use crate::fixtures;

fn tenant() -> TenantId {
    let id = ConversationId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("t-{}", &id[20..]))
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_732_147_200 + seconds)
}

/// Runs every check; panics naming the first that fails.
pub async fn control_store_suite(store: &dyn ConversationControlStore) {
    unknown_conversations_start_in_bot_control(store).await;
    a_person_taking_over_refuses_a_reply_generated_before(store).await;
    taking_twice_changes_hands_once_and_keeps_the_first_reason(store).await;
    releasing_gives_the_bot_a_new_version_and_resets_the_count(store).await;
    tenants_and_conversations_are_separate(store).await;
}

/// A conversation never recorded is in bot control at version 0, with no replies.
pub async fn unknown_conversations_start_in_bot_control(store: &dyn ConversationControlStore) {
    let state = store.state(&tenant(), ConversationId::new()).await.expect("state of an unknown conversation");
    assert_eq!(state.control, Control::Bot, "unknown conversations start in bot control");
    assert_eq!((state.version, state.bot_replies), (0, 0));
    assert!(state.reason.is_none());
}

/// The race the handoff exists for: the bot reads version v, a person takes over, the bot's
/// reply generated at v is refused; replies admitted while the bot holds it are counted.
pub async fn a_person_taking_over_refuses_a_reply_generated_before(store: &dyn ConversationControlStore) {
    let (tenant, conversation) = (tenant(), ConversationId::new());
    let ticket = store.state(&tenant, conversation).await.unwrap().version;
    let admitted = store.admit_bot_reply(&tenant, conversation, ticket, at(1)).await.unwrap();
    assert_eq!(admitted.expect("the bot holds it").bot_replies, 1, "an admitted reply is counted");
    let ticket = store.state(&tenant, conversation).await.unwrap().version;
    assert_eq!(ticket, 0, "a bot reply does not move the version");
    let (taken, changed) =
        store.take_for_human(&tenant, conversation, HandoffReason::AgentReplied, at(2)).await.unwrap();
    assert!(changed);
    assert_eq!(taken.control, Control::Human);
    assert_eq!(taken.reason, Some(HandoffReason::AgentReplied));
    assert!(
        store.admit_bot_reply(&tenant, conversation, ticket, at(3)).await.unwrap().is_none(),
        "a reply generated before the person took over is refused"
    );
    assert!(
        store.admit_bot_reply(&tenant, conversation, taken.version, at(3)).await.unwrap().is_none(),
        "no bot reply while a person holds the conversation, whatever version it names"
    );
    let state = store.state(&tenant, conversation).await.unwrap();
    assert_eq!(state.bot_replies, 1, "refused replies are not counted");
    assert_eq!(state.changed_at, Some(at(2)));
}

/// A second take (another agent reply) changes nothing, so the team gets one note.
pub async fn taking_twice_changes_hands_once_and_keeps_the_first_reason(store: &dyn ConversationControlStore) {
    let (tenant, conversation) = (tenant(), ConversationId::new());
    let reason = HandoffReason::LowConfidence { permille: 320, threshold_permille: 600 };
    let (first, changed) = store.take_for_human(&tenant, conversation, reason.clone(), at(1)).await.unwrap();
    assert!(changed);
    let (second, changed) =
        store.take_for_human(&tenant, conversation, HandoffReason::AgentReplied, at(2)).await.unwrap();
    assert!(!changed, "already held by a person");
    assert_eq!(second, first);
    assert_eq!(store.state(&tenant, conversation).await.unwrap().reason, Some(reason), "the reason round-trips");
}

/// Releasing moves the version on (tickets from before stay refused) and restarts the count.
pub async fn releasing_gives_the_bot_a_new_version_and_resets_the_count(store: &dyn ConversationControlStore) {
    let (tenant, conversation) = (tenant(), ConversationId::new());
    store.admit_bot_reply(&tenant, conversation, 0, at(1)).await.unwrap().unwrap();
    let (taken, _) =
        store.take_for_human(&tenant, conversation, HandoffReason::Topic("refund".into()), at(2)).await.unwrap();
    let released = store.release_to_bot(&tenant, conversation, at(3)).await.unwrap();
    assert_eq!(released.control, Control::Bot);
    assert_eq!(released.version, taken.version + 1);
    assert_eq!(released.bot_replies, 0);
    assert!(released.reason.is_none());
    assert!(store.admit_bot_reply(&tenant, conversation, 0, at(4)).await.unwrap().is_none(), "an old ticket");
    assert!(store.admit_bot_reply(&tenant, conversation, released.version, at(4)).await.unwrap().is_some());
    let again = store.release_to_bot(&tenant, conversation, at(5)).await.unwrap();
    assert_eq!(again.version, released.version, "releasing a bot-held conversation changes nothing");
}

/// One tenant's handoff never shows in another tenant or conversation.
pub async fn tenants_and_conversations_are_separate(store: &dyn ConversationControlStore) {
    let (first, second, conversation) = (tenant(), tenant(), ConversationId::new());
    store.take_for_human(&first, conversation, HandoffReason::Assigned, at(1)).await.unwrap();
    assert_eq!(store.state(&second, conversation).await.unwrap().control, Control::Bot);
    assert_eq!(store.state(&first, ConversationId::new()).await.unwrap().control, Control::Bot);
    assert_eq!(store.state(&first, conversation).await.unwrap().control, Control::Human);
}
