//! The outbox and the change log across two pools on one database (two processes, as far as
//! PostgreSQL can tell): claimers never lease the same job, a dead worker's job is resumed by
//! another without a second send, and a reader following the change log never skips a
//! position that commits later.

use std::collections::HashSet;
use std::time::Duration;

use unibox_core::changes::{ChangeLog, Position};
use unibox_core::inbox::{ChannelAccounts, EventIngest, IngestOutcome, OutboundMessages};
use unibox_core::outbox::{AttemptOutcome, EnqueueOptions, JobState, Lease, Outbox};
use unibox_core::{ConversationId, DeliveryStatus, ErrorKind, IdentityKind, PlatformUser, TenantId, Timestamp};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, StoreKeys};

/// Two stores (two pools, two vaults with the same keys) on one schema.
async fn two_stores(test: &str) -> Option<(TestDatabase, PostgresStore, PostgresStore)> {
    let database = TestDatabase::create(test).await?;
    let entry = Keyring::generate_entry(1);
    let keys = || StoreKeys::try_from(Keyring::parse(&entry).unwrap()).unwrap();
    let first = PostgresStore::connect(&database.app_options(), keys()).await.unwrap();
    let second = PostgresStore::connect(&database.app_options(), keys()).await.unwrap();
    Some((database, first, second))
}

