//! Tenant isolation: another tenant's ids are `NotFound`, and listings never show foreign data.

use std::collections::HashSet;

use unibox_core::inbox::{ConversationQuery, ConversationUpdate, MessageQuery, SearchQuery};
use unibox_core::store::Store;
use unibox_core::{
    ChannelKind, ContactIdentity, ConversationStatus, DeliveryStatus, ErrorKind, IdentityKind, InternalNote, NoteId,
    TenantId,
};

use super::support::{all_conversations, all_messages, assert_kind, ingest, ok, stored_message, tenant_with_account};
use crate::fixtures::{self, AccountEvents, THAI_ORDER_TEXT, at};

/// Every method called as tenant B with tenant A's ids answers `NotFound` (or `None` for the
/// identity lookup) and changes nothing of A's.
pub async fn other_tenants_ids_are_not_found(store: &Store) {
    let (acme, account, events) = tenant_with_account(store, "acme", fixtures::line_account).await;
    let customer = fixtures::line_user();
    let outcomes = ingest(store, vec![events.text("e-1", &customer, "m-1", THAI_ORDER_TEXT, at(0))]).await;
    let inbound = ok(store.reads.message(&acme, stored_message(&outcomes[0])).await, "message");
    let conversation = inbound.conversation;
    let contact = ok(store.reads.conversation(&acme, conversation).await, "conversation").contact;
    let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-7"), "ได้เลยค่ะ", at(10));
    let outbound = ok(store.outbound.record_outbound(&acme, draft).await, "record_outbound").id;
    ok(store.outbound.update_delivery(&acme, outbound, DeliveryStatus::Sent, Some("m-out")).await, "update_delivery");
    let acme_note = InternalNote {
        id: NoteId::new(),
        tenant: acme.clone(),
        conversation,
        author: fixtures::user("agent-7"),
        body: "VIP customer".into(),
        created_at: at(20),
    };
    ok(store.workflow.add_note(&acme_note).await, "add_note");

    let (globex, _, globex_events) = tenant_with_account(store, "globex", fixtures::shopee_account).await;
    ingest(store, vec![globex_events.text("e-1", &fixtures::shopee_buyer(), "m-1", "hello", at(0))]).await;

    let before_conversation = ok(store.reads.conversation(&acme, conversation).await, "conversation");
    let before_messages = all_messages(store, &acme, conversation).await;
    let before_account = ok(store.accounts.account(&acme, account.id).await, "account");

    let g = &globex;
    assert_kind(store.accounts.account(g, account.id).await, ErrorKind::NotFound, "account as another tenant");
    assert_kind(store.reads.conversation(g, conversation).await, ErrorKind::NotFound, "conversation as another tenant");
    assert_kind(
        store.reads.messages(g, conversation, &MessageQuery::new()).await,
        ErrorKind::NotFound,
        "messages as another tenant",
    );
    assert_kind(store.reads.message(g, inbound.id).await, ErrorKind::NotFound, "inbound message as another tenant");
    assert_kind(store.reads.message(g, outbound).await, ErrorKind::NotFound, "outbound message as another tenant");
    assert_kind(store.reads.contact(g, contact).await, ErrorKind::NotFound, "contact as another tenant");
    let identity = ContactIdentity {
        account: account.id,
        kind: IdentityKind::LineUserId,
        value: fixtures::LINE_USER_ID.to_string(),
    };
    let found = ok(store.reads.contact_by_identity(g, &identity).await, "contact_by_identity as another tenant");
    check_eq!(found, None, "contact_by_identity as another tenant finds nothing");
    assert_kind(store.reads.notes(g, conversation).await, ErrorKind::NotFound, "notes as another tenant");
    let foreign_draft = fixtures::agent_reply(conversation, &fixtures::user("agent-1"), "phishing link", at(30));
    assert_kind(
        store.outbound.record_outbound(g, foreign_draft).await,
        ErrorKind::NotFound,
        "record_outbound into another tenant's conversation",
    );
    assert_kind(
        store.outbound.update_delivery(g, outbound, DeliveryStatus::failed("x"), None).await,
        ErrorKind::NotFound,
        "update_delivery of another tenant's message",
    );
    let takeover = ConversationUpdate::new().status(ConversationStatus::Resolved).assign(fixtures::user("agent-1"));
    assert_kind(
        store.workflow.update_conversation(g, conversation, &takeover).await,
        ErrorKind::NotFound,
        "update_conversation of another tenant's conversation",
    );
    let foreign_note = InternalNote { id: NoteId::new(), tenant: globex.clone(), ..acme_note.clone() };
    assert_kind(
        store.workflow.add_note(&foreign_note).await,
        ErrorKind::NotFound,
        "add_note on another tenant's conversation",
    );
    let mut misrouted = events.text("e-2", &customer, "m-2", "injected", at(40));
    misrouted.tenant = globex.clone();
    assert_kind(
        store.ingest.ingest(vec![misrouted]).await,
        ErrorKind::NotFound,
        "ingest into another tenant's account",
    );

    check_eq!(
        ok(store.reads.conversation(&acme, conversation).await, "conversation"),
        before_conversation,
        "unchanged"
    );
    check_eq!(all_messages(store, &acme, conversation).await, before_messages, "messages unchanged");
    check_eq!(ok(store.reads.notes(&acme, conversation).await, "notes"), vec![acme_note], "notes unchanged");
    check_eq!(ok(store.accounts.account(&acme, account.id).await, "account"), before_account, "account unchanged");
}

