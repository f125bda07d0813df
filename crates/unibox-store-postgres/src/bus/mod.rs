//! [`PostgresChangeBus`]: the [`ChangeBus`] port over PostgreSQL `LISTEN`/`NOTIFY`, the
//! dependency-free alternative to a NATS bus for deployments on PostgreSQL.

mod channel;
mod listener;
mod subscribers;
#[cfg(all(test, feature = "testing"))]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use unibox_core::changes::{BusStream, ChangeBus, Position, PublishedEvent};
use unibox_core::{Error, ErrorKind, Result, TenantId};

pub(crate) use channel::NOTIFY_TENANT_SQL;
#[cfg(test)]
pub(crate) use channel::notify_in;

use crate::error::PgResultExt;
use crate::options::{PostgresOptions, Target};
use listener::{Shared, listen, supervise};
use subscribers::Subscribers;

/// A [`ChangeBus`] on PostgreSQL `LISTEN`/`NOTIFY`: every process of the deployment hears,
/// within milliseconds, that a tenant's change log changed, and its subscribers read the log.
///
/// It carries no events, only wake-ups ([`BusNotice::Wake`](unibox_core::changes::BusNotice::Wake)):
/// the PostgreSQL store notifies from the very transaction that appends to its change log, so
/// a notification is sent exactly when the change commits, and never for a transaction that
/// rolls back. The hub then needs no relay ([`needs_relay`](ChangeBus::needs_relay) is `false`),
/// and nothing is published twice.
///
/// Each bus holds one connection of its own (outside the store's pool) that `LISTEN`s on the
/// store's channel: one channel per schema, whose notifications name the tenant that changed;
/// each is handed to that tenant's subscribers only. A wake-up not yet read absorbs the next
/// ones, so a slow subscriber holds no backlog. When the connection drops (or stops answering
/// its [heartbeat](Self::heartbeat)), every subscriber's stream yields a temporary `Err` (the
/// hub reads the log often meanwhile), the bus connects again at once and then with growing
/// waits, and once it listens again every subscriber gets a wake-up, to read what committed
/// while nobody listened: the log is the safety net, nothing is lost. Dropping the bus ends
/// its subscribers' streams.
///
/// The connection shows in `pg_stat_activity` as [`APPLICATION_NAME`](Self::APPLICATION_NAME).
///
/// ```no_run
/// # async fn run() -> unibox_core::Result<()> {
/// use std::sync::Arc;
/// use unibox_core::Hub;
/// use unibox_store_postgres::{PostgresChangeBus, PostgresOptions, PostgresStore};
/// use unibox_vault::StoreKeys;
/// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?;
/// let store = PostgresStore::connect(&options, StoreKeys::from_env("UNIBOX_VAULT_KEYS")?).await?;
/// // The store's own options: the same database and schema, so the same channel.
/// let bus = PostgresChangeBus::connect(&options).await?;
/// let hub = Hub::builder(store).change_bus(Arc::new(bus)).build();
/// let background = hub.start_background(); // no relay: the store notifies as it commits
/// assert!(!background.relays_to_bus());
/// # Ok(()) }
/// ```
pub struct PostgresChangeBus {
    shared: Arc<Shared>,
    supervisor: JoinHandle<()>,
    /// Whether the hub's relay publishes to this bus (a store other than PostgreSQL's).
    relayed: bool,
    target: String,
}

impl fmt::Debug for PostgresChangeBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresChangeBus")
            .field("target", &self.target)
            .field("channel", &self.shared.channel)
            .field("relayed", &self.relayed)
            .finish_non_exhaustive()
    }
}

impl PostgresChangeBus {
    /// The `application_name` of the bus's connection, as `pg_stat_activity` shows it.
    pub const APPLICATION_NAME: &'static str = "unibox-change-bus";

