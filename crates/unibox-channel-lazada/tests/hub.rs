//! The Lazada channel behind the hub: a push Lazada redelivers (it retries up to 12 times) is
//! stored once, a forgery is refused, an order push is stored, and an agent's answer reaches
//! the chat's session.

mod common;

use std::sync::Arc;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, DeliveryStatus, Hub, Role, TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, FakeLazada, SELLER, SESSION};

#[tokio::test]
async fn a_redelivered_push_is_stored_once_and_the_answer_reaches_the_session() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.serve(&platform);
    let clock = common::clock();
    let channel_id: ChannelId = "acme-lazada".parse().unwrap();
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id.clone(), Arc::new(common::sending_channel(&platform, clock.clone())))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(clock)
        .build();
    let acme: TenantId = "acme".parse().unwrap();
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    for seller in [SELLER, "1234567"] {
        let account = ChannelAccount::new(
            acme.clone(),
            channel_id.clone(),
            ChannelKind::LAZADA,
            seller,
            Timestamp::from_unix_seconds(0),
        );
        hub.connect_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();
    }

    let request = common::signed(&common::fixture("im_text"));
    for delivery in 0..12 {
        let (receipt, response) = hub.receive_webhook(&channel_id, &request).await.unwrap();
        assert_eq!(response.status.as_u16(), 200);
        assert_eq!((receipt.stored, receipt.duplicates), if delivery == 0 { (1, 0) } else { (0, 1) });
    }
    let forged = common::signed_with(common::OTHER_SECRET, &common::fixture("im_text"));
    assert_eq!(hub.handle_webhook(&channel_id, forged).await.status.as_u16(), 401);
    let (order, _) = hub.receive_webhook(&channel_id, &common::signed(&common::fixture("trade_order"))).await.unwrap();
    assert_eq!(order.stored, 1);

    let agent = Actor::user(acme, "agent".parse().unwrap(), Role::Agent);
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1, "one chat, stored once");
    let sent = hub.send(&agent, conversations[0].id, Content::text("It left this morning.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    let books = lazada.books.lock().unwrap();
    let params = books.sent.values().next().unwrap();
    assert_eq!(params["session_id"], SESSION);
}
