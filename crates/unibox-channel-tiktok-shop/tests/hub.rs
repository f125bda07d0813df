//! The TikTok Shop channel behind the hub: a redelivered webhook is stored once, a forgery is
//! refused, and a deauthorization webhook marks the shop for reauthorization, so sends stop.

mod common;

use std::sync::Arc;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelAccountState, ChannelId, ChannelKind, Content, ErrorKind, Hub, Role, TenantId,
    Timestamp, TokenSet,
};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, FakeTikTokShop, SHOP};

#[tokio::test]
async fn redelivery_is_stored_once_and_deauthorization_stops_sends() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.serve(&platform);
    let clock = common::clock();
    let channel_id: ChannelId = "acme-tiktok".parse().unwrap();
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id.clone(), Arc::new(common::sending_channel(&platform, clock.clone(), true)))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(clock)
        .build();
    let acme: TenantId = "acme".parse().unwrap();
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(
        acme.clone(),
        channel_id.clone(),
        ChannelKind::TIKTOK_SHOP,
        SHOP,
        Timestamp::from_unix_seconds(0),
    );
    let account = hub.connect_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();

    let request = common::signed(&common::fixture("new_message_text"));
    for delivery in 0..5 {
        let (receipt, response) = hub.receive_webhook(&channel_id, &request).await.unwrap();
        assert_eq!(response.status.as_u16(), 200);
        assert_eq!((receipt.stored, receipt.duplicates), if delivery == 0 { (1, 0) } else { (0, 1) });
    }
    let forged = common::signed_with(common::OTHER_SECRET, &common::fixture("new_message_text"));
    assert_eq!(hub.handle_webhook(&channel_id, forged).await.status.as_u16(), 401);

    let agent = Actor::user(acme.clone(), "agent".parse().unwrap(), Role::Agent);
    let conversation = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items[0].id;
    hub.send(&agent, conversation, Content::text("It left this morning.")).await.unwrap();

    let (receipt, _) =
        hub.receive_webhook(&channel_id, &common::signed(&common::fixture("deauthorization"))).await.unwrap();
    assert_eq!(receipt.stored, 1);
    let stored = hub.store().accounts.account(&acme, account.id).await.unwrap();
    assert!(matches!(stored.state, ChannelAccountState::ReauthorizationRequired { .. }), "{:?}", stored.state);
    let refused = hub.send(&agent, conversation, Content::text("Hello?")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TokenInvalid);
    assert_eq!(tiktok.books.lock().unwrap().sent.len(), 1, "nothing was sent after the deauthorization");
}