/// Two tenants with the same customers and texts: each lists, filters and searches only its own.
pub async fn other_tenants_data_is_never_listed(store: &Store) {
    let mut tenants: Vec<(TenantId, unibox_core::ChannelAccountId)> = Vec::new();
    for (name, bot) in [("acme", fixtures::LINE_BOT_ID), ("globex", "Uf00dfacef00dfacef00dfacef00dface")] {
        let tenant = fixtures::tenant(name);
        let account = fixtures::account(&tenant, &format!("line-{name}"), ChannelKind::LINE, bot);
        ok(store.accounts.save_account(&account).await, "save_account");
        let events = AccountEvents::new(&account);
        let mut batch = Vec::new();
        for n in 0..3u32 {
            let customer = fixtures::customer(IdentityKind::LineUserId, n);
            batch.push(events.text(&format!("e-{n}"), &customer, &format!("m-{n}"), THAI_ORDER_TEXT, at(i64::from(n))));
        }
        ingest(store, batch).await;
        tenants.push((tenant, account.id));
    }

    for (index, (tenant, account)) in tenants.iter().enumerate() {
        let (_, foreign_account) = &tenants[1 - index];
        let conversations = all_conversations(store, tenant, ConversationQuery::new()).await;
        check_eq!(conversations.len(), 3, "{tenant} lists its three conversations");
        check!(
            conversations.iter().all(|c| &c.tenant == tenant && &c.account == account),
            "{tenant} listed foreign data"
        );
        let filtered = all_conversations(store, tenant, ConversationQuery::new().account(*foreign_account)).await;
        check!(filtered.is_empty(), "{tenant} filtering by another tenant's account finds nothing");

        let accounts = ok(store.accounts.accounts(tenant).await, "accounts");
        check_eq!(accounts.iter().map(|a| a.id).collect::<Vec<_>>(), vec![*account], "{tenant} lists its account");

        let found = ok(store.reads.search(tenant, &SearchQuery::new("สั่งซื้อ")).await, "search");
        check_eq!(found.items.len(), 3, "{tenant} finds its three messages");
        check!(found.items.iter().all(|m| &m.tenant == tenant), "{tenant} found another tenant's message");

        let conversation_ids: HashSet<_> = conversations.iter().map(|c| c.id).collect();
        for conversation in &conversations {
            let messages = all_messages(store, tenant, conversation.id).await;
            check!(
                messages.iter().all(|m| &m.tenant == tenant && conversation_ids.contains(&m.conversation)),
                "{tenant} read a foreign message"
            );
            let contact = ok(store.reads.contact(tenant, conversation.contact).await, "contact");
            check_eq!(&contact.tenant, tenant);
        }
    }
}
