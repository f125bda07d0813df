//! Connecting: to the shared local server of the brief (`UNIBOX_TEST_NATS_URL`), and to none.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use unibox_bus_nats::{NatsBusConfig, NatsChangeBus};
use unibox_core::changes::{BusNotice, Change, ChangeBus, ChangeKind, InboxEvent, Position, PublishedEvent};
use unibox_core::{ErrorKind, TenantId, Timestamp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_and_receives_on_the_configured_server() {
    const TEST: &str = "publishes_and_receives_on_the_configured_server";
    let url = common::shared_url();
    let config = NatsBusConfig::new(&url)
        .unwrap()
        // A stream of the tests' own on a shared server; its events expire within minutes.
        .stream("UNIBOX_TEST_CHANGES")
        .unwrap()
        .subject_prefix("unibox-test.changes")
        .unwrap()
        .max_age(Duration::from_secs(300));
    let bus = match NatsChangeBus::connect(config).await {
        Ok(bus) => bus,
        Err(error) if error.is_temporary() => {
            common::skip(TEST, &format!("NATS not reachable at {url}: {error}"));
            return;
        }
        Err(error) => panic!("connect: {error}"),
    };
    // A tenant no earlier run used, so the stream's older events do not matter.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let tenant: TenantId = format!("t{nanos}.{}", std::process::id()).parse().unwrap();
    assert_eq!(bus.last_published(&tenant).await.unwrap(), None);
    let mut notices = bus.subscribe(&tenant).await.unwrap();
    let change = Change::new(tenant.clone(), Timestamp::now(), ChangeKind::MessageAdded).detail("message");
    let published =
        PublishedEvent { event: InboxEvent { position: Position::new(41), change }, previous: Some(Position::new(40)) };
    // Twice, as two relays would: stored once.
    bus.publish(&tenant, std::slice::from_ref(&published)).await.unwrap();
    bus.publish(&tenant, std::slice::from_ref(&published)).await.unwrap();
    assert_eq!(bus.last_published(&tenant).await.unwrap(), Some(Position::new(41)));
    let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(notices.as_mut(), cx));
    let notice = tokio::time::timeout(Duration::from_secs(30), next).await.unwrap().unwrap().unwrap();
    assert_eq!(notice, BusNotice::Event(published));
    let again = std::future::poll_fn(|cx| futures_core::Stream::poll_next(notices.as_mut(), cx));
    assert!(
        tokio::time::timeout(Duration::from_millis(500), again).await.is_err(),
        "the republished event is stored once"
    );
}

#[tokio::test]
async fn no_server_is_a_temporary_error_without_credentials() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = NatsBusConfig::new(format!("nats://ann:hunter22@127.0.0.1:{port}")).unwrap();
    let error = NatsChangeBus::connect(config).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(error.is_temporary(), "the server may come back: {error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter22") && !shown.contains("ann:"), "{shown}");
    assert!(shown.contains(&port.to_string()), "it says which server: {shown}");
}
