//! The delivery worker over the in-memory inbox and a scripted channel, on a manual clock:
//! resuming attempts a crashed worker left in flight, retries coming due, a spawned worker.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::audit::{AuditOutcome, AuditQuery, actions, actor_name, targets};
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::delivery::{DeliveryOptions, DeliveryWorker, RetryPolicy};
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{IngestOutcome, OutboundDraft, RoutedEvent};
use unibox_core::memory::{MemoryInbox, MemoryStore};
use unibox_core::outbox::{EnqueueOptions, JobState, Lease, Resolution};
use unibox_core::{
    Actor, Author, Channel, ChannelAccount, ChannelKind, Content, ContentKinds, ConversationId, DeliveryStatus, Error,
    ErrorKind, EventKind, Hub, IdentityKind, InboundEvent, InboundMessage, ManualClock, MessageId, PlatformUser,
    Result, Role, Timestamp,
};

/// A channel whose sends answer from a script and are recorded by message id.
#[derive(Debug)]
struct Scripted {
    capabilities: Capabilities,
    answers: Mutex<VecDeque<Result<SendReceipt>>>,
    sent: Mutex<Vec<MessageId>>,
}

impl Scripted {
    fn new(idempotent: bool) -> Arc<Self> {
        Arc::new(Scripted {
            capabilities: Capabilities { send: ContentKinds::all(), idempotent_send: idempotent, ..Default::default() },
            answers: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
        })
    }

    fn answer(&self, answer: Result<SendReceipt>) {
        self.answers.lock().unwrap().push_back(answer);
    }

    fn sent(&self) -> Vec<MessageId> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Channel for Scripted {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LINE
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
        let scripted = self.answers.lock().unwrap().pop_front();
        scripted.unwrap_or_else(|| Ok(SendReceipt::new(format!("line-{}", request.message_id))))
    }
}

struct World {
    hub: Hub,
    inbox: Arc<MemoryInbox>,
    clock: ManualClock,
    channel: Arc<Scripted>,
    conversation: ConversationId,
}

fn start() -> Timestamp {
    Timestamp::from_unix_seconds(1_732_177_200)
}

async fn world(idempotent: bool) -> World {
    let inbox = Arc::new(MemoryInbox::new());
    let clock = ManualClock::new(start());
    let channel = Scripted::new(idempotent);
    let options = DeliveryOptions::new()
        .retry(RetryPolicy::new(3, Duration::from_secs(1), Duration::from_secs(10)))
        .lease(Duration::from_secs(60));
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel("line".parse().unwrap(), channel.clone())
        .clock(Arc::new(clock.clone()))
        .delivery(options)
        .build();
    let tenant = "acme".parse().unwrap();
    let account = ChannelAccount::new(
        tenant,
        "line".parse().unwrap(),
        ChannelKind::LINE,
        "Ub9952f8f7a2c6e0d3b4a5f6e7d8c9b0a",
        start(),
    );
    inbox.save_account(&account).await.unwrap();
    let customer = PlatformUser::new(IdentityKind::LineUserId, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
    let event = RoutedEvent {
        tenant: account.tenant.clone(),
        account: account.id,
        received_at: start(),
        event: InboundEvent {
            id: "01HZY3".into(),
            account: account.platform_account_id.clone(),
            occurred_at: start(),
            kind: EventKind::Message(InboundMessage::inbound(customer, "468789577898262530", Content::text("สวัสดีค่ะ"))),
        },
    };
    let conversation = match &inbox.ingest(vec![event]).await.unwrap()[0] {
        IngestOutcome::Stored { conversation: Some(id), .. } => *id,
        other => panic!("expected a conversation, got {other:?}"),
    };
    World { hub, inbox, clock, channel, conversation }
}

fn agent() -> Actor {
    Actor::user("acme".parse().unwrap(), "bob".parse().unwrap(), Role::Agent)
}

/// Leaves a job as a worker that died mid-send leaves it: attempt begun, never finished.
async fn crashed_mid_send(w: &World) -> MessageId {
    let outbox: &dyn unibox_core::outbox::Outbox = w.inbox.as_ref();
    let draft = OutboundDraft {
        id: MessageId::new(),
        conversation: w.conversation,
        author: Author::Agent("bob".parse().unwrap()),
        content: Content::text("ได้เลยค่ะ ส่งพรุ่งนี้นะคะ"),
        reply_to: None,
        at: start(),
    };
    let lease = Lease::until(start().saturating_add(Duration::from_secs(60)));
    let (message, _) =
        outbox.enqueue(&"acme".parse().unwrap(), draft, EnqueueOptions::new().leased(lease), start()).await.unwrap();
    outbox.begin_attempt(&"acme".parse().unwrap(), message.id, lease.id).await.unwrap();
    message.id
}

#[tokio::test]
async fn an_interrupted_attempt_on_a_platform_without_idempotency_is_marked_unknown_not_resent() {
    let w = world(false).await;
    let message = crashed_mid_send(&w).await;
    let worker = DeliveryWorker::new(w.hub.clone());
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "the dead worker's lease still holds");

    w.clock.advance(Duration::from_secs(61));
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.unknown, round.sent), (1, 1, 0));
    assert!(w.channel.sent().is_empty(), "it may have reached the platform: never resent blindly");
    let job =
        (w.inbox.as_ref() as &dyn unibox_core::outbox::Outbox).job(&"acme".parse().unwrap(), message).await.unwrap();
    assert_eq!(job.state, JobState::Unknown);
    assert!(job.last_error.unwrap().contains("check with the platform before resending"));
    let stored = w.inbox.message(&"acme".parse().unwrap(), message).await.unwrap();
    assert_eq!(stored.delivery, DeliveryStatus::Sending);
}