/// A tenant with a LINE account and `customers` conversations, one per customer.
async fn conversations(store: &PostgresStore, customers: usize) -> (TenantId, AccountEvents, Vec<ConversationId>) {
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    store.inbox().save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    let mut ids = Vec::new();
    for n in 0..customers {
        let customer = PlatformUser::new(IdentityKind::LineUserId, format!("U{n:032}"));
        let event = events.text(&format!("e-{n}"), &customer, &format!("m-{n}"), "hello", fixtures::at(n as i64));
        match store.inbox().ingest(vec![event]).await.unwrap()[..] {
            [IngestOutcome::Stored { conversation: Some(conversation), .. }] => ids.push(conversation),
            ref other => panic!("the first message stores a conversation: {other:?}"),
        }
    }
    (tenant, events, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_pools_never_claim_the_same_job() {
    let Some((_database, first, second)) = two_stores("two_pools_never_claim_the_same_job").await else { return };
    let (tenant, _, conversations) = conversations(&first, 4).await;
    let now = Timestamp::now();
    let mut queued = HashSet::new();
    for n in 0..60 {
        let conversation = conversations[n % conversations.len()];
        let draft = fixtures::agent_reply(conversation, &fixtures::user("agent-1"), "on its way", now);
        let (message, job) = first.inbox().enqueue(&tenant, draft, EnqueueOptions::new(), now).await.unwrap();
        assert_eq!(job.state, JobState::Queued);
        queued.insert(message.id);
    }
    // Four claimers on each pool, three jobs a claim, until nothing is due.
    let mut claimers = Vec::new();
    for worker in 0..8 {
        let store = if worker % 2 == 0 { first.clone() } else { second.clone() };
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let lease = Lease::until(Timestamp::now().saturating_add(Duration::from_secs(300)));
                let jobs = store.inbox().claim(Timestamp::now(), lease, 3).await.unwrap();
                if jobs.is_empty() {
                    return mine;
                }
                for job in jobs {
                    assert!(job.is_held_by(lease.id));
                    mine.push(job.message);
                }
            }
        }));
    }
    let mut claimed = Vec::new();
    for claimer in claimers {
        claimed.extend(claimer.await.unwrap());
    }
    let distinct: HashSet<_> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "no job was leased to two claimers");
    assert_eq!(distinct, queued, "every due job was claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_send_is_resumed_by_another_pool_and_sent_once() {
    let Some((_database, first, second)) = two_stores("a_dead_workers_send_is_resumed").await else { return };
    let (tenant, _, conversations) = conversations(&first, 1).await;
    let now = Timestamp::now();
    let draft = fixtures::agent_reply(conversations[0], &fixtures::user("agent-1"), "on its way", now);
    let (message, _) = first.inbox().enqueue(&tenant, draft, EnqueueOptions::new(), now).await.unwrap();

    // The first worker claims, records the attempt (the send is about to be made), and dies.
    let short = Lease::until(now.saturating_add(Duration::from_secs(30)));
    let jobs = first.inbox().claim(now, short, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let begun = first.inbox().begin_attempt(&tenant, message.id, short.id).await.unwrap();
    assert_eq!((begun.state, begun.attempts), (JobState::InFlight, 1));
    let sending = second.inbox().job(&tenant, message.id).await.unwrap();
    assert_eq!(sending.state, JobState::InFlight, "the attempt is recorded before the send");

    // Before the lease ends nobody else may take it; after, the other pool resumes it in flight.
    assert!(
        second
            .inbox()
            .claim(now, Lease::until(now.saturating_add(Duration::from_secs(60))), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = now.saturating_add(Duration::from_secs(31));
    let lease = Lease::until(later.saturating_add(Duration::from_secs(30)));
    let resumed = second.inbox().claim(later, lease, 10).await.unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].state, JobState::InFlight, "the worker resuming it knows a send may have been made");
    second.inbox().begin_attempt(&tenant, message.id, lease.id).await.unwrap();
    let (sent, job) = second
        .inbox()
        .finish_attempt(&tenant, message.id, lease.id, AttemptOutcome::Sent { platform_message_id: "p-1".into() })
        .await
        .unwrap();
    assert_eq!((sent.delivery, job.state, job.attempts), (DeliveryStatus::Sent, JobState::Sent, 2));

    // The dead worker's late report of a retry is refused: the job is not its any more.
    let late = first
        .inbox()
        .finish_attempt(&tenant, message.id, short.id, AttemptOutcome::Retry { at: later, reason: "timeout".into() })
        .await
        .unwrap_err();
    assert_eq!(late.kind(), ErrorKind::Conflict);
    assert!(first.inbox().claim(later.saturating_add(Duration::from_secs(3600)), lease, 10).await.unwrap().is_empty());
    let _ = first.inbox().update_delivery(&tenant, message.id, DeliveryStatus::Read, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_never_skips_a_position_that_commits_later() {
    let Some((_database, first, second)) = two_stores("a_reader_never_skips_a_position").await else { return };
    let (tenant, events, _) = conversations(&first, 1).await;
    let start = first.inbox().head(&tenant).await.unwrap();
    const WRITERS: usize = 6;
    const EACH: usize = 25;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = if writer % 2 == 0 { first.clone() } else { second.clone() };
        let events = AccountEvents::new(events.account());
        writers.push(tokio::spawn(async move {
            for n in 0..EACH {
                let customer = PlatformUser::new(IdentityKind::LineUserId, format!("W{writer:02}{n:030}"));
                let batch = (0..3)
                    .map(|k| {
                        let id = format!("w{writer}-{n}-{k}");
                        events.text(&id, &customer, &id, "hello", fixtures::at((n * 3 + k) as i64))
                    })
                    .collect();
                store.inbox().ingest(batch).await.unwrap();
            }
        }));
    }
    // The reader follows the log while the writers commit, as a subscriber would.
    let reader = {
        let store = second.clone();
        let tenant = tenant.clone();
        tokio::spawn(async move {
            let expected = WRITERS * EACH * 3;
            let mut seen: Vec<Position> = Vec::new();
            let mut after = start;
            while seen.len() < expected {
                let page = store.inbox().read(&tenant, after, 50).await.unwrap();
                if page.is_empty() {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                for event in page {
                    assert_eq!(event.position.value(), after.value() + 1, "no position is skipped");
                    after = event.position;
                    seen.push(event.position);
                }
            }
            seen
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), reader).await.expect("the reader caught up").unwrap();
    assert_eq!(seen.len(), WRITERS * EACH * 3);
    assert_eq!(first.inbox().head(&tenant).await.unwrap(), *seen.last().unwrap());
}
