//! Conformance suites for a [`ChangeBus`]: fan-out between hubs on one store.
//!
//! Each suite builds two hubs over one [`Store`] bundle, as two processes on one database: hub A
//! stores inbound messages (and runs the relay that publishes them, unless the store feeds the
//! bus itself as it commits), hub B serves a subscriber.
//! Give each hub its own bus connection. Hub B's safety poll is an hour, so an event that reaches
//! its subscriber within the suite's deadline came through the bus (hub B changes nothing
//! itself, so nothing else wakes it).
//!
//! ```no_run
//! # async fn run(bus_a: std::sync::Arc<dyn unibox_core::changes::ChangeBus>, bus_b: std::sync::Arc<dyn unibox_core::changes::ChangeBus>) {
//! use unibox_core::memory::MemoryStore;
//! unibox_testkit::bus::every_event_reaches_a_subscriber_of_another_hub(MemoryStore::new().into(), bus_a, bus_b).await;
//! # }
//! ```

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::changes::{BusNotice, BusStream, Change, ChangeBus, ChangeKind, InboxEvent, Position, PublishedEvent};
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::hub::{Background, Subscription};
use unibox_core::store::Store;
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelKind, Error, ErrorKind, Hub, InboundEvent, Result, Role, TenantId, Timestamp,
};

use crate::fixtures::{self, AccountEvents};

/// How long a suite waits for an event before it fails. Generous, since CI machines are slow;
/// it bounds a hang, it measures nothing.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// Hub B's safety poll in the suites: longer than any suite runs.
pub const LONG_SAFETY_POLL: Duration = Duration::from_secs(3600);

/// A channel that receives no webhooks: events reach the hub through
/// [`Hub::accept_pulled`], the path a webhook takes from routing on.
#[derive(Debug, Default)]
struct PulledOnly {
    capabilities: Capabilities,
}

#[async_trait]
impl Channel for PulledOnly {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LINE
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "the bus suite's channel receives no webhooks"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
        Err(Error::new(ErrorKind::Unsupported, "the bus suite's channel does not send"))
    }
}

/// Two hubs on one store, each with its own bus: A stores (and relays its log to its bus, when
/// the bus [needs a relay](ChangeBus::needs_relay)), B serves subscribers.
#[derive(Debug)]
pub struct FanOut {
    /// The hub that stores inbound messages and relays them to its bus.
    pub publisher: Hub,
    /// The hub whose subscribers hear of them through its bus.
    pub subscriber: Hub,
    account: ChannelAccount,
    events: AccountEvents,
    sequence: AtomicU64,
    background: Vec<Background>,
}

impl FanOut {
    /// Builds both hubs over `store` (a clone each, as two processes on one database), saves a
    /// LINE account of tenant `acme`, and starts both hubs' background work. Hub B reads the
    /// log every `safety_poll` besides following its bus.
    pub async fn new(
        store: Store,
        publisher_bus: Arc<dyn ChangeBus>,
        subscriber_bus: Arc<dyn ChangeBus>,
        safety_poll: Duration,
    ) -> Self {
        let tenant = fixtures::tenant("acme");
        let account = fixtures::line_account(&tenant);
        let relays = publisher_bus.needs_relay();
        let publisher = Hub::builder(store.clone())
            .channel(account.channel.clone(), Arc::new(PulledOnly::default()))
            .change_bus(publisher_bus)
            .build();
        let subscriber = Hub::builder(store).change_bus(subscriber_bus).bus_safety_poll(safety_poll).build();
        publisher.store().accounts.save_account(&account).await.unwrap_or_else(|e| panic!("save the account: {e}"));
        let background = vec![publisher.start_background(), subscriber.start_background()];
        // A bus the store feeds as it commits (PostgreSQL LISTEN/NOTIFY) needs no relay.
        assert_eq!(background[0].relays_to_bus(), relays, "hub A relays to its bus when the bus needs it");
        let events = AccountEvents::new(&account);
        FanOut { publisher, subscriber, account, events, sequence: AtomicU64::new(0), background }
    }

    /// The tenant of the suite (`acme`).
    pub fn tenant(&self) -> &TenantId {
        &self.account.tenant
    }

    /// An agent of the tenant.
    pub fn agent(&self) -> Actor {
        Actor::user(self.tenant().clone(), fixtures::user("ann"), Role::Agent)
    }

