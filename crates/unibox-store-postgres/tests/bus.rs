//! The PostgreSQL `LISTEN`/`NOTIFY` change bus against the local PostgreSQL (a `TestDatabase`
//! each, skipped as the crate's other tests when PostgreSQL is not reachable).
//!
//! Two ways to feed it, each tested: the PostgreSQL store ([`PostgresStore`]) notifies in the
//! transaction that appends to its change log (the hub runs no relay), and, for another store (memory here), the
//! hub's relay publishes to a [`relayed`](PostgresChangeBus::relayed) bus.
//!
//! Which testkit `bus` suites apply to a bus that carries wake-ups, not events: the fan-out
//! suites (every event reaches another hub's subscriber, resuming from a position, lost
//! messages found in the log) build two hubs on one store and check what the subscriber
//! receives, whatever the bus carries, so they apply. On a wake-up bus the lost-messages suite
//! loses nothing (its lossy wrapper drops events, and a wake-up bus carries none): it still
//! checks that every event arrives once, in order. `tenants_are_kept_apart` does not apply: it
//! expects the published events back on the wire (`BusNotice::Event`) and `last_published` to
//! remember them; a notification keeps nothing. Its point, tenants kept apart, is checked below
//! on wake-ups.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use tokio_postgres::{Client, NoTls};
use unibox_core::changes::{BusNotice, BusStream, Change, ChangeBus, ChangeKind, InboxEvent, Position, PublishedEvent};
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::{ErrorKind, TenantId, Timestamp};
use unibox_store_postgres::testing::TestDatabase;
use unibox_store_postgres::{PostgresChangeBus, PostgresOptions, PostgresStore};
use unibox_testkit::bus::{self, FanOut, LONG_SAFETY_POLL};
use unibox_vault::{Keyring, StoreKeys};

/// A relayed bus on the test database (for a hub whose store is not PostgreSQL's).
async fn relayed(database: &TestDatabase) -> Arc<dyn ChangeBus> {
    Arc::new(PostgresChangeBus::connect(&database.app_options()).await.unwrap().relayed())
}

/// A bus the PostgreSQL store feeds as it commits.
async fn fed(database: &TestDatabase) -> Arc<dyn ChangeBus> {
    let bus = PostgresChangeBus::connect(&database.app_options()).await.unwrap();
    assert!(!bus.needs_relay());
    Arc::new(bus)
}

/// The PostgreSQL store's bundle on the test database: its ingest appends to the change log,
/// and notifies, in one transaction.
async fn postgres_log(database: &TestDatabase) -> Store {
    let keys = StoreKeys::try_from(Keyring::parse(&Keyring::generate_entry(1)).unwrap()).unwrap();
    PostgresStore::connect(&database.app_options(), keys).await.unwrap().into()
}

async fn next(notices: &mut BusStream, wait: Duration) -> Option<Option<unibox_core::Result<BusNotice>>> {
    let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(notices.as_mut(), cx));
    tokio::time::timeout(wait, next).await.ok()
}

async fn wake(notices: &mut BusStream) {
    let heard = next(notices, bus::DEADLINE).await;
    assert!(matches!(heard, Some(Some(Ok(BusNotice::Wake)))), "expected a wake-up, got {heard:?}");
}

async fn silence(notices: &mut BusStream, what: &str) {
    if let Some(heard) = next(notices, Duration::from_millis(500)).await {
        panic!("{what}: heard {heard:?}");
    }
}

fn events(tenant: &TenantId, positions: &[u64]) -> Vec<PublishedEvent> {
    positions
        .iter()
        .map(|&position| PublishedEvent {
            event: InboxEvent {
                position: Position::new(position),
                change: Change::new(tenant.clone(), Timestamp::now(), ChangeKind::MessageAdded),
            },
            previous: None,
        })
        .collect()
}

