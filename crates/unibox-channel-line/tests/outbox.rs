//! The LINE channel behind the hub's durable outbox and delivery worker: a push whose answer is
//! lost is retried with the same `X-Line-Retry-Key` and recorded sent once; a reply whose answer
//! is lost is marked unknown and never resent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use unibox_channel_line::TokenIssuance;
use unibox_core::delivery::{DeliveryOptions, DeliveryWorker, RetryPolicy};
use unibox_core::inbox::ConversationQuery;
use unibox_core::inbox::prelude::*;
use unibox_core::memory::{MemoryInbox, MemoryStore, MemoryTokenStore};
use unibox_core::outbox::JobState;
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, ConversationId, DeliveryStatus, ErrorKind, Hub,
    ManualClock, Role, TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, BOT, FakeLine};

struct World {
    api: FakeServer,
    clock: Arc<ManualClock>,
    hub: Hub,
    inbox: Arc<MemoryInbox>,
    conversation: ConversationId,
}

fn acme() -> TenantId {
    "acme".parse().unwrap()
}

fn agent() -> Actor {
    Actor::user(acme(), "somchai".parse().unwrap(), Role::Agent)
}

/// A hub with the LINE channel on a fake API answered by `answer`, after the customer wrote.
async fn world(
    answer: impl Fn(&unibox_testkit::http::RecordedRequest) -> ScriptedResponse + Send + Sync + 'static,
) -> World {
    let api = FakeServer::start().await.unwrap();
    api.respond_with(answer);
    let clock = common::clock();
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, clock.clone());
    let inbox = Arc::new(MemoryInbox::new());
    let channel_id: ChannelId = "acme-line".parse().unwrap();
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel(channel_id.clone(), Arc::new(channel))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(clock.clone())
        .delivery(DeliveryOptions::new().retry(RetryPolicy::new(4, Duration::from_secs(1), Duration::from_secs(10))))
        .build();
    let account =
        ChannelAccount::new(acme(), channel_id.clone(), ChannelKind::LINE, BOT, Timestamp::from_unix_seconds(0));
    let admin = Actor::user(acme(), "admin".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();
    let (_, response) = hub.receive_webhook(&channel_id, &common::signed(&common::fixture("text"))).await.unwrap();
    assert_eq!(response.status.as_u16(), 200);
    let conversation = hub.conversations(&agent(), &ConversationQuery::new()).await.unwrap().items[0].id;
    World { api, clock, hub, inbox, conversation }
}

#[tokio::test]
async fn a_push_whose_answer_is_lost_is_retried_by_the_worker_and_recorded_sent_once() {
    let line = FakeLine::default();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let w = world(move |request| {
        let answer = line.answer(request);
        let first = answer.status == 200 && counter.fetch_add(1, Ordering::SeqCst) == 0;
        if first { ScriptedResponse::hang_up() } else { answer }
    })
    .await;
    // The reply token is past its window: the send pushes.
    w.clock.advance(Duration::from_secs(60));

    let queued = w.hub.send(&agent(), w.conversation, Content::text("Your parcel left this morning.")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued, "retried: LINE deduplicates pushes by the retry key");

    w.clock.advance(Duration::from_secs(11));
    let round = DeliveryWorker::new(w.hub.clone()).run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    let sent = w.inbox.message(&acme(), queued.id).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert!(sent.platform_message_id.is_some());

    let requests = w.api.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.path() == "/v2/bot/message/push"));
    let key = queued.id.to_string();
    assert!(requests.iter().all(|r| r.header("x-line-retry-key") == Some(key.as_str())));
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "LINE accepted it once; the retry got 409");
}

#[tokio::test]
async fn a_reply_whose_answer_is_lost_is_unknown_and_the_worker_never_resends_it() {
    let line = FakeLine::default();
    let w = world(move |request| line.answer(request).delayed(Duration::from_secs(4))).await;

    let error = w.hub.send(&agent(), w.conversation, Content::text("Checking now!")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::DeliveryUnknown);
    let unknown =
        (w.inbox.as_ref() as &dyn unibox_core::outbox::Outbox).jobs(&acme(), JobState::Unknown, 10).await.unwrap();
    assert_eq!(unknown.len(), 1, "the outbox shows it for a person to check");

    w.clock.advance(Duration::from_secs(600));
    let round = DeliveryWorker::new(w.hub.clone()).run_once().await.unwrap();
    assert_eq!(round.claimed, 0);
    let paths: Vec<String> = w.api.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/v2/bot/message/reply"], "nothing resent, neither as a reply nor as a push");
}
