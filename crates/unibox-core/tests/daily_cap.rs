//! A platform's daily send cap (`RateLimits::per_account_daily`, TikTok Shop's 10,000 messages
//! a day per shop): the send past it is refused with `RateLimited` and the delay until UTC
//! midnight before anything is recorded, and a queued send waits for midnight without spending
//! an attempt.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::channel::{Capabilities, RateLimits, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::delivery::DeliveryWorker;
use unibox_core::inbox::{IngestOutcome, MessageQuery, OutboundDraft, RoutedEvent};
use unibox_core::memory::{MemoryInbox, MemoryStore};
use unibox_core::outbox::{EnqueueOptions, JobState};
use unibox_core::{
    Actor, Author, Channel, ChannelAccount, ChannelKind, Content, ContentKinds, ConversationId, DeliveryStatus, Error,
    ErrorKind, EventKind, Hub, IdentityKind, InboundEvent, InboundMessage, Inbox, ManualClock, MessageId, PlatformUser,
    Result, Role, TenantId, Timestamp,
};

#[derive(Debug)]
struct Shop {
    capabilities: Capabilities,
    sent: Mutex<Vec<MessageId>>,
}

#[async_trait]
impl Channel for Shop {
    fn kind(&self) -> ChannelKind {
        ChannelKind::TIKTOK_SHOP
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "no webhooks in this test"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.sent.lock().unwrap().push(request.message_id);
        Ok(SendReceipt::new(format!("tts-{}", request.message_id)))
    }
}

/// 2024-11-21 20:00 UTC: four hours to midnight.
fn evening() -> Timestamp {
    Timestamp::from_unix_seconds(1_732_147_200 + 20 * 3600)
}

struct World {
    hub: Hub,
    inbox: Arc<MemoryInbox>,
    clock: ManualClock,
    shop: Arc<Shop>,
    tenant: TenantId,
    conversation: ConversationId,
}

async fn world(cap: u32) -> World {
    let inbox = Arc::new(MemoryInbox::new());
    let clock = ManualClock::new(evening());
    let rate_limits = RateLimits { per_account_daily: Some(cap), ..RateLimits::default() };
    let shop = Arc::new(Shop {
        capabilities: Capabilities { send: ContentKinds::all(), rate_limits, ..Default::default() },
        sent: Mutex::new(Vec::new()),
    });
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel("tts".parse().unwrap(), shop.clone())
        .clock(Arc::new(clock.clone()))
        .build();
    let tenant: TenantId = "acme".parse().unwrap();
    let account =
        ChannelAccount::new(tenant.clone(), "tts".parse().unwrap(), ChannelKind::TIKTOK_SHOP, "7494", evening());
    inbox.save_account(&account).await.unwrap();
    let buyer = PlatformUser::new(IdentityKind::External, "buyer-1");
    let event = RoutedEvent {
        tenant: tenant.clone(),
        account: account.id,
        received_at: evening(),
        event: InboundEvent {
            id: "m-1".into(),
            account: "7494".into(),
            occurred_at: evening(),
            kind: EventKind::Message(InboundMessage::inbound(buyer, "m-1", Content::text("Is it in stock?"))),
        },
    };
    let conversation = match &inbox.ingest(vec![event]).await.unwrap()[0] {
        IngestOutcome::Stored { conversation: Some(id), .. } => *id,
        other => panic!("expected a conversation, got {other:?}"),
    };
    World { hub, inbox, clock, shop, tenant, conversation }
}

fn agent() -> Actor {
    Actor::user("acme".parse().unwrap(), "bob".parse().unwrap(), Role::Agent)
}

#[tokio::test]
async fn the_send_past_the_daily_cap_is_refused_with_the_delay_until_midnight_and_not_recorded() {
    let w = world(2).await;
    for text in ["Yes", "Ships tomorrow"] {
        let sent = w.hub.send(&agent(), w.conversation, Content::text(text)).await.unwrap();
        assert_eq!(sent.delivery, DeliveryStatus::Sent);
    }
    let refused = w.hub.send(&agent(), w.conversation, Content::text("Anything else?")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RateLimited);
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(4 * 3600)));
    assert_eq!(refused.kind().http_status(), 429);
    let stored = w.inbox.messages(&w.tenant, w.conversation, &MessageQuery::new().limit(10)).await.unwrap();
    assert_eq!(stored.items.len(), 3, "the buyer's message and two sends; the refused one left no trace");
    assert_eq!(w.shop.sent.lock().unwrap().len(), 2);

    w.clock.advance(Duration::from_secs(4 * 3600));
    let next_day = w.hub.send(&agent(), w.conversation, Content::text("Good morning")).await.unwrap();
    assert_eq!(next_day.delivery, DeliveryStatus::Sent, "the cap resets at UTC midnight");
}

#[tokio::test]
async fn a_queued_send_past_the_cap_waits_for_midnight_without_spending_an_attempt() {
    let w = world(1).await;
    w.hub.send(&agent(), w.conversation, Content::text("Yes")).await.unwrap();
    let draft = OutboundDraft {
        id: MessageId::new(),
        conversation: w.conversation,
        author: Author::Bot("order-updates".into()),
        content: Content::text("Your order shipped"),
        reply_to: None,
        at: evening(),
    };
    let outbox = w.inbox.outbox().unwrap();
    let (queued, _) = outbox.enqueue(&w.tenant, draft, EnqueueOptions::new(), evening()).await.unwrap();

    let worker = DeliveryWorker::new(w.hub.clone());
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 0));
    let job = outbox.job(&w.tenant, queued.id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 0), "given back, no attempt spent");
    assert_eq!(job.due_at, evening().saturating_add(Duration::from_secs(4 * 3600)), "due at midnight");
    assert_eq!(w.shop.sent.lock().unwrap().len(), 1);

    w.clock.advance(Duration::from_secs(4 * 3600));
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    assert_eq!(w.inbox.message(&w.tenant, queued.id).await.unwrap().delivery, DeliveryStatus::Sent);
}
