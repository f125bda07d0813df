//! The in-process bus passes the bus suites: two hubs on one `MemoryStore` bundle fan out
//! through one `MemoryChangeBus`.

use std::sync::Arc;

use unibox_core::changes::ChangeBus;
use unibox_core::memory::{MemoryChangeBus, MemoryStore};

fn bus() -> Arc<dyn ChangeBus> {
    Arc::new(MemoryChangeBus::new())
}

#[tokio::test]
async fn every_event_reaches_a_subscriber_of_another_hub() {
    let bus = bus();
    unibox_testkit::bus::every_event_reaches_a_subscriber_of_another_hub(MemoryStore::new().into(), bus.clone(), bus)
        .await;
}

#[tokio::test]
async fn a_subscription_resumes_from_a_position() {
    let bus = bus();
    unibox_testkit::bus::a_subscription_resumes_from_a_position(MemoryStore::new().into(), bus.clone(), bus).await;
}

#[tokio::test]
async fn lost_messages_are_found_in_the_log() {
    let bus = bus();
    unibox_testkit::bus::lost_messages_are_found_in_the_log(MemoryStore::new().into(), bus.clone(), bus).await;
}

#[tokio::test]
async fn tenants_are_kept_apart() {
    unibox_testkit::bus::tenants_are_kept_apart(bus()).await;
}
