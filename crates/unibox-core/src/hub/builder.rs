use std::collections::HashMap;
use std::sync::Arc;

use crate::audit::{AuditSink, TracingAuditSink};
use crate::hub::{DEFAULT_MAX_BODY_BYTES, Hub, HubInner, routing::RouteCache};
use crate::memory::MemoryTokenStore;
use crate::{Channel, ChannelId, Clock, Inbox, Policy, RolePolicy, SystemClock, TokenStore};

/// Configures a [`Hub`].
///
/// Defaults: tokens in memory ([`MemoryTokenStore`]), the built-in [`RolePolicy`], audit records
/// to `tracing` ([`TracingAuditSink`]), the system clock, and a 1 MiB webhook body limit; the
/// agent roster and analytics in memory.
#[derive(Debug)]
pub struct HubBuilder {
    inbox: Arc<dyn Inbox>,
    tokens: Option<Arc<dyn TokenStore>>,
    policy: Option<Arc<dyn Policy>>,
    audit: Option<Arc<dyn AuditSink>>,
    roster: Option<Arc<dyn crate::workflow::AgentRoster>>,
    analytics: Option<Arc<dyn crate::analytics::Analytics>>,
    meter: Option<Arc<dyn crate::metering::UsageMeter>>,
    clock: Option<Arc<dyn Clock>>,
    channels: HashMap<ChannelId, Arc<dyn Channel>>,
    max_body_bytes: usize,
    event_time: super::EventTimeBounds,
    delivery: crate::delivery::DeliveryOptions,
}

impl HubBuilder {
    pub(crate) fn new(inbox: Arc<dyn Inbox>) -> Self {
        HubBuilder {
            inbox,
            tokens: None,
            policy: None,
            audit: None,
            roster: None,
            analytics: None,
            meter: None,
            clock: None,
            channels: HashMap::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            event_time: super::EventTimeBounds::default(),
            delivery: crate::delivery::DeliveryOptions::default(),
        }
    }

    /// Registers a channel under an id, which is also its webhook route. Registering the same
    /// id twice keeps the last one.
    pub fn channel(mut self, id: ChannelId, channel: Arc<dyn Channel>) -> Self {
        self.channels.insert(id, channel);
        self
    }

    /// Where platform tokens are kept.
    pub fn tokens(mut self, tokens: Arc<dyn TokenStore>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Who may do what.
    pub fn policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Where audit records go.
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// The agent roster automatic assignment chooses from (default: in memory).
    pub fn roster(mut self, roster: Arc<dyn crate::workflow::AgentRoster>) -> Self {
        self.roster = Some(roster);
        self
    }

    /// Counts usage for billing (messages in and out, LINE pushes, WhatsApp templates): the
    /// webhook path counts the customer messages it accepts, the send path the messages the
    /// platform accepted. Default: no metering. A `SqliteInbox` is also a
    /// [`UsageMeter`](crate::metering::UsageMeter).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_core::{Hub, memory::{MemoryInbox, MemoryUsageMeter}};
    /// let hub = Hub::builder(Arc::new(MemoryInbox::new())).meter(Arc::new(MemoryUsageMeter::new())).build();
    /// ```
    pub fn meter(mut self, meter: Arc<dyn crate::metering::UsageMeter>) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Where analytics is kept (default: in memory, lost on restart; a SQLite inbox is also a
    /// durable `Analytics`).
    pub fn analytics(mut self, analytics: Arc<dyn crate::analytics::Analytics>) -> Self {
        self.analytics = Some(analytics);
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

    /// Builds the hub.
    pub fn build(self) -> Hub {
        Hub {
            inner: Arc::new(HubInner {
                inbox: self.inbox,
                tokens: self.tokens.unwrap_or_else(|| Arc::new(MemoryTokenStore::new())),
                policy: self.policy.unwrap_or_else(|| Arc::new(RolePolicy)),
                audit: self.audit.unwrap_or_else(|| Arc::new(TracingAuditSink)),
                roster: self.roster.unwrap_or_else(|| Arc::new(crate::memory::MemoryAgentRoster::new())),
                analytics: self.analytics.unwrap_or_else(|| Arc::new(crate::memory::MemoryAnalytics::new())),
                projection: Default::default(),
                meter: self.meter,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                channels: self.channels,
                max_body_bytes: self.max_body_bytes,
                event_time: self.event_time,
                routes: RouteCache::default(),
                delivery: crate::delivery::DeliveryState::new(self.delivery),
            }),
        }
    }
}