    /// Stores `count` new customer messages through hub A, as one pulled batch (one webhook
    /// delivery); each becomes one `message_added` change.
    pub async fn ingest(&self, count: usize) {
        let customer = fixtures::line_user();
        let batch: Vec<InboundEvent> = (0..count)
            .map(|_| {
                let n = self.sequence.fetch_add(1, Ordering::SeqCst);
                let text = format!("question number {n}");
                self.events.text(&format!("evt-{n}"), &customer, &format!("m-{n}"), &text, Timestamp::now()).event
            })
            .collect();
        let receipt = self
            .publisher
            .accept_pulled(&self.account.channel, batch)
            .await
            .unwrap_or_else(|e| panic!("hub A stores the batch: {e}"));
        assert_eq!(receipt.stored, count, "every event of the batch is new");
    }

    /// A subscription on hub B from `from`.
    pub async fn subscribe(&self, from: Option<Position>) -> Subscription {
        self.subscriber.subscribe(&self.agent(), from).await.unwrap_or_else(|e| panic!("subscribe on hub B: {e}"))
    }

    /// Stops both hubs' background work.
    pub async fn shutdown(mut self) {
        for background in self.background.drain(..) {
            background.shutdown().await;
        }
    }
}

/// The next `count` events of `subscription`, failing the test after [`DEADLINE`] without one.
pub async fn receive(subscription: &mut Subscription, count: usize) -> Vec<InboxEvent> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        match tokio::time::timeout(DEADLINE, subscription.next()).await {
            Ok(Some(Ok(event))) => events.push(event),
            Ok(Some(Err(error))) => panic!("the subscription failed after {} events: {error}", events.len()),
            Ok(None) => panic!("the subscription ended after {} events", events.len()),
            Err(_) => panic!("only {} of {count} events arrived within {DEADLINE:?}", events.len()),
        }
    }
    events
}

/// Asserts that nothing more arrives for a while (no duplicate, nothing extra).
pub async fn nothing_more(subscription: &mut Subscription) {
    if let Ok(extra) = tokio::time::timeout(Duration::from_millis(500), subscription.next()).await {
        panic!("an extra event arrived: {extra:?}");
    }
}

/// Asserts the events are new messages of one tenant, each once, in log order, after `after`.
pub fn assert_in_order_once(events: &[InboxEvent], tenant: &TenantId, after: Position) {
    let mut last = after;
    let mut messages = HashSet::new();
    for event in events {
        assert!(event.position > last, "positions go up: {} after {last}", event.position);
        last = event.position;
        assert_eq!(&event.change.tenant, tenant, "only the subscriber's tenant");
        assert_eq!(event.change.kind, ChangeKind::MessageAdded);
        let message = event.change.message.unwrap_or_else(|| panic!("a new message names it: {event:?}"));
        assert!(messages.insert(message), "message {message} handed over twice");
    }
}

/// Every message stored through hub A reaches a subscriber of hub B through the bus: in log
/// order, each once, batch after batch, without hub B's safety poll.
pub async fn every_event_reaches_a_subscriber_of_another_hub(
    store: Store,
    publisher_bus: Arc<dyn ChangeBus>,
    subscriber_bus: Arc<dyn ChangeBus>,
) {
    let fan = FanOut::new(store, publisher_bus, subscriber_bus, LONG_SAFETY_POLL).await;
    let mut subscription = fan.subscribe(None).await;
    let mut received = Vec::new();
    for batch in [1, 3, 5, 1, 10] {
        fan.ingest(batch).await;
        received.extend(receive(&mut subscription, batch).await);
    }
    assert_in_order_once(&received, fan.tenant(), Position::START);
    assert_eq!(received.len(), 20);
    nothing_more(&mut subscription).await;
    fan.shutdown().await;
}

/// A subscription on hub B resumes after a position it handled: it gets what followed from
/// the log, then what follows from the bus, each once.
pub async fn a_subscription_resumes_from_a_position(
    store: Store,
    publisher_bus: Arc<dyn ChangeBus>,
    subscriber_bus: Arc<dyn ChangeBus>,
) {
    let fan = FanOut::new(store, publisher_bus, subscriber_bus, LONG_SAFETY_POLL).await;
    fan.ingest(6).await;
    let mut first = fan.subscribe(Some(Position::START)).await;
    let all = receive(&mut first, 6).await;
    assert_in_order_once(&all, fan.tenant(), Position::START);
    drop(first);

    let resume_after = all[2].position;
    let mut resumed = fan.subscribe(Some(resume_after)).await;
    let replayed = receive(&mut resumed, 3).await;
    assert_eq!(replayed, all[3..].to_vec(), "the changes after the resume position, from the log");
    fan.ingest(4).await;
    let live = receive(&mut resumed, 4).await;
    assert_in_order_once(&live, fan.tenant(), all[5].position);
    nothing_more(&mut resumed).await;
    fan.shutdown().await;
}

