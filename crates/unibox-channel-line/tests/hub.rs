//! The LINE channel behind the hub: the console's "Verify" delivery is answered 200, a
//! redelivery is stored once, a forgery is refused, an agent's answer uses the reply token (and is
//! not metered as a push), events kept whole are stored, and a bot in standby sends nothing.

mod common;

use std::sync::Arc;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore, MemoryUsageMeter};
use unibox_core::metering::{UsageDay, UsageMeter, UsageMetric, UsageQuery};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, DeliveryStatus, Hub, Role, TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, BOT, FakeLine};

fn channel_id() -> ChannelId {
    "acme-line".parse().unwrap()
}

#[tokio::test]
async fn verify_redelivery_forgery_reply_metering_and_standby_through_the_hub() {
    let api = FakeServer::start().await.unwrap();
    let line = FakeLine::default();
    api.respond_with(move |request| line.answer(request));
    let clock = common::clock();
    let channel = common::sending_channel(&api, unibox_channel_line::TokenIssuance::LongLived, clock.clone());
    let meter = Arc::new(MemoryUsageMeter::new());
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(channel))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .meter(meter.clone())
        .clock(clock.clone())
        .build();
    let acme: TenantId = "acme".parse().unwrap();
    let account =
        ChannelAccount::new(acme.clone(), channel_id(), ChannelKind::LINE, BOT, Timestamp::from_unix_seconds(0));
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();

    // The console's "Verify" button, for this bot: no events, 200.
    let verify = format!(r#"{{"destination":"{BOT}","events":[]}}"#);
    let answer = hub.handle_webhook(&channel_id(), common::signed(verify.as_bytes())).await;
    assert_eq!(answer.status.as_u16(), 200);

    let request = common::signed(&common::fixture("text"));
    let (first, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!((first.events, first.stored), (1, 1));
    let (again, _) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!(again.duplicates, 1);

    let forged = common::signed_with(common::OTHER_SECRET, &common::fixture("text"));
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    let agent = Actor::user(acme.clone(), "agent".parse().unwrap(), Role::Agent);
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1);
    let sent = hub.send(&agent, conversations[0].id, Content::text("It left this morning: TH-20931.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    let paths: Vec<String> = api.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/v2/bot/message/reply"], "the held reply token answered the customer for free");

    // Metered as a message out, not as a LINE push.
    let day = UsageDay::of(unibox_core::Clock::now(clock.as_ref()));
    let counted = |metric| {
        let meter = meter.clone();
        let acme = acme.clone();
        async move {
            let query = UsageQuery::days(day, day.next()).metric(metric);
            meter.usage(&acme, &query).await.unwrap().iter().map(|c| c.quantity).sum::<u64>()
        }
    };
    assert_eq!(counted(UsageMetric::MessagesOut).await, 1);
    assert_eq!(counted(UsageMetric::LinePush).await, 0);

    // Events kept whole (a group join, members joining a room) are stored too, never dropped.
    for name in ["join", "member_joined"] {
        let (receipt, response) =
            hub.receive_webhook(&channel_id(), &common::signed(&common::fixture(name))).await.unwrap();
        assert_eq!((response.status.as_u16(), receipt.stored), (200, 1), "{name}");
    }
    // In standby the event is stored and the bot sends nothing.
    let (receipt, _) =
        hub.receive_webhook(&channel_id(), &common::signed(&common::fixture("standby_text"))).await.unwrap();
    assert_eq!(receipt.stored, 1);
    let refused = hub.send(&agent, conversations[0].id, Content::text("Hello?")).await.unwrap_err();
    assert_eq!(refused.kind(), unibox_core::ErrorKind::PlatformRejected);
    assert_eq!(api.request_count(), 1, "nothing reached LINE in standby");
}
