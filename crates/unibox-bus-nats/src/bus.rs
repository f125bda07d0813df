//! [`NatsChangeBus`]: the [`ChangeBus`] port over NATS JetStream.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use async_nats::jetstream::{self, consumer, stream};
use async_trait::async_trait;
use tokio::sync::watch;
use unibox_core::changes::{BusNotice, BusStream, ChangeBus, Position, PublishedEvent};
use unibox_core::{Result, TenantId};

use crate::config::NatsBusConfig;
use crate::error::{misconfigured, unavailable};
use crate::subject::{message_id, tenant_subject};
use crate::wire;

/// How many events are sent before their acknowledgements are awaited.
const PUBLISH_CHUNK: usize = 128;

/// A [`ChangeBus`] on a NATS JetStream stream: what one hub process publishes, every process
/// subscribed to the tenant receives.
///
/// One stream holds every tenant's events, one subject per tenant, each event stored once by its
/// message id (`<tenant>:<position>`) within the duplicate window. A subscriber gets an ordered
/// consumer of its tenant's subject, from the events published after it subscribed: the
/// consumer is recreated after a reconnect from the last event it received, so a restart of the
/// server costs nothing but time. [`connect`](NatsChangeBus::connect) needs the server; after
/// that the client reconnects by itself for as long as the bus lives, and while it is away the
/// hub's relay keeps its changes in the log and subscribers read the log.
///
/// ```no_run
/// # async fn run() -> unibox_core::Result<()> {
/// use std::sync::Arc;
/// use unibox_bus_nats::{NatsBusConfig, NatsChangeBus};
/// use unibox_core::{Hub, memory::MemoryStore};
/// let bus = NatsChangeBus::connect(NatsBusConfig::new("nats://127.0.0.1:4222")?).await?;
/// let hub = Hub::builder(MemoryStore::new()).change_bus(Arc::new(bus)).build();
/// let background = hub.start_background(); // runs the relay that publishes to the bus
/// # background.shutdown().await;
/// # Ok(()) }
/// ```
pub struct NatsChangeBus {
    config: NatsBusConfig,
    jetstream: jetstream::Context,
    /// Whether the stream is known to exist; cleared by a failure, so the next call makes sure
    /// of it again (a server restarted without its store has lost it).
    stream_ready: AtomicBool,
    /// Whether the client is connected, as its events say: subscribers hear of a disconnection
    /// (and read the log often meanwhile) and of the reconnection (and read it once more).
    connected: watch::Receiver<bool>,
}

impl fmt::Debug for NatsChangeBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsChangeBus").field("config", &self.config).finish_non_exhaustive()
    }
}

impl NatsChangeBus {
    /// Connects to the servers of `config` and makes sure the stream exists (creating it with
    /// the configured limits if not; an existing one is used as it is). A temporary `Storage`
    /// error when no server answers, `Configuration` when NATS refuses the stream.
    pub async fn connect(config: NatsBusConfig) -> Result<Self> {
        const OP: &str = "nats.connect";
        let (connection, connected) = watch::channel(true);
        let connection = Arc::new(connection);
        let client = async_nats::ConnectOptions::new()
            .name(config.connection_name_value())
            .event_callback(move |event| {
                let connection = connection.clone();
                async move {
                    match event {
                        // Only a change is news (the first connection is not).
                        async_nats::Event::Connected => set(&connection, true),
                        async_nats::Event::Disconnected | async_nats::Event::Closed => set(&connection, false),
                        _ => {}
                    }
                }
            })
            // Reconnect for as long as the bus lives: the log covers the outage.
            .max_reconnects(None)
            .connect(config.url())
            .await
            // The kind only: the error's own text could repeat the address.
            .map_err(|error| unavailable(OP, error.kind()).with_context("url", config.redacted_url()))?;
        let bus = NatsChangeBus {
            jetstream: jetstream::new(client),
            config,
            stream_ready: AtomicBool::new(false),
            connected,
        };
        bus.ensure_stream().await?;
        tracing::info!(target: "unibox::bus", url = bus.config.redacted_url(), stream = bus.config.stream_name(), "connected to the NATS change bus");
        Ok(bus)
    }

    /// The configuration (its URL is shown without credentials).
    pub fn config(&self) -> &NatsBusConfig {
        &self.config
    }

    async fn ensure_stream(&self) -> Result<()> {
        const OP: &str = "nats.stream";
        if self.stream_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let config = stream::Config {
            name: self.config.stream_name().to_owned(),
            subjects: vec![format!("{}.>", self.config.prefix())],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            max_age: self.config.max_age_value(),
            duplicate_window: self.config.duplicate_window_value(),
            num_replicas: self.config.replicas_value(),
            ..Default::default()
        };
        self.jetstream.get_or_create_stream(config).await.map_err(|error| match error.kind() {
            stream_error @ (jetstream::context::CreateStreamErrorKind::JetStream(_)
            | jetstream::context::CreateStreamErrorKind::InvalidStreamName) => misconfigured(OP, stream_error),
            other => unavailable(OP, other),
        })?;
        self.stream_ready.store(true, Ordering::Release);
        Ok(())
    }

