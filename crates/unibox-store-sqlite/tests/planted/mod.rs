//! The personal data the sealing tests plant in a store and then look for, as bytes, in every
//! file it writes (`tests/sealing.rs`, `tests/seal_in_place.rs`), and the steps that plant it.
//! Each test file uses part of it.
#![allow(dead_code)]

use unibox_core::inbox::ConversationQuery;
use unibox_core::inbox::prelude::*;
use unibox_core::orders::{Order, OrderItem, OrderStore};
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::workflow::ContactUpdate;
use unibox_core::{ContactId, ConversationId, IdentityKind, InternalNote, NoteId, PlatformUser, TenantId, Timestamp};
use unibox_store_sqlite::SqliteStore;
use unibox_testkit::fixtures;

pub(crate) const SENTENCE: &str = "Please leave the parcel behind the blue gate at 42 Sukhumvit";
pub(crate) const THAI: &str = "ขอเปลี่ยนที่อยู่จัดส่งเป็นคอนโดริมน้ำ";
pub(crate) const JAPANESE: &str = "配達先を品川の倉庫に変更してください";
pub(crate) const PHONE: &str = "+66812345678";
pub(crate) const NAME: &str = "Somchai Jaidee";
pub(crate) const CUSTOMER_ID: &str = "U4af4980629c37e7b3ad0a4e2e0a8b2ed";
pub(crate) const NOTE: &str = "Customer asked for a refund to card ending 4242";
pub(crate) const MESSAGE_ID: &str = "468789577898262501";
/// Another customer (in a group chat) reacting to the customer's message, and the emoji.
pub(crate) const REACTOR: &str = "U7be0c1d2e3f4a5b6c7d8e9f0a1b2c3d4";
pub(crate) const EMOJI: &str = "\u{1f9a9}";
/// The app-scoped user id of Meta's data-deletion callback: linked to the customer's contact
/// and named by a deletion request.
pub(crate) const META_USER: &str = "3591046287719402";
/// The confirmation code of the planted deletion request.
pub(crate) const CONFIRMATION: &str = "5ea1ed0c0de";

/// The customer who sends the planted messages (LINE user [`CUSTOMER_ID`], named [`NAME`]).
pub(crate) fn customer() -> PlatformUser {
    PlatformUser::new(IdentityKind::LineUserId, CUSTOMER_ID).with_name(NAME)
}

/// Closes the store's inbox (finishing its writes) before the file is used again.
pub(crate) async fn close(store: SqliteStore) {
    let inbox = store.inbox().clone();
    drop(store);
    match std::sync::Arc::try_unwrap(inbox) {
        Ok(inbox) => inbox.close().await,
        Err(_) => panic!("the store held the only other reference to its inbox"),
    }
}

/// The tenant's first conversation.
pub(crate) async fn first_conversation(store: &SqliteStore, tenant: &TenantId) -> (ConversationId, ContactId) {
    let conversation = store.inbox().conversations(tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    (conversation.id, conversation.contact)
}

/// Plants, in the tenant's first conversation, what agents and callbacks add beside messages:
/// a note ([`NOTE`]), the contact's name and phone, an order of the customer (tracking number
/// [`PHONE`], an item named [`NOTE`]), and what Meta's data-deletion callback stores ([`META_USER`]
/// linked to the contact, a request naming it, moved to in progress). `at` is when the first
/// of them happens.
pub(crate) async fn add_personal_data(store: &SqliteStore, tenant: &TenantId, at: Timestamp) {
    let inbox = store.inbox();
    let (conversation, contact) = first_conversation(store, tenant).await;
    let note = InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation,
        author: fixtures::user("agent-1"),
        body: NOTE.to_owned(),
        created_at: at,
    };
    inbox.add_note(&note).await.unwrap();
    let update = ContactUpdate::new().attribute("phone", PHONE).display_name(NAME);
    inbox.update_contact(tenant, contact, &update).await.unwrap();
    let account = inbox.conversation(tenant, conversation).await.unwrap().account;
    let mut order = Order::new(tenant.clone(), account, "order-77", "shipped", at).with_buyer(customer());
    order.tracking_number = Some(PHONE.to_owned());
    order.items.push(OrderItem::new(NOTE, 1));
    inbox.merge_order(order).await.unwrap();
    inbox.link_platform_user(tenant, "meta", META_USER, contact).await.unwrap();
    let request = DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: CONFIRMATION.into(),
        kind: PrivacyRequestKind::DataDeletion,
        platform: "meta".into(),
        platform_user_id: META_USER.into(),
        contacts: vec![contact],
        status: DeletionStatus::Received,
        requested_at: at,
        updated_at: at,
    };
    assert_eq!(inbox.open(request.clone()).await.unwrap(), request);
    let moved = inbox.set_status(tenant, CONFIRMATION, DeletionStatus::InProgress, at).await.unwrap();
    assert_eq!(moved.platform_user_id, META_USER);
}