/// A superuser connection to the test server.
async fn admin(database: &TestDatabase) -> Client {
    let (client, connection) =
        database.admin_url().parse::<tokio_postgres::Config>().unwrap().connect(NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The backend ids of the buses' connections of the test's application role.
async fn bus_backends(admin: &Client, database: &TestDatabase) -> Vec<i32> {
    let rows = admin
        .query(
            "SELECT pid FROM pg_stat_activity WHERE usename = $1 AND application_name = $2 ORDER BY pid",
            &[&database.app_role(), &PostgresChangeBus::APPLICATION_NAME],
        )
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

/// Terminates the buses' connections (as a server restart or a network failure would end them)
/// and returns their backend ids.
async fn terminate_buses(admin: &Client, database: &TestDatabase) -> Vec<i32> {
    let backends = bus_backends(admin, database).await;
    assert!(!backends.is_empty(), "the buses are connected");
    for pid in &backends {
        let killed: bool = admin.query_one("SELECT pg_terminate_backend($1)", &[pid]).await.unwrap().get(0);
        assert!(killed, "backend {pid} terminated");
    }
    backends
}

/// Waits until `count` bus connections other than `gone` are up.
async fn reconnected(admin: &Client, database: &TestDatabase, gone: &[i32], count: usize) {
    let deadline = tokio::time::Instant::now() + bus::DEADLINE;
    loop {
        let now = bus_backends(admin, database).await;
        if now.len() == count && now.iter().all(|pid| !gone.contains(pid)) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the buses did not reconnect: {now:?} (gone: {gone:?})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_committed_in_postgres_reaches_a_subscriber_of_another_hub() {
    const TEST: &str = "bus_every_event_committed_in_postgres_reaches_a_subscriber_of_another_hub";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    bus::every_event_reaches_a_subscriber_of_another_hub(
        postgres_log(&database).await,
        fed(&database).await,
        fed(&database).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_resumes_from_a_position_in_postgres() {
    const TEST: &str = "bus_a_subscription_resumes_from_a_position_in_postgres";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    bus::a_subscription_resumes_from_a_position(
        postgres_log(&database).await,
        fed(&database).await,
        fed(&database).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_messages_are_found_in_the_postgres_log() {
    const TEST: &str = "bus_lost_messages_are_found_in_the_postgres_log";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    bus::lost_messages_are_found_in_the_log(postgres_log(&database).await, fed(&database).await, fed(&database).await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_change_committed_in_postgres_reaches_a_subscriber_of_another_hub() {
    const TEST: &str = "bus_a_workflow_change_committed_in_postgres_reaches_a_subscriber_of_another_hub";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    let fan =
        FanOut::new(postgres_log(&database).await, fed(&database).await, fed(&database).await, LONG_SAFETY_POLL).await;
    let mut subscription = fan.subscribe(None).await;
    fan.ingest(1).await;
    let added = bus::receive(&mut subscription, 1).await;
    let conversation = added[0].change.conversation.expect("a new message names its conversation");

    // Not ingest: the team workflow's own transaction notifies too.
    fan.publisher.add_tags(&fan.agent(), conversation, ["vip"]).await.unwrap();
    let changed = bus::receive(&mut subscription, 1).await;
    assert_eq!(changed[0].change.kind, ChangeKind::ConversationChanged);
    assert_eq!(changed[0].change.conversation, Some(conversation));
    assert!(changed[0].position > added[0].position);
    bus::nothing_more(&mut subscription).await;
    fan.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_a_subscriber_of_another_hub() {
    let Some(database) = TestDatabase::create("bus_every_event_reaches_a_subscriber_of_another_hub").await else {
        return;
    };
    bus::every_event_reaches_a_subscriber_of_another_hub(
        MemoryStore::new().into(),
        relayed(&database).await,
        relayed(&database).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_resumes_from_a_position() {
    let Some(database) = TestDatabase::create("bus_a_subscription_resumes_from_a_position").await else { return };
    bus::a_subscription_resumes_from_a_position(
        MemoryStore::new().into(),
        relayed(&database).await,
        relayed(&database).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_messages_are_found_in_the_log() {
    let Some(database) = TestDatabase::create("bus_lost_messages_are_found_in_the_log").await else { return };
    bus::lost_messages_are_found_in_the_log(
        MemoryStore::new().into(),
        relayed(&database).await,
        relayed(&database).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_kept_apart() {
    let Some(database) = TestDatabase::create("bus_tenants_are_kept_apart").await else { return };
    let publisher = relayed(&database).await;
    let listener = relayed(&database).await;
    // Names that differ by a character a pattern would match.
    let (acme, lookalike) = ("acme.eu".parse::<TenantId>().unwrap(), "acme_eu".parse::<TenantId>().unwrap());
    let mut acme_notices = listener.subscribe(&acme).await.unwrap();
    let mut lookalike_notices = listener.subscribe(&lookalike).await.unwrap();

    publisher.publish(&acme, &events(&acme, &[10, 12])).await.unwrap();
    wake(&mut acme_notices).await;
    silence(&mut lookalike_notices, "another tenant's change").await;
    silence(&mut acme_notices, "one batch, one wake-up").await;

    publisher.publish(&lookalike, &events(&lookalike, &[11])).await.unwrap();
    wake(&mut lookalike_notices).await;
    silence(&mut acme_notices, "another tenant's change").await;

    publisher.publish(&acme, &[]).await.unwrap();
    silence(&mut acme_notices, "nothing published").await;
    // A notification keeps nothing: the relay always starts from the log's latest change.
    assert_eq!(publisher.last_published(&acme).await.unwrap(), None);
    assert!(publisher.needs_relay());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_an_error_then_a_wake_up_and_the_bus_listens_again() {
    const TEST: &str = "bus_a_dropped_connection_is_an_error_then_a_wake_up_and_the_bus_listens_again";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    let admin = admin(&database).await;
    let bus = relayed(&database).await;
    let acme: TenantId = "acme".parse().unwrap();
    let mut notices = bus.subscribe(&acme).await.unwrap();

    let gone = terminate_buses(&admin, &database).await;
    assert_eq!(gone.len(), 1);
    let heard = next(&mut notices, bus::DEADLINE).await;
    let error = match heard {
        Some(Some(Err(error))) => error,
        other => panic!("expected the loss as an error, got {other:?}"),
    };
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(error.is_temporary(), "the bus reconnects: {error}");
    // Back: a wake-up, to read what committed while nobody listened.
    wake(&mut notices).await;
    reconnected(&admin, &database, &gone, 1).await;

    // And it listens: a later notification arrives as before.
    bus.publish(&acme, &events(&acme, &[1])).await.unwrap();
    wake(&mut notices).await;
    silence(&mut notices, "nothing else").await;
}

/// Two hubs on `store` with the buses of `database`: the buses' connections are terminated
/// mid-stream, and every event still reaches hub B's subscriber once, in order; after the
/// buses are back, through them (hub B's safety poll is an hour).
async fn nothing_lost_or_duplicated_across_dropped_connections(
    database: &TestDatabase,
    store: Store,
    publisher_bus: Arc<dyn ChangeBus>,
    subscriber_bus: Arc<dyn ChangeBus>,
) {
    let admin = admin(database).await;
    let fan = FanOut::new(store, publisher_bus, subscriber_bus, LONG_SAFETY_POLL).await;
    let mut subscription = fan.subscribe(None).await;
    let mut received = Vec::new();

    fan.ingest(5).await;
    received.extend(bus::receive(&mut subscription, 5).await);

    // Both hubs' connections dropped mid-stream; hub A goes on storing meanwhile.
    let gone = terminate_buses(&admin, database).await;
    assert_eq!(gone.len(), 2, "one connection per bus");
    fan.ingest(3).await;
    received.extend(bus::receive(&mut subscription, 3).await);
    reconnected(&admin, database, &gone, 2).await;

    // After it, as before.
    for batch in [4, 1, 2] {
        fan.ingest(batch).await;
        received.extend(bus::receive(&mut subscription, batch).await);
    }
    bus::assert_in_order_once(&received, fan.tenant(), Position::START);
    assert_eq!(received.len(), 15);
    bus::nothing_more(&mut subscription).await;
    fan.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_committed_in_postgres_is_lost_or_duplicated_across_dropped_connections() {
    const TEST: &str = "bus_nothing_committed_in_postgres_is_lost_or_duplicated_across_dropped_connections";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    let store = postgres_log(&database).await;
    let (a, b) = (fed(&database).await, fed(&database).await);
    nothing_lost_or_duplicated_across_dropped_connections(&database, store, a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_relayed_is_lost_or_duplicated_across_dropped_connections() {
    const TEST: &str = "bus_nothing_relayed_is_lost_or_duplicated_across_dropped_connections";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    let (a, b) = (relayed(&database).await, relayed(&database).await);
    nothing_lost_or_duplicated_across_dropped_connections(&database, MemoryStore::new().into(), a, b).await;
}

/// A TCP proxy to the test server whose connections can be frozen: bytes stop flowing both
/// ways and the sockets stay open, as in a network partition. Connections made later flow.
struct Proxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    /// Connections accepted before this number are frozen.
    frozen_below: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(host: String, port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            accepted: Arc::new(AtomicUsize::new(0)),
            frozen_below: Arc::new(AtomicUsize::new(0)),
        };
        let (accepted, frozen_below) = (proxy.accepted.clone(), proxy.frozen_below.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let index = accepted.fetch_add(1, Ordering::SeqCst);
                let outbound = TcpStream::connect((host.as_str(), port)).await.unwrap();
                let (inbound_read, inbound_write) = inbound.into_split();
                let (outbound_read, outbound_write) = outbound.into_split();
                tokio::spawn(pipe(inbound_read, outbound_write, index, frozen_below.clone()));
                tokio::spawn(pipe(outbound_read, inbound_write, index, frozen_below.clone()));
            }
        });
        proxy
    }

    /// Freezes every connection made so far.
    fn freeze(&self) {
        self.frozen_below.store(self.accepted.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, index: usize, frozen_below: Arc<AtomicUsize>) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if index < frozen_below.load(Ordering::SeqCst) {
            // Frozen: hold the bytes and the sockets, answer nothing.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_found_by_its_heartbeat_and_replaced() {
    const TEST: &str = "bus_a_silent_connection_is_found_by_its_heartbeat_and_replaced";
    let Some(database) = TestDatabase::create(TEST).await else { return };
    let direct: tokio_postgres::Config = database.app_url().parse().unwrap();
    let host = match &direct.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => {
            eprintln!("skipped: {TEST}: the test server is on a Unix socket, the proxy speaks TCP");
            return;
        }
    };
    let server_port = direct.get_ports()[0];
    let proxy = Proxy::start(host, server_port).await;
    // Plain, so that each bus connection is one proxied TCP connection: with the default
    // sslmode=prefer, a server whose certificate does not verify costs a failed TLS attempt first.
    let through_proxy = format!(
        "{} sslmode=disable",
        database.app_url().replace(&format!("port={server_port}"), &format!("port={}", proxy.port))
    );
    let options = PostgresOptions::new(&through_proxy).unwrap();
    let bus = PostgresChangeBus::connect(&options).await.unwrap().relayed().heartbeat(Duration::from_millis(300));
    let acme: TenantId = "acme".parse().unwrap();
    let mut notices = bus.subscribe(&acme).await.unwrap();
    bus.publish(&acme, &events(&acme, &[1])).await.unwrap();
    wake(&mut notices).await;

    // Nothing flows any more, and nothing says so but the heartbeat going unanswered.
    proxy.freeze();
    let heard = next(&mut notices, bus::DEADLINE).await;
    assert!(matches!(heard, Some(Some(Err(ref error))) if error.is_temporary()), "the loss, found: {heard:?}");
    wake(&mut notices).await;
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 2, "a new connection replaced the silent one");
    bus.publish(&acme, &events(&acme, &[2])).await.unwrap();
    wake(&mut notices).await;
    silence(&mut notices, "nothing else").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_bus_ends_its_streams() {
    let Some(database) = TestDatabase::create("bus_dropping_the_bus_ends_its_streams").await else { return };
    let bus = PostgresChangeBus::connect(&database.app_options()).await.unwrap();
    let mut notices = bus.subscribe(&"acme".parse().unwrap()).await.unwrap();
    drop(bus);
    assert!(matches!(next(&mut notices, bus::DEADLINE).await, Some(None)), "the stream ended");
}

#[tokio::test]
async fn no_server_is_a_temporary_error_without_credentials() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = PostgresOptions::new(&format!("postgres://ann:hunter22@127.0.0.1:{port}/inbox")).unwrap();
    let error = PostgresChangeBus::connect(&options).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(error.is_temporary(), "the server may come back: {error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter22"), "{shown}");
}

#[tokio::test]
async fn debug_shows_the_target_and_channel_but_no_password() {
    let Some(database) = TestDatabase::create("bus_debug_shows_the_target_and_channel_but_no_password").await else {
        return;
    };
    // The test server trusts local connections: the password is sent and ignored.
    let options = PostgresOptions::new(&format!("{} password=hunter22", database.app_url())).unwrap();
    let bus = PostgresChangeBus::connect(&options).await.unwrap();
    let shown = format!("{bus:?} {bus:#?}");
    assert!(shown.contains(database.app_role()) && shown.contains(bus.channel()), "{shown}");
    assert!(!shown.contains("hunter22"), "{shown}");
    assert!(bus.channel().starts_with("unibox_changes_") && bus.channel().len() <= 63, "{}", bus.channel());
    assert!(!bus.needs_relay(), "the PostgreSQL store feeds it as it commits");
}
