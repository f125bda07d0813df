//! The bus's one connection: opened and listening ([`listen`]), watched, and opened again after
//! it drops, for as long as the bus lives ([`supervise`]).

use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, Config, Connection, Socket};

use crate::bus::subscribers::Subscribers;
use crate::error::PgResultExt;
use crate::migrations::quote;
use crate::tls::{self, Tls, TlsStream};

/// The first wait before connecting again after a failed attempt, or after a connection that
/// dropped soon after it was made; it doubles up to [`MAX_RETRY`] while that goes on. After a
/// connection that lasted [`MAX_RETRY`] the first attempt is immediate.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);
/// How long the connection may stay silent before the bus checks that it still answers, by
/// default: a connection lost without a word (a network partition) is found within about twice
/// this.
pub(crate) const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// The shortest heartbeat, and the longest the watch waits before it looks at the heartbeat
/// again (it may change while the bus runs).
pub(crate) const MIN_HEARTBEAT: Duration = Duration::from_millis(100);
const WATCH_SLICE: Duration = Duration::from_secs(1);

/// What the bus and its supervisor share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) subscribers: Arc<Subscribers>,
    /// The listening connection's client while it is up (publishing notifies through it).
    client: Mutex<Option<Arc<Client>>>,
    /// The channel listened on.
    pub(crate) channel: String,
    /// The heartbeat, in milliseconds.
    heartbeat: AtomicU64,
}

impl Shared {
    pub(crate) fn new(subscribers: Arc<Subscribers>, channel: String, client: Arc<Client>) -> Self {
        let heartbeat = AtomicU64::new(millis(DEFAULT_HEARTBEAT));
        Shared { subscribers, client: Mutex::new(Some(client)), channel, heartbeat }
    }

    pub(crate) fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat.load(Ordering::Relaxed))
    }

    pub(crate) fn set_heartbeat(&self, every: Duration) {
        self.heartbeat.store(millis(every.max(MIN_HEARTBEAT)), Ordering::Relaxed);
    }

    /// The listening connection's client, if it is up.
    pub(crate) fn client(&self) -> Option<Arc<Client>> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn set_client(&self, client: Option<Arc<Client>>) {
        *self.client.lock().unwrap_or_else(PoisonError::into_inner) = client;
    }
}

/// A connection listening on the channel, and the task that reads its notifications.
#[derive(Debug)]
pub(crate) struct Listening {
    pub(crate) client: Arc<Client>,
    driver: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Connects with `config`, starts handing notifications to `subscribers`, and listens on
/// `channel` (or, when `None`, on the channel of the connection's schema). Returns the
/// connection and the channel.
pub(crate) async fn listen(
    config: &Config,
    tls: &Tls,
    channel: Option<&str>,
    subscribers: &Arc<Subscribers>,
    operation: &'static str,
) -> unibox_core::Result<(Listening, String)> {
    let (client, connection) = tls::connect(config, tls).await.during(operation)?;
    let driver = tokio::spawn(drive(connection, subscribers.clone()));
    let listening = Listening { client: Arc::new(client), driver };
    let channel = match channel {
        Some(channel) => channel.to_owned(),
        None => super::channel::channel_name(&listening.client, operation).await?,
    };
    listening.client.batch_execute(&format!("LISTEN {}", quote(&channel))).await.during(operation)?;
    Ok((listening, channel))
}

/// Reads the connection's messages until it ends, waking the subscribers of each
/// notification's tenant. The connection listens on one channel only, so every notification
/// on it is the store's.
async fn drive(mut connection: Connection<Socket, TlsStream>, subscribers: Arc<Subscribers>) {
    loop {
        match poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(notification))) => subscribers.changed(notification.payload()),
            // A server notice: nothing for subscribers.
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                // Only whether it closed: a server error's text can quote row data.
                tracing::debug!(target: "unibox::bus", closed = error.is_closed(), "the PostgreSQL change bus connection ended with an error");
                return;
            }
            None => return,
        }
    }
}

/// Watches the listening connection and opens another each time it drops, for as long as the
/// bus lives (the bus aborts this task when dropped). Subscribers hear of each loss (an `Err`)
/// and each return (a wake-up, to read what committed while nobody listened).
pub(crate) async fn supervise(config: Config, tls: Tls, first: Listening, shared: Arc<Shared>) {
    const OP: &str = "postgres.bus.reconnect";
    let mut current = Some(first);
    let mut retry = FIRST_RETRY;
    let mut warned = false;
    loop {
        let mut listening = match current.take() {
            Some(listening) => listening,
            None => match listen(&config, &tls, Some(&shared.channel), &shared.subscribers, OP).await {
                Ok((listening, _)) => {
                    shared.set_client(Some(listening.client.clone()));
                    shared.subscribers.up();
                    tracing::info!(target: "unibox::bus", "the PostgreSQL change bus is listening again");
                    warned = false;
                    listening
                }
                Err(error) => {
                    // Said once per outage, not once per attempt.
                    if !warned {
                        tracing::warn!(target: "unibox::bus", %error, "the PostgreSQL change bus cannot reconnect yet; subscribers read the log meanwhile");
                    }
                    warned = true;
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(MAX_RETRY);
                    continue;
                }
            },
        };
        let since = Instant::now();
        until_lost(&mut listening, &shared).await;
        shared.set_client(None);
        shared.subscribers.down();
        drop(listening);
        tracing::warn!(target: "unibox::bus", "the PostgreSQL change bus lost its connection; reconnecting");
        if since.elapsed() < MAX_RETRY {
            // Lost as soon as made: do not hammer a server that keeps dropping it.
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        } else {
            retry = FIRST_RETRY;
        }
    }
}

/// Returns once the connection is lost: its reader ended, or it did not answer the check made
/// every heartbeat within a heartbeat.
async fn until_lost(listening: &mut Listening, shared: &Shared) {
    let mut checked = Instant::now();
    loop {
        let heartbeat = shared.heartbeat();
        let slice = WATCH_SLICE.min(heartbeat);
        if tokio::time::timeout(slice, &mut listening.driver).await.is_ok() {
            return;
        }
        if checked.elapsed() < heartbeat {
            continue;
        }
        let answered = tokio::time::timeout(heartbeat, listening.client.batch_execute("SELECT 1")).await;
        if !matches!(answered, Ok(Ok(()))) {
            tracing::debug!(target: "unibox::bus", "the PostgreSQL change bus connection did not answer its heartbeat");
            return;
        }
        checked = Instant::now();
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
