//! Fan-out over a real NATS JetStream server of each test's own: two hubs on one store, each
//! with its own NATS connection, pass the bus suites; a server restart mid-stream loses and
//! duplicates nothing.

mod common;

use common::NatsServer;
use unibox_core::changes::Position;
use unibox_core::memory::MemoryStore;
use unibox_testkit::bus::{self, FanOut, LONG_SAFETY_POLL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_a_subscriber_of_another_hub() {
    let Some(server) = NatsServer::start("every_event_reaches_a_subscriber_of_another_hub") else { return };
    bus::every_event_reaches_a_subscriber_of_another_hub(
        MemoryStore::new().into(),
        server.bus().await,
        server.bus().await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_stored_in_sqlite_reaches_a_subscriber_of_another_hub() {
    let Some(server) = NatsServer::start("every_event_stored_in_sqlite_reaches_a_subscriber_of_another_hub") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keys = unibox_vault::StoreKeys::try_from(
        unibox_vault::Keyring::parse(&unibox_vault::Keyring::generate_entry(1)).unwrap(),
    )
    .unwrap();
    let store = unibox_store_sqlite::SqliteStore::open(dir.path().join("inbox.db"), keys).await.unwrap();
    bus::every_event_reaches_a_subscriber_of_another_hub(store.into(), server.bus().await, server.bus().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_resumes_from_a_position() {
    let Some(server) = NatsServer::start("a_subscription_resumes_from_a_position") else { return };
    bus::a_subscription_resumes_from_a_position(MemoryStore::new().into(), server.bus().await, server.bus().await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_messages_are_found_in_the_log() {
    let Some(server) = NatsServer::start("lost_messages_are_found_in_the_log") else { return };
    bus::lost_messages_are_found_in_the_log(MemoryStore::new().into(), server.bus().await, server.bus().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_kept_apart() {
    let Some(server) = NatsServer::start("tenants_are_kept_apart") else { return };
    bus::tenants_are_kept_apart(server.bus().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_duplicated_across_a_server_restart() {
    let Some(mut server) = NatsServer::start("nothing_is_lost_or_duplicated_across_a_server_restart") else { return };
    let fan = FanOut::new(MemoryStore::new().into(), server.bus().await, server.bus().await, LONG_SAFETY_POLL).await;
    let mut subscription = fan.subscribe(None).await;
    let mut received = Vec::new();

    fan.ingest(5).await;
    received.extend(bus::receive(&mut subscription, 5).await);

    // Down mid-stream: hub A keeps storing (the relay's publishes fail and wait in the log),
    // and hub B's subscriber, told of the disconnection, reads the log meanwhile (its safety
    // poll is an hour: only that gets these events to it while the server is down).
    server.stop();
    fan.ingest(3).await;
    received.extend(bus::receive(&mut subscription, 3).await);

    // Stored while the server was down, published by the relay once it is back.
    fan.ingest(2).await;
    server.restart();
    received.extend(bus::receive(&mut subscription, 2).await);

    // And after it, as before.
    fan.ingest(4).await;
    received.extend(bus::receive(&mut subscription, 4).await);
    bus::assert_in_order_once(&received, fan.tenant(), Position::START);
    assert_eq!(received.len(), 14);
    bus::nothing_more(&mut subscription).await;
    fan.shutdown().await;
}
