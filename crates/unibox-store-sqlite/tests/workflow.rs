//! Analytics and the agent roster that survive reopening the file, even after a crash in the
//! middle of catching up. (Their suites run in `harness.rs`.)

use std::sync::Arc;

use unibox_core::Hub;
use unibox_core::analytics::{Analytics, AnalyticsQuery, ChangeSpan, Observation, ObservationKind};
use unibox_core::changes::Position;
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::workflow::{Agent, AgentRoster};
use unibox_core::{ChannelAccountId, ConversationId};
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::fixtures::{self, at};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_turns_and_waiting_customers_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let tenant = fixtures::tenant("acme");
    let (conversation, account) = (ConversationId::new(), ChannelAccountId::new());
    let (ann, bob) = (fixtures::user("ann"), fixtures::user("bob"));

    let inbox = SqliteInbox::open(&path).await.unwrap();
    inbox.save_agent(&tenant, &Agent::new(ann.clone(), 3)).await.unwrap();
    assert_eq!(inbox.take_turn(&tenant, &[ann.clone(), bob.clone()]).await.unwrap(), Some(ann.clone()));
    let waiting = Observation { conversation, account, at: at(0), kind: ObservationKind::MessageIn };
    inbox.record(&tenant, ChangeSpan::new(Position::START, Position::new(1)), &[waiting]).await.unwrap();
    inbox.close().await;

    let inbox = SqliteInbox::open(&path).await.unwrap();
    assert_eq!(inbox.agents(&tenant).await.unwrap(), vec![Agent::new(ann.clone(), 3)]);
    assert_eq!(inbox.take_turn(&tenant, &[ann.clone(), bob.clone()]).await.unwrap(), Some(bob.clone()), "next turn");
    let reply =
        Observation { conversation, account, at: at(45), kind: ObservationKind::MessageOut { agent: Some(ann) } };
    assert_eq!(inbox.position(&tenant).await.unwrap(), Position::new(1), "the position survives too");
    inbox.record(&tenant, ChangeSpan::new(Position::new(1), Position::new(2)), &[reply]).await.unwrap();
    let report = inbox.report(&tenant, &AnalyticsQuery::new(at(0), at(60))).await.unwrap();
    assert_eq!(report.totals.first_response.count, 1, "the customer was still waiting after the restart");
    assert_eq!(report.totals.first_response.average, Some(std::time::Duration::from_secs(45)));
    inbox.close().await;
}

/// Every part of a store on the SQLite inbox (analytics and roster included); the rest in memory.
fn sqlite_store(inbox: SqliteInbox) -> Store {
    let inbox = Arc::new(inbox);
    let mut store: Store = MemoryStore::with_inbox(inbox.clone()).into();
    store.analytics = inbox.clone();
    store.roster = inbox;
    store
}

/// Customer messages numbered `from..to`, one customer of forty each in turn, customer k's
/// message i at second 2i.
fn customer_messages(
    account: &unibox_core::ChannelAccount,
    from: u32,
    to: u32,
) -> Vec<unibox_core::inbox::RoutedEvent> {
    let events = fixtures::AccountEvents::new(account);
    (from..to)
        .map(|i| {
            let customer = fixtures::customer(unibox_core::IdentityKind::LineUserId, i % 40);
            events.text(&format!("e{i}"), &customer, &format!("m{i}"), "hello", at(2 * i64::from(i)))
        })
        .collect()
}

/// The process dies while its hub catches analytics up (its runtime is dropped with the
/// projection in flight); the file reopened in a new process gives exact numbers: every change
/// counted once, none lost, none twice.
#[test]
fn analytics_are_exact_after_a_crash_in_the_middle_of_catching_up() {
    use unibox_core::{Actor, ManualClock, Role};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    let admin = Actor::user(tenant.clone(), fixtures::user("admin"), Role::Admin);
    let ann = fixtures::user("ann");
    let day = AnalyticsQuery::new(at(0), at(2 * 86_400));
    let runtime = || tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    let first = runtime();
    let (caught_up_before_the_crash, conversation) = first.block_on(async {
        let stores = sqlite_store(SqliteInbox::open(&path).await.unwrap());
        stores.accounts.save_account(&account).await.unwrap();
        for from in (0..6_000).step_by(500) {
            stores.ingest.ingest(customer_messages(&account, from, from + 500)).await.unwrap();
        }
        let clock = ManualClock::new(at(20_000));
        let hub = Hub::builder(stores.clone()).clock(Arc::new(clock)).build();
        let _background = hub.start_background();
        let report = hub.analytics(&admin, &day).await.unwrap();
        assert_eq!(report.totals.messages_in, 6_000);
        let conversation = hub.conversations(&admin, &Default::default()).await.unwrap().items[0].id;
        for from in (6_000..12_000).step_by(500) {
            stores.ingest.ingest(customer_messages(&account, from, from + 500)).await.unwrap();
        }
        // Wakes the background projection (started above), which starts on the 6,000 new messages...
        hub.assign(&admin, conversation, ann.clone()).await.unwrap();
        while hub.analytics_lag(&admin).await.unwrap().reflected == report.position {
            tokio::task::yield_now().await;
        }
        (report.position, conversation)
    });
    // ... and once it recorded a page, the process dies: every task is dropped wherever it is.
    drop(first);

    let second = runtime();
    second.block_on(async {
        let stores = sqlite_store(SqliteInbox::open(&path).await.unwrap());
        let clock = ManualClock::new(at(30_000));
        let hub = Hub::builder(stores.clone()).clock(Arc::new(clock)).build();
        let lag = hub.analytics_lag(&admin).await.unwrap();
        assert!(lag.reflected > caught_up_before_the_crash, "what was recorded stays recorded: {lag:?}");
        assert!(lag.reflected <= lag.head);
        hub.resolve(&admin, conversation).await.unwrap();
        let report = hub.analytics(&admin, &day).await.unwrap();
        assert_eq!(report.totals.messages_in, 12_000, "every customer message, once");
        assert_eq!(report.totals.resolution.count, 1);
        let opened = hub.store().reads.conversation(&tenant, conversation).await.unwrap().created_at;
        let expected = at(30_000).as_unix_millis() - opened.as_unix_millis();
        assert_eq!(report.totals.resolution.average, Some(std::time::Duration::from_millis(expected as u64)));
        let anns = report.by_agent.iter().find(|(agent, _)| agent.as_ref() == Some(&ann)).unwrap();
        assert_eq!(anns.1.resolution.count, 1, "the assignment before the crash counts");
        assert_eq!(report.position, hub.analytics_lag(&admin).await.unwrap().head);
    });
}