/// A bus whose subscribers lose messages: of the events each subscription receives, the
/// second of every three (index 1, 4, 7, ...) never arrives. What the relay publishes is
/// stored as usual.
#[derive(Debug)]
pub struct LossyDelivery {
    inner: Arc<dyn ChangeBus>,
}

impl LossyDelivery {
    /// Loses messages on their way from `inner` to its subscribers.
    pub fn new(inner: Arc<dyn ChangeBus>) -> Self {
        LossyDelivery { inner }
    }
}

#[async_trait]
impl ChangeBus for LossyDelivery {
    async fn publish(&self, tenant: &TenantId, events: &[PublishedEvent]) -> Result<()> {
        self.inner.publish(tenant, events).await
    }
    async fn last_published(&self, tenant: &TenantId) -> Result<Option<Position>> {
        self.inner.last_published(tenant).await
    }
    async fn subscribe(&self, tenant: &TenantId) -> Result<BusStream> {
        let inner = self.inner.subscribe(tenant).await?;
        Ok(Box::pin(Losing { inner, events: 0 }))
    }
}

struct Losing {
    inner: BusStream,
    events: u64,
}

impl futures_core::Stream for Losing {
    type Item = Result<BusNotice>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        loop {
            let polled = futures_core::Stream::poll_next(self.inner.as_mut(), cx);
            if let std::task::Poll::Ready(Some(Ok(BusNotice::Event(_)))) = &polled {
                self.events += 1;
                if self.events % 3 == 2 {
                    continue;
                }
            }
            return polled;
        }
    }
}

/// Bus messages lost on the way to a subscriber are found in the log when the next one
/// arrives (its `previous` is not what the subscriber handled): every event still reaches the
/// subscriber of hub B, in order and once, without its safety poll.
pub async fn lost_messages_are_found_in_the_log(
    store: Store,
    publisher_bus: Arc<dyn ChangeBus>,
    subscriber_bus: Arc<dyn ChangeBus>,
) {
    let lossy: Arc<dyn ChangeBus> = Arc::new(LossyDelivery::new(subscriber_bus));
    let fan = FanOut::new(store, publisher_bus, lossy, LONG_SAFETY_POLL).await;
    let mut subscription = fan.subscribe(None).await;
    let mut received = Vec::new();
    // Three events a round, one at a time: the second is lost, the third shows the gap.
    for _ in 0..4 {
        for _ in 0..3 {
            fan.ingest(1).await;
        }
        received.extend(receive(&mut subscription, 3).await);
    }
    assert_in_order_once(&received, fan.tenant(), Position::START);
    nothing_more(&mut subscription).await;
    fan.shutdown().await;
}

/// A bus keeps tenants apart: a subscriber of one tenant never hears of another's events, and
/// [`last_published`](ChangeBus::last_published) is per tenant.
pub async fn tenants_are_kept_apart(bus: Arc<dyn ChangeBus>) {
    let acme = fixtures::tenant("acme.eu");
    let globex = fixtures::tenant("acme_eu");
    let mut globex_notices = bus.subscribe(&globex).await.unwrap_or_else(|e| panic!("subscribe: {e}"));
    let mut acme_notices = bus.subscribe(&acme).await.unwrap_or_else(|e| panic!("subscribe: {e}"));
    let event = |tenant: &TenantId, position: u64, previous: Option<u64>| PublishedEvent {
        event: InboxEvent {
            position: Position::new(position),
            change: Change::new(tenant.clone(), Timestamp::now(), ChangeKind::ConversationChanged).detail("status"),
        },
        previous: previous.map(Position::new),
    };
    let published = [event(&acme, 10, None), event(&acme, 12, Some(10))];
    bus.publish(&acme, &published).await.unwrap_or_else(|e| panic!("publish: {e}"));
    for expected in &published {
        let notice = next_notice(&mut acme_notices).await;
        assert_eq!(notice, BusNotice::Event(expected.clone()), "the tenant's events, in order");
    }
    assert_eq!(bus.last_published(&acme).await.ok().flatten(), Some(Position::new(12)));
    assert_eq!(bus.last_published(&globex).await.ok().flatten(), None, "nothing of the other tenant");
    let other = event(&globex, 11, None);
    bus.publish(&globex, std::slice::from_ref(&other)).await.unwrap_or_else(|e| panic!("publish: {e}"));
    assert_eq!(next_notice(&mut globex_notices).await, BusNotice::Event(other), "its own event only");
    assert_eq!(bus.last_published(&globex).await.ok().flatten(), Some(Position::new(11)));
}

async fn next_notice(notices: &mut BusStream) -> BusNotice {
    let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(notices.as_mut(), cx));
    match tokio::time::timeout(DEADLINE, next).await {
        Ok(Some(Ok(notice))) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}
