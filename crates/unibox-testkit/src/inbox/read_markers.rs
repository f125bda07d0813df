//! Read markers per agent, assignment counts, and the contact filter of listings.

use unibox_core::inbox::{ConversationQuery, ConversationUpdate};
use unibox_core::store::Store;
use unibox_core::{ConversationId, ConversationStatus, ErrorKind};

use super::support::{all_conversations, assert_kind, ingest, ok, tenant_with_account, text_in_conversation};
use crate::fixtures::{self, THAI_ORDER_TEXT, THAI_SHIPPING_TEXT, at};

/// Each agent has their own marker: unread counts the customer's messages after it, never the
/// business's own; a marker never moves back; marking read also clears the team-wide count.
pub async fn read_markers_count_unread_per_agent(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let conversation = text_in_conversation(store, &events, &customer, "m-1", THAI_ORDER_TEXT, at(0)).await;
    ingest(
        store,
        vec![
            events.text("e-2", &customer, "m-2", THAI_SHIPPING_TEXT, at(10)),
            events.echo("e-3", &customer, "m-3", "ได้เลยค่ะ", at(15)),
            events.text("e-4", &customer, "m-4", "ขอบคุณค่ะ", at(20)),
        ],
    )
    .await;
    let (ann, bob) = (fixtures::user("ann"), fixtures::user("bob"));

    let before = ok(store.workflow.read_states(&tenant, &ann, &[conversation]).await, "read_states");
    check_eq!(before.len(), 1);
    check_eq!(before[0].read_up_to, None, "never opened");
    check_eq!(before[0].unread, 3, "three customer messages; the echo is the business's own");

    let state = ok(store.workflow.mark_read_by(&tenant, conversation, &ann, at(10)).await, "mark_read_by");
    check_eq!(state.read_up_to, Some(at(10)));
    check_eq!(state.unread, 1, "only the message after the marker");
    check_eq!(ok(store.reads.conversation(&tenant, conversation).await, "conversation").unread_count, 0);

    let older = ok(store.workflow.mark_read_by(&tenant, conversation, &ann, at(5)).await, "mark_read_by an older time");
    check_eq!(older.read_up_to, Some(at(10)), "a marker never moves back");

    let bobs = ok(store.workflow.read_states(&tenant, &bob, &[conversation]).await, "read_states of another agent");
    check_eq!(bobs[0].unread, 3, "another agent's marker is their own");

    ingest(store, vec![events.text("e-5", &customer, "m-5", "ยังอยู่ไหมคะ", at(30))]).await;
    let after = ok(store.workflow.read_states(&tenant, &ann, &[conversation]).await, "read_states");
    check_eq!(after[0].unread, 2);
    check_eq!(ok(store.reads.conversation(&tenant, conversation).await, "conversation").unread_count, 1);
}

/// Read markers of a conversation the tenant does not have are `NotFound`.
pub async fn read_markers_of_unknown_conversations_are_not_found(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let conversation =
        text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let (globex, _, _) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let ann = fixtures::user("ann");
    assert_kind(
        store.workflow.mark_read_by(&globex, conversation, &ann, at(5)).await,
        ErrorKind::NotFound,
        "foreign mark",
    );
    assert_kind(store.workflow.read_states(&globex, &ann, &[conversation]).await, ErrorKind::NotFound, "foreign state");
    let unknown = ConversationId::new();
    assert_kind(
        store.workflow.read_states(&tenant, &ann, &[conversation, unknown]).await,
        ErrorKind::NotFound,
        "unknown id",
    );
    let state = ok(store.workflow.read_states(&tenant, &ann, &[conversation]).await, "read_states");
    check_eq!(state[0].read_up_to, None, "a refused mark changed nothing");
}

/// Open and pending conversations count towards their assignee; resolved and snoozed ones do
/// not, nor do unassigned ones or other tenants'.
pub async fn open_assignments_count_open_and_pending_per_assignee(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let mut conversations = Vec::new();
    for n in 0..5 {
        let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, n);
        let id = format!("m-{n}");
        conversations.push(text_in_conversation(store, &events, &customer, &id, THAI_ORDER_TEXT, at(n.into())).await);
    }
    let (ann, bob) = (fixtures::user("ann"), fixtures::user("bob"));
    let updates = [
        ConversationUpdate::new().assign(ann.clone()),
        ConversationUpdate::new().assign(ann.clone()).status(ConversationStatus::Pending),
        ConversationUpdate::new().assign(bob.clone()).status(ConversationStatus::Resolved),
        ConversationUpdate::new().assign(bob.clone()).snooze(at(3_600)),
    ];
    for (conversation, update) in conversations.iter().zip(updates) {
        ok(store.workflow.update_conversation(&tenant, *conversation, &update).await, "update_conversation");
    }
    let (globex, _, globex_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let theirs = text_in_conversation(store, &globex_events, &fixtures::shopee_buyer(), "s-1", "hello", at(0)).await;
    ok(
        store.workflow.update_conversation(&globex, theirs, &ConversationUpdate::new().assign(ann.clone())).await,
        "assign",
    );

    let counts = ok(store.workflow.open_assignments(&tenant).await, "open_assignments");
    check_eq!(counts.get(&ann), Some(&2));
    check_eq!(counts.get(&bob), None, "resolved and snoozed conversations do not count");
    check_eq!(counts.len(), 1);
}

/// Listing by contact returns the conversations of that contact only.
pub async fn conversations_filter_by_contact(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let first = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let other = fixtures::customer(unibox_core::IdentityKind::LineUserId, 7);
    text_in_conversation(store, &events, &other, "m-2", THAI_SHIPPING_TEXT, at(5)).await;
    let contact = ok(store.reads.conversation(&tenant, first).await, "conversation").contact;
    let listed = all_conversations(store, &tenant, ConversationQuery::new().contact(contact).limit(1)).await;
    check_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first]);
}

/// When the inbox keeps a change log, read markers and contact edits are in it, on the
/// conversations they concern (a contact change on each of the contact's conversations).
pub async fn workflow_changes_are_in_the_change_log(store: &Store) {
    let Some(log) = store.changes.as_deref() else { return };
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let conversation =
        text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let contact = ok(store.reads.conversation(&tenant, conversation).await, "conversation").contact;
    let head = ok(log.head(&tenant).await, "head");
    ok(store.workflow.mark_read_by(&tenant, conversation, &fixtures::user("ann"), at(5)).await, "mark_read_by");
    let update = unibox_core::workflow::ContactUpdate::new().attribute("tier", "gold");
    ok(store.workflow.update_contact(&tenant, contact, &update).await, "update_contact");
    let logged = ok(log.read(&tenant, head, 100).await, "read the change log");
    let seen: Vec<_> = logged.iter().map(|e| (e.change.kind, e.change.conversation, e.change.detail.clone())).collect();
    let changed = unibox_core::changes::ChangeKind::ConversationChanged;
    check_eq!(
        seen,
        vec![
            (changed, Some(conversation), Some("read".to_string())),
            (changed, Some(conversation), Some("contact_updated".to_string())),
        ]
    );
}
