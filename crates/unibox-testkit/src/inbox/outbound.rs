//! Outbound messages and their delivery, and internal notes.

use unibox_core::inbox::{IngestOutcome, MessageQuery};
use unibox_core::store::Store;
use unibox_core::{
    Author, ConversationId, DeliveryStatus, Direction, ErrorKind, InternalNote, NoteId, Timestamp, UserId,
};

use super::support::{
    all_messages, assert_kind, ingest, ok, stored_message, tenant_with_account, text_in_conversation,
};
use crate::fixtures::{self, THAI_ORDER_TEXT, at};

/// A recorded outbound message is queued, has no platform id yet, moves the conversation's
/// activity, and recording the same draft again does not duplicate it.
pub async fn record_outbound_is_queued(store: &Store) {
    let (tenant, account, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let conversation =
        text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let agent = fixtures::user("agent-7");
    let draft = fixtures::agent_reply(conversation, &agent, "ได้เลยค่ะ ส่งพรุ่งนี้นะคะ", at(60));

    let message = ok(store.outbound.record_outbound(&tenant, draft.clone()).await, "record_outbound");
    check_eq!(message.id, draft.id, "the draft's id is the message's id");
    check_eq!(message.tenant, tenant);
    check_eq!(message.conversation, conversation);
    check_eq!(message.account, account.id, "the message goes through the conversation's account");
    check_eq!(message.direction, Direction::Outbound);
    check_eq!(message.author, Author::Agent(agent));
    check_eq!(message.content, draft.content);
    check_eq!(message.delivery, DeliveryStatus::Queued, "recorded before any attempt");
    check_eq!(message.platform_message_id, None);
    check_eq!(message.sent_at, at(60));
    check_eq!(ok(store.reads.message(&tenant, draft.id).await, "message"), message, "it can be read back");

    let again = ok(store.outbound.record_outbound(&tenant, draft.clone()).await, "record_outbound again");
    check_eq!(again.id, draft.id, "recording the same draft again returns the same message");
    let messages = all_messages(store, &tenant, conversation).await;
    check_eq!(messages.len(), 2, "the inbound message and one outbound message");
    check_eq!(messages[0].id, draft.id, "the reply is the newest message");

    let after = ok(store.reads.conversation(&tenant, conversation).await, "conversation");
    check_eq!(after.last_activity_at, at(60), "a reply is activity");
    check_eq!(after.last_inbound_at, Some(at(0)), "a reply is not inbound");
    check_eq!(after.unread_count, 1, "a reply does not change unread messages");
}

/// `update_delivery` moves the status and sets the platform id; later receipts for that id
/// apply, and the platform's echo of it is a duplicate.
pub async fn update_delivery_sets_the_platform_id_and_later_receipts_apply(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let conversation =
        text_in_conversation(store, &events, &customer, "mid.in", "Do you ship to Chiang Mai?", at(0)).await;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "Yes, in 2-3 days.", at(30));
    let id = draft.id;
    ok(store.outbound.record_outbound(&tenant, draft).await, "record_outbound");

    let sending =
        ok(store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sending, None).await, "update_delivery");
    check_eq!((sending.delivery, sending.platform_message_id), (DeliveryStatus::Sending, None));
    let sent = ok(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("mid.out.1")).await,
        "update_delivery",
    );
    check_eq!(sent.delivery, DeliveryStatus::Sent);
    check_eq!(sent.platform_message_id.as_deref(), Some("mid.out.1"));

    ingest(store, vec![events.delivery("w-1", &["mid.out.1"], DeliveryStatus::Delivered, at(40))]).await;
    check_eq!(ok(store.reads.message(&tenant, id).await, "message").delivery, DeliveryStatus::Delivered);
    ingest(store, vec![events.delivery("w-2", &["mid.out.1"], DeliveryStatus::Read, at(50))]).await;
    check_eq!(ok(store.reads.message(&tenant, id).await, "message").delivery, DeliveryStatus::Read);
    let late =
        ok(store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, None).await, "a late update_delivery");
    check_eq!(late.delivery, DeliveryStatus::Read, "update_delivery merges too: it never goes backwards");

    let echo = ingest(store, vec![events.echo("x-1", &customer, "mid.out.1", "Yes, in 2-3 days.", at(31))]).await;
    check_eq!(echo, vec![IngestOutcome::Duplicate], "the echo of a sent message is a duplicate");
    check_eq!(all_messages(store, &tenant, conversation).await.len(), 2, "the reply is listed once");
}

/// Receipts that arrive before the send call returns apply once the platform id is set.
pub async fn receipts_before_update_delivery_apply_when_the_platform_id_is_set(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let conversation =
        text_in_conversation(store, &events, &fixtures::messenger_user(), "mid.in", "Price?", at(0)).await;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "฿390 with free shipping", at(30));
    let id = draft.id;
    ok(store.outbound.record_outbound(&tenant, draft).await, "record_outbound");
    ok(store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sending, None).await, "update_delivery");

    ingest(store, vec![events.delivery("w-1", &["mid.out.1"], DeliveryStatus::Delivered, at(31))]).await;
    let sent = ok(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("mid.out.1")).await,
        "update_delivery",
    );
    check_eq!(sent.delivery, DeliveryStatus::Delivered, "the early receipt applied when the id became known");
}

