//! The session, audit and metering suites against the in-memory implementations.

use unibox_core::memory::{MemoryAuditLog, MemorySessionStore, MemoryUsageMeter};

#[tokio::test]
async fn memory_session_store_passes_the_session_suite() {
    unibox_testkit::sessions::run_all(&MemorySessionStore::new()).await;
}

#[tokio::test]
async fn memory_audit_log_passes_the_audit_suite() {
    unibox_testkit::audit::run_all(&MemoryAuditLog::new()).await;
}

#[tokio::test]
async fn memory_usage_meter_passes_the_metering_suite() {
    unibox_testkit::metering::run_all(&MemoryUsageMeter::new()).await;
}

#[tokio::test]
async fn memory_credit_ledger_passes_the_credits_suite() {
    unibox_testkit::credits::run_all(&unibox_core::memory::MemoryCreditLedger::new()).await;
}
