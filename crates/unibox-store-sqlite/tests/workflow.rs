//! The roster and analytics suites against a file-backed `SqliteInbox`, and analytics that
//! survive reopening the file.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use unibox_core::analytics::{Analytics, AnalyticsQuery, Observation, ObservationKind};
use unibox_core::workflow::{Agent, AgentRoster};
use unibox_core::{ChannelAccountId, ConversationId};
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::fixtures::{self, at};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_roster_passes_the_roster_suite() {
    let dir = tempfile::tempdir().unwrap();
    let opened = AtomicUsize::new(0);
    let root = dir.path().to_path_buf();
    let factory = || {
        let path = root.join(format!("roster-{}.db", opened.fetch_add(1, Ordering::Relaxed)));
        async move { Arc::new(SqliteInbox::open(&path).await.unwrap()) as Arc<dyn AgentRoster> }
    };
    unibox_testkit::inbox::run_roster_checks(&factory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_analytics_passes_the_analytics_suite() {
    let dir = tempfile::tempdir().unwrap();
    let opened = AtomicUsize::new(0);
    let root = dir.path().to_path_buf();
    let factory = || {
        let path = root.join(format!("analytics-{}.db", opened.fetch_add(1, Ordering::Relaxed)));
        async move { Arc::new(SqliteInbox::open(&path).await.unwrap()) as Arc<dyn Analytics> }
    };
    unibox_testkit::inbox::run_analytics_checks(&factory).await;
}

#[tokio::test]
async fn in_memory_sqlite_roster_and_analytics_pass_their_suites() {
    unibox_testkit::inbox::run_roster_checks(&|| async {
        Arc::new(SqliteInbox::open_in_memory().await.unwrap()) as Arc<dyn AgentRoster>
    })
    .await;
    unibox_testkit::inbox::run_analytics_checks(&|| async {
        Arc::new(SqliteInbox::open_in_memory().await.unwrap()) as Arc<dyn Analytics>
    })
    .await;
}

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
    inbox.record(&tenant, &[waiting]).await.unwrap();
    inbox.close().await;

    let inbox = SqliteInbox::open(&path).await.unwrap();
    assert_eq!(inbox.agents(&tenant).await.unwrap(), vec![Agent::new(ann.clone(), 3)]);
    assert_eq!(inbox.take_turn(&tenant, &[ann.clone(), bob.clone()]).await.unwrap(), Some(bob.clone()), "next turn");
    let reply =
        Observation { conversation, account, at: at(45), kind: ObservationKind::MessageOut { agent: Some(ann) } };
    inbox.record(&tenant, &[reply]).await.unwrap();
    let report = inbox.report(&tenant, &AnalyticsQuery::new(at(0), at(60))).await.unwrap();
    assert_eq!(report.totals.first_response.count, 1, "the customer was still waiting after the restart");
    assert_eq!(report.totals.first_response.average, Some(std::time::Duration::from_secs(45)));
    inbox.close().await;
}