    /// The stream's handle (no request to the server).
    async fn stream(&self) -> Result<stream::Stream<()>> {
        self.ensure_stream().await?;
        self.jetstream
            .get_stream_no_info(self.config.stream_name())
            .await
            .map_err(|error| misconfigured("nats.stream", error))
    }

    fn subject(&self, tenant: &TenantId) -> String {
        tenant_subject(self.config.prefix(), tenant)
    }

    /// Passes `result` on; after a failure the next call checks the stream again.
    fn failed<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.stream_ready.store(false, Ordering::Release);
        }
        result
    }
}

#[async_trait]
impl ChangeBus for NatsChangeBus {
    async fn publish(&self, tenant: &TenantId, events: &[PublishedEvent]) -> Result<()> {
        const OP: &str = "nats.publish";
        self.ensure_stream().await?;
        let subject = self.subject(tenant);
        // Sent one after another on one connection, so the stream stores them in order; the
        // acknowledgements of a chunk are awaited after it, in order (a chunk stays well within
        // the client's 5,000 acknowledgements in flight, whoever else publishes).
        for chunk in events.chunks(PUBLISH_CHUNK) {
            let mut acks = Vec::with_capacity(chunk.len());
            for published in chunk {
                let payload = wire::encode(published)?;
                let publish = jetstream::message::PublishMessage::build()
                    .payload(payload)
                    .message_id(message_id(tenant, published.event.position));
                let sent = self.jetstream.send_publish(subject.clone(), publish).await;
                acks.push(self.failed(sent.map_err(|error| unavailable(OP, error.kind())))?);
            }
            for ack in acks {
                let acked = ack.await;
                self.failed(acked.map_err(|error| unavailable(OP, error.kind())))?;
            }
        }
        Ok(())
    }

    async fn last_published(&self, tenant: &TenantId) -> Result<Option<Position>> {
        const OP: &str = "nats.last_published";
        let stream = self.stream().await?;
        match stream.get_last_raw_message_by_subject(&self.subject(tenant)).await {
            Ok(message) => Ok(Some(wire::decode(&message.payload)?.event.position)),
            Err(error) if error.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(error) => self.failed(Err(unavailable(OP, error.kind()))),
        }
    }

    async fn subscribe(&self, tenant: &TenantId) -> Result<BusStream> {
        const OP: &str = "nats.subscribe";
        let stream = self.stream().await?;
        let config = consumer::push::OrderedConfig {
            deliver_subject: self.jetstream.client().new_inbox(),
            filter_subject: self.subject(tenant),
            deliver_policy: consumer::DeliverPolicy::New,
            ..Default::default()
        };
        let consumer = match stream.create_consumer(config).await {
            Ok(consumer) => consumer,
            Err(error) => return self.failed(Err(unavailable(OP, error.kind()))),
        };
        let messages = match consumer.messages().await {
            Ok(messages) => messages,
            Err(error) => return self.failed(Err(unavailable(OP, error.kind()))),
        };
        let connection = Some(next_state(self.connected.clone()));
        Ok(Box::pin(Notices { messages, tenant: tenant.clone(), connection }))
    }
}

/// Records the connection state, telling subscribers only when it changed.
fn set(connection: &watch::Sender<bool>, connected: bool) {
    connection.send_if_modified(|state| std::mem::replace(state, connected) != connected);
}

type StateChange = Pin<Box<dyn Future<Output = Option<(bool, watch::Receiver<bool>)>> + Send>>;

/// The next change of the connection state (`None` once the client is gone).
fn next_state(mut connected: watch::Receiver<bool>) -> StateChange {
    Box::pin(async move {
        connected.changed().await.ok()?;
        let now = *connected.borrow_and_update();
        Some((now, connected))
    })
}

/// A tenant's notices: the ordered consumer's messages, decoded, and the connection's ups and
/// downs: a disconnection is an `Err` (the subscriber reads the log often until the bus is
/// back), a reconnection a [`BusNotice::Wake`] (it reads the log once more).
struct Notices {
    messages: consumer::push::Ordered,
    tenant: TenantId,
    connection: Option<StateChange>,
}

impl futures_core::Stream for Notices {
    type Item = Result<BusNotice>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(change) = self.connection.as_mut()
            && let Poll::Ready(state) = change.as_mut().poll(cx)
        {
            self.connection = state.as_ref().map(|(_, receiver)| next_state(receiver.clone()));
            match state {
                Some((true, _)) => return Poll::Ready(Some(Ok(BusNotice::Wake))),
                Some((false, _)) => {
                    let error = unavailable("nats.subscribe", "disconnected; reconnecting");
                    return Poll::Ready(Some(Err(error)));
                }
                None => {}
            }
        }
        loop {
            let polled = futures_core::Stream::poll_next(Pin::new(&mut self.messages), cx);
            return match polled {
                Poll::Ready(Some(Ok(message))) => match wire::decode(&message.message.payload) {
                    // The subject is the tenant's; a payload naming another is not handed on.
                    Ok(published) if published.event.change.tenant != self.tenant => continue,
                    Ok(published) => Poll::Ready(Some(Ok(BusNotice::Event(published)))),
                    Err(error) => Poll::Ready(Some(Err(error.with_operation("nats.subscribe")))),
                },
                Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(unavailable("nats.subscribe", error.kind())))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}