/// An echo of our own send that arrives before the platform answered the send call is folded
/// into the recorded message when its platform id is set: the reply is listed once.
pub async fn echo_before_update_delivery_is_folded_into_the_recorded_message(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let conversation = text_in_conversation(store, &events, &customer, "mid.in", "Price?", at(0)).await;
    let agent = fixtures::user("agent-7");
    let draft = fixtures::agent_reply(conversation, &agent, "฿390 with free shipping", at(30));
    let id = draft.id;
    ok(store.outbound.record_outbound(&tenant, draft).await, "record_outbound");
    ok(store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sending, None).await, "update_delivery");
    ingest(store, vec![events.echo("x-1", &customer, "mid.out.1", "฿390 with free shipping", at(30))]).await;
    ingest(store, vec![events.delivery("w-1", &["mid.out.1"], DeliveryStatus::Delivered, at(32))]).await;

    let sent = ok(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("mid.out.1")).await,
        "update_delivery",
    );
    check_eq!(sent.author, Author::Agent(agent), "the recorded message is kept, with its author");
    check_eq!(sent.delivery, DeliveryStatus::Delivered, "the echo's receipts were carried over");
    let outbound: Vec<_> = all_messages(store, &tenant, conversation)
        .await
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .collect();
    check_eq!(outbound.len(), 1, "the reply is listed once, not once more as an echo");
    check_eq!(outbound[0].id, id);
}

/// Only outbound messages have a delivery status, and a platform id names one message.
pub async fn update_delivery_rejects_inbound_and_conflicting_platform_ids(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let outcomes = ingest(store, vec![events.text("e-1", &fixtures::line_user(), "m-in", "hello", at(0))]).await;
    let inbound = stored_message(&outcomes[0]);
    assert_kind(
        store.outbound.update_delivery(&tenant, inbound, DeliveryStatus::Read, None).await,
        ErrorKind::InvalidInput,
        "update_delivery of an inbound message",
    );

    let conversation = ok(store.reads.message(&tenant, inbound).await, "message").conversation;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "hi!", at(10));
    let id = draft.id;
    ok(store.outbound.record_outbound(&tenant, draft).await, "record_outbound");
    assert_kind(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("m-in")).await,
        ErrorKind::Conflict,
        "taking the platform id of an inbound message",
    );
    ok(store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("m-out")).await, "update_delivery");
    ok(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("m-out")).await,
        "the same id again is fine",
    );
    assert_kind(
        store.outbound.update_delivery(&tenant, id, DeliveryStatus::Sent, Some("m-other")).await,
        ErrorKind::Conflict,
        "changing a platform id once set",
    );
    let message = ok(store.reads.message(&tenant, id).await, "message");
    check_eq!(message.platform_message_id.as_deref(), Some("m-out"));
}

/// Recording into a conversation that does not exist is `NotFound`, and nothing is stored.
pub async fn record_outbound_into_unknown_conversation_is_not_found(store: &Store) {
    let (tenant, _, _) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let draft = fixtures::agent_reply(ConversationId::new(), &fixtures::user("agent-7"), "hello?", at(0));
    let id = draft.id;
    assert_kind(
        store.outbound.record_outbound(&tenant, draft).await,
        ErrorKind::NotFound,
        "record_outbound, unknown conversation",
    );
    assert_kind(store.reads.message(&tenant, id).await, ErrorKind::NotFound, "the message was not stored");
}

fn note(
    tenant: &unibox_core::TenantId,
    conversation: ConversationId,
    author: &UserId,
    body: &str,
    at: Timestamp,
) -> InternalNote {
    InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation,
        author: author.clone(),
        body: body.into(),
        created_at: at,
    }
}

/// Notes are listed oldest first, per conversation.
pub async fn notes_are_listed_oldest_first(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let first = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", THAI_ORDER_TEXT, at(0)).await;
    let other_customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, 2);
    let second = text_in_conversation(store, &events, &other_customer, "m-2", "hello", at(1)).await;
    let agent = fixtures::user("agent-7");
    let late = note(&tenant, first, &agent, "Customer confirmed size M, paid by transfer", at(300));
    let early = note(&tenant, first, &agent, "ลูกค้าประจำ ให้ส่วนลด 10%", at(100));
    let elsewhere = note(&tenant, second, &agent, "Possible spam", at(200));
    for n in [&late, &early, &elsewhere] {
        ok(store.workflow.add_note(n).await, "add_note");
    }

    check_eq!(ok(store.reads.notes(&tenant, first).await, "notes"), vec![early, late], "oldest first");
    check_eq!(ok(store.reads.notes(&tenant, second).await, "notes"), vec![elsewhere]);
    let messages = ok(store.reads.messages(&tenant, first, &MessageQuery::new()).await, "messages");
    check_eq!(messages.items.len(), 1, "a note is not a message");
}

/// A note whose tenant does not own the conversation is `NotFound` and is not stored.
pub async fn note_on_another_tenants_conversation_is_not_found(store: &Store) {
    let (acme, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let conversation = text_in_conversation(store, &events, &fixtures::line_user(), "m-1", "hello", at(0)).await;
    let globex = fixtures::tenant("globex");
    let intruding = note(&globex, conversation, &fixtures::user("agent-1"), "injected", at(10));
    assert_kind(
        store.workflow.add_note(&intruding).await,
        ErrorKind::NotFound,
        "a note on another tenant's conversation",
    );
    let unknown = note(&acme, ConversationId::new(), &fixtures::user("agent-7"), "lost", at(10));
    assert_kind(store.workflow.add_note(&unknown).await, ErrorKind::NotFound, "a note on an unknown conversation");
    check!(ok(store.reads.notes(&acme, conversation).await, "notes").is_empty(), "nothing was stored");
}
