//! The roster and analytics suites against the in-memory implementations.

use std::sync::Arc;

use unibox_core::analytics::Analytics;
use unibox_core::memory::{MemoryAgentRoster, MemoryAnalytics};
use unibox_core::workflow::AgentRoster;

#[tokio::test]
async fn memory_roster_passes_the_roster_suite() {
    unibox_testkit::inbox::run_roster_checks(&|| async { Arc::new(MemoryAgentRoster::new()) as Arc<dyn AgentRoster> })
        .await;
}

#[tokio::test]
async fn memory_analytics_passes_the_analytics_suite() {
    unibox_testkit::inbox::run_analytics_checks(&|| async { Arc::new(MemoryAnalytics::new()) as Arc<dyn Analytics> })
        .await;
}

fn memory_stores() -> unibox_testkit::inbox::HubStores {
    unibox_testkit::inbox::HubStores {
        inbox: Arc::new(unibox_core::memory::MemoryInbox::new()),
        analytics: Arc::new(MemoryAnalytics::new()),
        roster: Arc::new(MemoryAgentRoster::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_hub_analytics_pass_the_hub_analytics_suite() {
    unibox_testkit::inbox::run_hub_analytics_checks(&|| async { memory_stores() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_auto_assignment_passes_the_reserved_assignment_suite() {
    unibox_testkit::inbox::run_reserved_assignment_checks(&|| async { memory_stores() }).await;
}
