//! [`notify_in`] against a real PostgreSQL ([`crate::testing`]): a notification goes out when
//! its transaction commits, to the tenant's subscribers only, and never when it rolls back.

use std::time::Duration;

use unibox_core::changes::{BusNotice, BusStream, ChangeBus};
use unibox_core::{Error, ErrorKind, TenantId};

use super::{PostgresChangeBus, notify_in};
use crate::PostgresInbox;
use crate::testing::TestDatabase;

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

async fn next(notices: &mut BusStream, wait: Duration) -> Option<Option<unibox_core::Result<BusNotice>>> {
    let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(notices.as_mut(), cx));
    tokio::time::timeout(wait, next).await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_goes_out_at_commit_and_never_after_a_rollback() {
    let Some(database) = TestDatabase::create("a_notification_goes_out_at_commit_and_never_after_a_rollback").await
    else {
        return;
    };
    let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
    let bus = PostgresChangeBus::connect(&database.app_options()).await.unwrap();
    let acme = tenant("acme");
    let mut notices = bus.subscribe(&acme).await.unwrap();

    // Notified, then the work fails: the transaction rolls back, and nobody hears of it.
    let failed = inbox
        .db
        .tenant_tx("test", &acme, |tx| {
            Box::pin(async move {
                notify_in(tx, &tenant("acme")).await?;
                Err::<(), _>(Error::new(ErrorKind::Conflict, "the rest of the change failed"))
            })
        })
        .await;
    assert_eq!(failed.unwrap_err().kind(), ErrorKind::Conflict);
    assert!(next(&mut notices, Duration::from_millis(700)).await.is_none(), "a rolled-back NOTIFY wakes nobody");

    // Committed: heard once, however many times the transaction notified.
    inbox
        .db
        .tenant_tx("test", &acme, |tx| {
            Box::pin(async move {
                for _ in 0..3 {
                    notify_in(tx, &tenant("acme")).await?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
    let heard = next(&mut notices, Duration::from_secs(30)).await;
    assert!(matches!(heard, Some(Some(Ok(BusNotice::Wake)))), "{heard:?}");
    assert!(next(&mut notices, Duration::from_millis(500)).await.is_none(), "one wake-up for one commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_wakes_only_its_tenant_and_only_its_schema() {
    let Some(database) = TestDatabase::create("a_notification_wakes_only_its_tenant_and_only_its_schema").await else {
        return;
    };
    let Some(elsewhere) = TestDatabase::create("a_notification_wakes_only_its_tenant_and_only_its_schema_2").await
    else {
        return;
    };
    let inbox = PostgresInbox::connect(&database.app_options()).await.unwrap();
    let bus = PostgresChangeBus::connect(&database.app_options()).await.unwrap();
    let other_deployment = PostgresChangeBus::connect(&elsewhere.app_options()).await.unwrap();
    assert_ne!(bus.channel(), other_deployment.channel(), "a channel per schema");
    let (acme, lookalike) = (tenant("acme.eu"), tenant("acme_eu"));
    let mut acme_notices = bus.subscribe(&acme).await.unwrap();
    let mut lookalike_notices = bus.subscribe(&lookalike).await.unwrap();
    let mut acme_elsewhere = other_deployment.subscribe(&acme).await.unwrap();

    inbox
        .db
        .tenant_tx("test", &acme, |tx| Box::pin(async move { notify_in(tx, &tenant("acme.eu")).await }))
        .await
        .unwrap();
    let heard = next(&mut acme_notices, Duration::from_secs(30)).await;
    assert!(matches!(heard, Some(Some(Ok(BusNotice::Wake)))), "{heard:?}");
    assert!(next(&mut lookalike_notices, Duration::from_millis(500)).await.is_none(), "another tenant");
    assert!(next(&mut acme_elsewhere, Duration::from_millis(200)).await.is_none(), "the same tenant in another schema");
}
