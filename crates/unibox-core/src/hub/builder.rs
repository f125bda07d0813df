use std::collections::HashMap;
use std::sync::Arc;

use crate::audit::{AuditSink, AuditTrail};
use crate::hub::{DEFAULT_MAX_BODY_BYTES, Hub, HubInner, routing::RouteCache};
use crate::store::Store;
use crate::{Channel, ChannelId, Clock, Policy, RolePolicy, SystemClock, TokenStore};

/// Configures a [`Hub`] around a [`Store`] bundle.
///
/// Every stored part comes from the store: inbox, tokens, audit trail, agent roster,
/// analytics and conversation control. Defaults for the rest: the built-in [`RolePolicy`], the system clock, a 1 MiB
/// webhook body limit, no usage metering ([`metered`](HubBuilder::metered) turns it on).
/// The `tokens`, `audit`, `roster` and `analytics` methods replace a part of the store by an
/// explicit choice.
#[derive(Debug)]
pub struct HubBuilder {
    store: Store,
    audit: Option<Arc<dyn AuditSink>>,
    policy: Option<Arc<dyn Policy>>,
    meter: Option<Arc<dyn crate::metering::UsageMeter>>,
    control: Option<Arc<dyn crate::ai::ConversationControlStore>>,
    credits: Option<(Option<Arc<dyn crate::metering::CreditLedger>>, crate::metering::CreditPolicy)>,
    clock: Option<Arc<dyn Clock>>,
    channels: HashMap<ChannelId, Arc<dyn Channel>>,
    max_body_bytes: usize,
    event_time: super::EventTimeBounds,
    delivery: crate::delivery::DeliveryOptions,
    bus: Option<Arc<dyn crate::changes::ChangeBus>>,
    bus_safety_poll: std::time::Duration,
}

impl HubBuilder {
    pub(crate) fn new(store: Store) -> Self {
        // The store's own, durable with a durable store: AI replies work on the obvious path.
        let control = store.conversation_control.clone();
        HubBuilder {
            store,
            audit: None,
            policy: None,
            meter: None,
            control,
            credits: None,
            clock: None,
            channels: HashMap::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            event_time: super::EventTimeBounds::default(),
            delivery: crate::delivery::DeliveryOptions::default(),
            bus: None,
            bus_safety_poll: super::subscribe::DEFAULT_BUS_SAFETY_POLL,
        }
    }

    /// Registers a channel under an id, which is also its webhook route. Registering the same
    /// id twice keeps the last one.
    pub fn channel(mut self, id: ChannelId, channel: Arc<dyn Channel>) -> Self {
        self.channels.insert(id, channel);
        self
    }

    /// Keeps platform tokens in `tokens` instead of the store's token store.
    pub fn tokens(mut self, tokens: Arc<dyn TokenStore>) -> Self {
        self.store.tokens = tokens;
        self
    }