#[tokio::test]
async fn an_interrupted_attempt_on_an_idempotent_platform_is_resent_with_the_same_key() {
    let w = world(true).await;
    let message = crashed_mid_send(&w).await;
    w.clock.advance(Duration::from_secs(61));
    let round = DeliveryWorker::new(w.hub.clone()).run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    assert_eq!(w.channel.sent(), vec![message], "resent once, keyed by the message id");
    let stored = w.inbox.message(&"acme".parse().unwrap(), message).await.unwrap();
    assert_eq!(stored.delivery, DeliveryStatus::Sent);
    assert_eq!(stored.platform_message_id, Some(format!("line-{message}")));
    let job =
        (w.inbox.as_ref() as &dyn unibox_core::outbox::Outbox).job(&"acme".parse().unwrap(), message).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Sent, 2));
}

#[tokio::test]
async fn a_throttled_send_is_retried_when_the_platforms_delay_has_passed() {
    let w = world(false).await;
    let throttled = Error::new(ErrorKind::RateLimited, "too many requests").with_retry_after(Duration::from_secs(30));
    w.channel.answer(Err(throttled));
    let queued = w.hub.send(&agent(), w.conversation, Content::text("Your parcel left today")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);

    let worker = DeliveryWorker::new(w.hub.clone());
    w.clock.advance(Duration::from_secs(29));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "not before the platform's 30 seconds");
    w.clock.advance(Duration::from_secs(1));
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    assert_eq!(w.channel.sent(), vec![queued.id, queued.id]);
    let sent = w.inbox.message(&"acme".parse().unwrap(), queued.id).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_with_the_platforms_reason() {
    let w = world(true).await;
    w.channel.answer(Err(Error::new(ErrorKind::RecipientUnavailable, "the user blocked the account")));
    let err = w.hub.send(&agent(), w.conversation, Content::text("hello")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RecipientUnavailable);
    let failed = (w.inbox.as_ref() as &dyn unibox_core::outbox::Outbox)
        .jobs(&"acme".parse().unwrap(), JobState::Failed, 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    let message = w.inbox.message(&"acme".parse().unwrap(), failed[0].message).await.unwrap();
    assert_eq!(
        message.delivery,
        DeliveryStatus::failed_with("the user blocked the account", ErrorKind::RecipientUnavailable, None)
    );
    assert_eq!(w.channel.sent().len(), 1, "never retried");
}

#[tokio::test]
async fn a_spawned_worker_delivers_retries_and_stops_on_shutdown() {
    let w = world(false).await;
    w.channel.answer(Err(Error::new(ErrorKind::PlatformUnavailable, "the platform answered 503").temporary()));
    let queued = w.hub.send(&agent(), w.conversation, Content::text("hello")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);

    let handle = DeliveryWorker::new(w.hub.clone()).poll_interval(Duration::from_millis(10)).spawn();
    w.clock.advance(Duration::from_secs(5));
    let tenant = "acme".parse().unwrap();
    let mut delivered = false;
    for _ in 0..500 {
        if w.inbox.message(&tenant, queued.id).await.unwrap().delivery == DeliveryStatus::Sent {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(delivered, "the worker retried the send once it came due");
    tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await.expect("the worker stops");
}

#[tokio::test]
async fn an_agent_resolves_an_unknown_send_and_a_viewer_may_not() {
    let w = world(false).await;
    let message = crashed_mid_send(&w).await;
    w.clock.advance(Duration::from_secs(61));
    let worker = DeliveryWorker::new(w.hub.clone());
    assert_eq!(worker.run_once().await.unwrap().unknown, 1);

    let viewer = Actor::user("acme".parse().unwrap(), "vic".parse().unwrap(), Role::Viewer);
    let denied = w.hub.resolve_unknown_send(&viewer, message, Resolution::Resend).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);

    // The agent checked: the platform never got it. Resend.
    let queued = w.hub.resolve_unknown_send(&agent(), message, Resolution::Resend).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);
    let round = worker.run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    assert_eq!(w.channel.sent(), vec![message], "sent once, after a person decided");
    let again = w.hub.resolve_unknown_send(&agent(), message, Resolution::Resend).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "only unknown sends are resolved");
}

