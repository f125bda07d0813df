//! Accept: the webhook fast path. Accepted events are durable, applied as `ingest` applies them,
//! visible to every later read, and stored once however often they arrive.

use unibox_core::inbox::{Acceptance, ConversationQuery, SearchQuery};
use unibox_core::store::Store;
use unibox_core::{ConversationStatus, ErrorKind};

use super::support::{all_conversations, all_messages, assert_kind, ingest, ok, tenant_with_account};
use crate::fixtures::{self, THAI_ORDER_TEXT, at};

/// Events accepted are applied before any read that starts after `accept` returned.
pub async fn accepted_events_are_visible_to_the_next_read(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let accepted = ok(
        store
            .ingest
            .accept(vec![
                events.text("evt-1", &customer, "468789577898262530", THAI_ORDER_TEXT, at(0)),
                events.text("evt-2", &customer, "468789577898262531", "ส่งด่วนได้ไหมคะ", at(5)),
            ])
            .await,
        "accept",
    );
    check_eq!(accepted, vec![Acceptance::Accepted, Acceptance::Accepted]);

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations.len(), 1, "the accepted messages are applied before the read");
    let conversation = &conversations[0];
    check_eq!(conversation.status, ConversationStatus::Open);
    check_eq!(conversation.unread_count, 2);
    check_eq!(conversation.last_inbound_at, Some(at(5)));
    let texts: Vec<_> = all_messages(store, &tenant, conversation.id)
        .await
        .into_iter()
        .filter_map(|message| message.content.searchable_text().map(|text| text.into_owned()))
        .collect();
    check_eq!(texts, vec!["ส่งด่วนได้ไหมคะ".to_string(), THAI_ORDER_TEXT.to_string()], "newest first");
    let found = ok(store.reads.search(&tenant, &SearchQuery::new("ส่งด่วน")).await, "search");
    check_eq!(found.items.len(), 1, "accepted text is searchable at once");
}

/// A redelivered event is a duplicate or is recognised when applied: accepted twice, accepted
/// and ingested, in one call or several, it is stored once.
pub async fn accepted_redeliveries_are_stored_once(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::messenger_account).await;
    let customer = fixtures::messenger_user();
    let first = events.text("m-1", &customer, "m_AG5Hz2Uq7tuwNEhX", "Is this still in stock?", at(0));
    let second = events.text("m-2", &customer, "m_AG5Hz2Uq7tuwNEhY", "Size M please", at(1));

    let accepted = ok(store.ingest.accept(vec![first.clone(), first.clone()]).await, "accept twice in one call");
    check_eq!(accepted[0], Acceptance::Accepted);
    check_eq!(accepted[1], Acceptance::Duplicate, "the second copy in one call is a duplicate");
    let again = ok(store.ingest.accept(vec![first.clone(), second.clone()]).await, "accept again");
    check_eq!(again[0], Acceptance::Duplicate, "a redelivery is a duplicate");
    check_eq!(again[1], Acceptance::Accepted);
    // The same events through the slow path as well.
    ingest(store, vec![first, second.clone()]).await;
    ok(store.ingest.accept(vec![second]).await, "accept after ingest");

    let conversations = all_conversations(store, &tenant, ConversationQuery::new()).await;
    check_eq!(conversations.len(), 1);
    check_eq!(all_messages(store, &tenant, conversations[0].id).await.len(), 2, "each message is stored once");
    check_eq!(conversations[0].unread_count, 2, "each message counts once");
}

/// Accept checks what `ingest` checks: an unknown account or an invalid event fails the whole
/// call, and nothing of it is stored.
pub async fn accept_refuses_what_ingest_refuses_and_stores_nothing(store: &Store) {
    let (tenant, _, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let good = events.text("evt-1", &customer, "m-1", "first", at(0));

    let mut unknown = events.text("evt-2", &customer, "m-2", "second", at(1));
    unknown.account = unibox_core::ChannelAccountId::new();
    assert_kind(
        store.ingest.accept(vec![good.clone(), unknown]).await,
        ErrorKind::NotFound,
        "accept for an unknown account",
    );

    let (_, _, foreign_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    let mut foreign = foreign_events.text("evt-3", &fixtures::shopee_buyer(), "m-3", "third", at(2));
    foreign.tenant = tenant.clone();
    assert_kind(
        store.ingest.accept(vec![good.clone(), foreign]).await,
        ErrorKind::NotFound,
        "accept routed to another tenant's account",
    );

    let no_message_id = events.text("evt-4", &customer, "", "hello", at(3));
    assert_kind(
        store.ingest.accept(vec![good.clone(), no_message_id]).await,
        ErrorKind::InvalidInput,
        "an empty message id",
    );

    check!(all_conversations(store, &tenant, ConversationQuery::new()).await.is_empty(), "nothing was stored");
    let accepted = ok(store.ingest.accept(vec![good]).await, "accept the valid event alone");
    check_eq!(accepted, vec![Acceptance::Accepted], "the failed calls did not remember the valid event");
}