    /// Who may do what.
    pub fn policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Sends the hub's audit records to `audit` instead of the store's audit trail (the
    /// store's token vault keeps auditing to the store's trail).
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Replaces the store's agent roster.
    pub fn roster(mut self, roster: Arc<dyn crate::workflow::AgentRoster>) -> Self {
        self.store.roster = roster;
        self
    }

    /// Counts usage for billing with the store's meter (messages in and out, LINE pushes,
    /// WhatsApp templates): the webhook path counts the customer messages it accepts, the send
    /// path the messages the platform accepted. Without it nothing is counted. A store without
    /// a meter ([`StoreCapabilities::metering`](crate::store::StoreCapabilities::metering)) counts
    /// nothing either.
    ///
    /// ```
    /// use unibox_core::{Hub, memory::MemoryStore};
    /// let hub = Hub::builder(MemoryStore::new()).metered().build();
    /// # drop(hub);
    /// ```
    pub fn metered(mut self) -> Self {
        self.meter = self.store.meter.clone();
        self
    }

    /// Counts usage with `meter` instead of the store's ([`metered`](HubBuilder::metered)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_core::{Hub, memory::{MemoryStore, MemoryUsageMeter}};
    /// let hub = Hub::builder(MemoryStore::new()).meter(Arc::new(MemoryUsageMeter::new())).build();
    /// # drop(hub);
    /// ```
    pub fn meter(mut self, meter: Arc<dyn crate::metering::UsageMeter>) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Records who holds each conversation, the bot or a person, in `control` instead of the
    /// store's own ([`Store::conversation_control`](crate::store::Store::conversation_control),
    /// which the hub uses by default: `unibox_store_sqlite::SqliteStore` keeps it durably in the
    /// same file, [`MemoryStore`](crate::memory::MemoryStore) in memory). A person's reply and an
    /// assignment take the conversation from the bot at once, and [`Hub::send_auto_reply`]
    /// refuses to answer a conversation a person holds. Needed for AI replies (`unibox-ai`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_core::{Hub, memory::{MemoryConversationControl, MemoryStore}};
    /// // The store's own control store comes with the bundle:
    /// assert!(Hub::builder(MemoryStore::new()).build().conversation_control().is_some());
    /// // An explicit one replaces it:
    /// let hub = Hub::builder(MemoryStore::new()).conversation_control(Arc::new(MemoryConversationControl::new())).build();
    /// assert!(hub.conversation_control().is_some());
    /// ```
    pub fn conversation_control(mut self, control: Arc<dyn crate::ai::ConversationControlStore>) -> Self {
        self.control = Some(control);
        self
    }

    /// Spends the store's message credits ([`Store::credits`](crate::store::Store::credits)) on
    /// sends, under `policy`: a send the balance cannot pay is refused with
    /// [`ErrorKind::CreditsExhausted`](crate::ErrorKind::CreditsExhausted) before anything is
    /// recorded (see [`CreditPolicy`](crate::metering::CreditPolicy)). A store that keeps no
    /// credits makes [`build`](HubBuilder::build) log an error and every send fail with
    /// `Configuration`, rather than send for free.
    ///
    /// ```
    /// use unibox_core::metering::{CreditPolicy, CreditTable, UsageMetric};
    /// use unibox_core::{Hub, memory::MemoryStore};
    /// let policy = CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1)).low_balance(100);
    /// let hub = Hub::builder(MemoryStore::new()).credits(policy).build();
    /// # drop(hub);
    /// ```
    pub fn credits(mut self, policy: crate::metering::CreditPolicy) -> Self {
        self.credits = Some((self.store.credits.clone(), policy));
        self
    }

    /// Spends credits from `ledger` instead of the store's ([`credits`](HubBuilder::credits)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_core::metering::CreditPolicy;
    /// use unibox_core::{Hub, memory::{MemoryCreditLedger, MemoryStore}};
    /// let hub = Hub::builder(MemoryStore::new()).credit_ledger(Arc::new(MemoryCreditLedger::new()), CreditPolicy::default()).build();
    /// # drop(hub);
    /// ```
    pub fn credit_ledger(
        mut self,
        ledger: Arc<dyn crate::metering::CreditLedger>,
        policy: crate::metering::CreditPolicy,
    ) -> Self {
        self.credits = Some((Some(ledger), policy));
        self
    }

    /// Replaces the store's analytics.
    pub fn analytics(mut self, analytics: Arc<dyn crate::analytics::Analytics>) -> Self {
        self.store.analytics = analytics;
        self
    }

    /// The clock (use a [`ManualClock`](crate::ManualClock) in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The largest webhook body accepted; larger ones get 413 before any hashing.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How far an event's own timestamp may be from its receipt before it is clamped
    /// ([`EventTimeBounds`](super::EventTimeBounds); 5 minutes ahead, 400 days behind by default).
    pub fn event_time_bounds(mut self, bounds: super::EventTimeBounds) -> Self {
        self.event_time = bounds;
        self
    }

    /// How sends are retried and leased ([`DeliveryOptions`](crate::delivery::DeliveryOptions)).
    pub fn delivery(mut self, options: crate::delivery::DeliveryOptions) -> Self {
        self.delivery = options;
        self
    }

    /// Fans the inbox's changes out through `bus` to every process serving subscribers (NATS
    /// JetStream with `unibox-bus-nats`). [`Hub::start_background`](crate::Hub::start_background)
    /// then runs a relay that publishes the change log of every tenant this hub changes;
    /// [`Hub::subscribe`](crate::Hub::subscribe) follows the bus and keeps the log as its safety
    /// net. Every process that changes the inbox should attach the bus and start its background
    /// work; a process that does not is still seen by the others, at their safety poll.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_core::{Hub, memory::{MemoryChangeBus, MemoryStore}};
    /// let hub = Hub::builder(MemoryStore::new()).change_bus(Arc::new(MemoryChangeBus::new())).build();
    /// assert!(hub.change_bus().is_some());
    /// ```
    pub fn change_bus(mut self, bus: Arc<dyn crate::changes::ChangeBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// How often a subscription following a live bus reads the change log all the same, the
    /// safety net for a bus message lost after the last one it received (5 seconds by default;
    /// at least 10 ms). Without a bus, or while it is down, subscriptions read the log every
    /// 200 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// use unibox_core::{Hub, memory::MemoryStore};
    /// let hub = Hub::builder(MemoryStore::new()).bus_safety_poll(Duration::from_secs(30)).build();
    /// # drop(hub);
    /// ```
    pub fn bus_safety_poll(mut self, every: std::time::Duration) -> Self {
        self.bus_safety_poll = every.max(std::time::Duration::from_millis(10));
        self
    }

    /// Builds the hub.
    pub fn build(self) -> Hub {
        let store = self.store;
        if !store.capabilities.durable {
            tracing::info!(target: "unibox::hub", "this hub's store is not durable: its state is lost on restart");
        }
        let trail: Option<Arc<AuditTrail>> = self.audit.is_none().then(|| store.audit.clone());
        let audit: Arc<dyn AuditSink> = self.audit.unwrap_or_else(|| store.audit.clone());
        if self.credits.as_ref().is_some_and(|(ledger, _)| ledger.is_none()) {
            tracing::error!(target: "unibox::hub", "credits are spent but the store keeps none: every send will fail");
        }
        Hub {
            inner: Arc::new(HubInner {
                policy: self.policy.unwrap_or_else(|| Arc::new(RolePolicy)),
                audit,
                audit_trail: trail,
                projection: Default::default(),
                meter: self.meter,
                control: self.control,
                control_locks: Default::default(),
                credits: self.credits.map(|(ledger, policy)| super::credits::CreditSpending { ledger, policy }),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                channels: self.channels,
                max_body_bytes: self.max_body_bytes,
                event_time: self.event_time,
                routes: RouteCache::default(),
                delivery: crate::delivery::DeliveryState::new(self.delivery),
                bus: self.bus,
                bus_safety_poll: self.bus_safety_poll,
                relay: Default::default(),
                store,
            }),
        }
    }
}