#[tokio::test]
async fn a_send_that_finally_fails_is_audited_as_failed_not_as_sent() {
    let w = world(false).await;
    let busy = || Error::new(ErrorKind::PlatformUnavailable, "503 from the platform");
    w.channel.answer(Err(busy()));
    let queued = w.hub.send(&agent(), w.conversation, Content::text("Your refund is on its way")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);
    let worker = DeliveryWorker::new(w.hub.clone());
    for _ in 0..2 {
        w.channel.answer(Err(busy()));
        w.clock.advance(Duration::from_secs(11));
        worker.run_once().await.unwrap();
    }
    let stored = w.inbox.message(&"acme".parse().unwrap(), queued.id).await.unwrap();
    assert!(matches!(stored.delivery, DeliveryStatus::Failed { .. }), "{:?}", stored.delivery);

    let trail = w.hub.audit_trail().unwrap();
    let records = trail.query(&"acme".parse().unwrap(), &AuditQuery::new()).await.unwrap().items;
    let records: Vec<_> = records.into_iter().rev().map(|r| r.record).collect();
    let target = targets::conversation(w.conversation);
    let summary: Vec<(&str, &str, &AuditOutcome)> = records
        .iter()
        .filter(|r| r.target == target)
        .map(|r| (r.action.as_str(), actor_name(&r.actor), &r.outcome))
        .collect();
    let failed = AuditOutcome::Failed { error: "platform_unavailable".into() };
    assert_eq!(
        summary,
        vec![
            (actions::MESSAGE_QUEUE, "bob", &AuditOutcome::Success),
            (actions::MESSAGE_SEND, actions::DELIVERY_WORKER, &failed)
        ],
        "queued by the agent, then failed for good: never a `message.send` success"
    );
    assert!(trail.verify(&"acme".parse().unwrap()).await.unwrap().is_intact());
}

#[tokio::test]
async fn a_send_that_ends_at_once_is_audited_once_as_sent() {
    let w = world(false).await;
    w.hub.send(&agent(), w.conversation, Content::text("Your refund is on its way")).await.unwrap();
    let page = w.hub.audit_trail().unwrap().query(&"acme".parse().unwrap(), &AuditQuery::new()).await.unwrap();
    let actions: Vec<(&str, &AuditOutcome)> =
        page.items.iter().map(|r| (r.record.action.as_str(), &r.record.outcome)).collect();
    assert_eq!(actions, vec![(actions::MESSAGE_SEND, &AuditOutcome::Success)]);
}
