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
