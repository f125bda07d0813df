//! The Shopee channel behind the hub on SQLite: the console's verification push is answered
//! 200 with an empty body, a redelivered push is stored once, a forgery is refused, an agent's
//! answer goes out through sellerchat, and a revocation push makes the shop need
//! reauthorization.

mod common;

use std::sync::Arc;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{Actor, ChannelAccountState, ChannelId, Content, DeliveryStatus, Hub, Role, TokenSet};
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, FakeShopee, SHOP};

fn channel_id() -> ChannelId {
    "acme-shopee".parse().unwrap()
}

#[tokio::test]
async fn verification_redelivery_forgery_send_and_revocation_through_the_hub() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.serve(&api);
    let inbox = Arc::new(SqliteInbox::open_in_memory().await.unwrap());
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel(channel_id(), Arc::new(common::sending_channel(&api, clock.clone())))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(clock)
        .build();
    let account = common::account("acme");
    let admin = Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin);
    let account = hub.connect_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();

    // "Verify and Save" in the console: 200 with the empty body Shopee requires.
    let answer = hub.handle_webhook(&channel_id(), common::signed(&common::fixture("verify"))).await;
    assert_eq!((answer.status.as_u16(), answer.body.len()), (200, 0));

    // A buyer's order card, delivered twice (Shopee retries webchat pushes after 1, 2, 3 s).
    let request = common::signed(&common::fixture("order"));
    let (first, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((response.status.as_u16(), response.body.len()), (200, 0));
    assert_eq!((first.events, first.stored), (1, 1));
    let (again, _) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));

    let forged = common::signed_for(common::OTHER_KEY, common::CALLBACK_URL, &common::fixture("order"));
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1, "the redelivery made no second conversation");
    let messages = hub.messages(&agent, conversations[0].id, &Default::default()).await.unwrap().items;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].content, Content::Order { order_id: "2411290R48U37H".into(), status: None });
    let sent = hub.send(&agent, conversations[0].id, Content::text("It ships today.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(fake.books.lock().unwrap().sent_with.len(), 1);

    // The seller cancels the authorization: stored, and the shop needs reauthorization.
    let (revoked, _) =
        hub.receive_webhook(&channel_id(), &common::signed(&common::fixture("authorization_canceled"))).await.unwrap();
    assert_eq!(revoked.stored, 1);
    let stored =
        unibox_core::inbox::ChannelAccounts::account(inbox.as_ref(), &account.tenant, account.id).await.unwrap();
    assert_eq!(stored.platform_account_id, SHOP);
    assert!(
        matches!(stored.state, ChannelAccountState::ReauthorizationRequired { ref reason } if reason.contains("user cancel shop authorization"))
    );
}