    /// Connects as the application role of `options` (give it the store's options: the channel
    /// is named after the connection's schema) and listens on the store's channel, keeping the
    /// connection up for as long as the bus lives.
    ///
    /// A temporary [`Storage`](ErrorKind::Storage) error when PostgreSQL cannot be reached; a
    /// [`Configuration`](ErrorKind::Configuration) error when the search path names no schema.
    /// Must be called within a tokio runtime, which runs the connection's tasks.
    pub async fn connect(options: &PostgresOptions) -> Result<Self> {
        const OP: &str = "postgres.bus.connect";
        let mut config = options.app.clone();
        config.connect_timeout(options.connect_timeout).application_name(Self::APPLICATION_NAME);
        let subscribers = Arc::new(Subscribers::default());
        let tls = options.tls()?;
        let (listening, channel) = listen(&config, &tls, None, &subscribers, OP).await?;
        subscribers.up();
        let shared = Arc::new(Shared::new(subscribers, channel, listening.client.clone()));
        let supervisor = tokio::spawn(supervise(config, tls, listening, shared.clone()));
        let target = format!("{:?}", Target(&options.app));
        tracing::info!(target: "unibox::bus", channel = shared.channel, "listening on the PostgreSQL change bus");
        Ok(PostgresChangeBus { shared, supervisor, relayed: false, target })
    }

    /// For a hub whose store is not this database's PostgreSQL store (which notifies as it
    /// commits): the hub's relay then publishes each tenant's changes to the bus
    /// ([`needs_relay`](ChangeBus::needs_relay) is `true`), one notification per batch. Use it
    /// when the database is only the bus.
    ///
    /// ```no_run
    /// # async fn run() -> unibox_core::Result<()> {
    /// use unibox_core::changes::ChangeBus;
    /// use unibox_store_postgres::{PostgresChangeBus, PostgresOptions};
    /// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?;
    /// let bus = PostgresChangeBus::connect(&options).await?.relayed();
    /// assert!(bus.needs_relay());
    /// # Ok(()) }
    /// ```
    pub fn relayed(mut self) -> Self {
        self.relayed = true;
        self
    }

    /// How long the bus's connection may stay silent before the bus checks that it still
    /// answers (15 seconds by default, at least 100 ms). A connection lost without a word (a
    /// network partition, a server gone without closing it) is found within about twice this;
    /// one the server closes is found at once.
    ///
    /// ```no_run
    /// # async fn run() -> unibox_core::Result<()> {
    /// use std::time::Duration;
    /// use unibox_store_postgres::{PostgresChangeBus, PostgresOptions};
    /// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?;
    /// let bus = PostgresChangeBus::connect(&options).await?.heartbeat(Duration::from_secs(5));
    /// # drop(bus);
    /// # Ok(()) }
    /// ```
    pub fn heartbeat(self, every: Duration) -> Self {
        self.shared.set_heartbeat(every);
        self
    }

    /// The channel the bus listens on (`unibox_changes_` and a hash of the schema's name).
    pub fn channel(&self) -> &str {
        &self.shared.channel
    }
}

impl Drop for PostgresChangeBus {
    fn drop(&mut self) {
        self.supervisor.abort();
        self.shared.set_client(None);
        self.shared.subscribers.close();
    }
}

#[async_trait]
impl ChangeBus for PostgresChangeBus {
    /// Notifies the tenant's listeners once for all of `events` (nothing when there are none).
    /// The store notifies by itself as it commits; this is for the hub's relay of a
    /// [`relayed`](PostgresChangeBus::relayed) bus. A temporary `Storage` error while the bus
    /// reconnects.
    async fn publish(&self, tenant: &TenantId, events: &[PublishedEvent]) -> Result<()> {
        const OP: &str = "postgres.bus.publish";
        if events.is_empty() {
            return Ok(());
        }
        let Some(client) = self.shared.client() else {
            return Err(Error::new(ErrorKind::Storage, "the PostgreSQL change bus is reconnecting; try again")
                .with_operation(OP)
                .temporary());
        };
        client.execute("SELECT pg_notify($1, $2)", &[&self.shared.channel, &tenant.as_str()]).await.during(OP)?;
        Ok(())
    }

    /// Always `None`: a notification is not kept, so the bus holds no event. A relay then
    /// publishes the tenant's latest change alone, and subscribers read the log up to it.
    async fn last_published(&self, _tenant: &TenantId) -> Result<Option<Position>> {
        Ok(None)
    }

    async fn subscribe(&self, tenant: &TenantId) -> Result<BusStream> {
        Ok(Box::pin(self.shared.subscribers.subscribe(tenant)))
    }

    /// `false` unless [`relayed`](PostgresChangeBus::relayed): the PostgreSQL store notifies in
    /// the transaction that appends to its change log.
    fn needs_relay(&self) -> bool {
        self.relayed
    }
}
