//! One capability-gated run of every store suite: what a storage backend, ours or a third
//! party's, calls from one small test file.
//!
//! [`run`] takes a [`StoreFactory`] (an empty [`Store`] bundle per check) and the
//! [`StoreCapabilities`] the backend declares, and runs every suite that applies:
//!
//! | suite | runs when |
//! |---|---|
//! | [`store::capabilities_are_true`](crate::store::capabilities_are_true) (the bundle matches its description) | always |
//! | [`inbox`](crate::inbox) checks of the inbox ports and every ingest rule | always |
//! | [`inbox`](crate::inbox) checks of the outbox | `outbox` |
//! | [`inbox`](crate::inbox) checks of the change log | `change_log` |
//! | [`tokens`](crate::tokens) | always |
//! | [`audit`](crate::audit), on the store's audit log | always |
//! | roster ([`run_roster_checks`](crate::inbox::run_roster_checks)) | always |
//! | analytics ([`run_analytics_checks`](crate::inbox::run_analytics_checks)) | always |
//! | a hub's analytics and reserved assignment over the whole bundle | `change_log` |
//! | [`metering`](crate::metering) | `metering` |
//! | [`credits`](crate::credits) | `credits` |
//! | [`orders`](crate::orders) | `orders` |
//! | [`sessions`](crate::sessions) | `sessions` |
//! | [`export`](crate::export): export, import, export again | `restore` |
//! | [`lifecycle`](crate::lifecycle) (retention, contact erasure, tenant deletion) | `lifecycle` |
//!
//! Every suite runs even when another fails; at the end [`run`] panics naming every failed
//! check. A backend's test file is a few lines:
//!
//! ```
//! use unibox_core::memory::MemoryStore;
//! use unibox_core::store::Store;
//! # tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(async {
//! // #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn memory_store_conforms() {
//! let capabilities = Store::from(MemoryStore::new()).capabilities;
//! unibox_testkit::harness::run(&|| async { MemoryStore::new().into() }, capabilities).await;
//! // }
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use unibox_core::analytics::Analytics;
use unibox_core::store::{Store, StoreCapabilities};
use unibox_core::workflow::AgentRoster;

use crate::inbox::support::catch_panic;

/// A boxed, sendable future, as [`StoreFactory::fresh`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Makes empty store bundles of the backend under test, one per check (and one per generated
/// case of the property checks).
///
/// Any `Fn() -> impl Future<Output = Store>` closure is a factory:
///
/// ```
/// use unibox_core::memory::MemoryStore;
/// use unibox_testkit::harness::StoreFactory;
///
/// fn takes_factory(_: &dyn StoreFactory) {}
/// takes_factory(&|| async { MemoryStore::new().into() });
/// ```
pub trait StoreFactory: Send + Sync {
    /// A new, empty store. Panics (failing the test) when the backend cannot be opened.
    fn fresh(&self) -> BoxFuture<'_, Store>;
}

impl<F, Fut> StoreFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Store> + Send + 'static,
{
    fn fresh(&self) -> BoxFuture<'_, Store> {
        Box::pin(self())
    }
}

/// Runs every store suite that `capabilities` says applies, each check on a fresh store from
/// `factory`, and panics naming every check that failed. Fresh stores must describe themselves
/// with `capabilities`.
///
/// Hub checks spawn tasks: call it from a multi-threaded runtime.
pub async fn run(factory: &dyn StoreFactory, capabilities: StoreCapabilities) {
    let mut failures: Vec<String> = Vec::new();
    let mut suite = |name: &str, result: Result<(), String>| {
        if let Err(message) = result {
            failures.push(format!("{name}: {message}"));
        }
    };

    let store = factory.fresh().await;
    suite(
        "capabilities",
        catch_panic(async {
            assert_eq!(store.capabilities, capabilities, "a fresh store describes itself as declared");
            crate::store::capabilities_are_true(&store).await;
        })
        .await,
    );

    let inbox = crate::inbox::failures(factory).await;
    suite("inbox", if inbox.is_empty() { Ok(()) } else { Err(inbox.join("\n  - ")) });

    let store = factory.fresh().await;
    suite("tokens", catch_panic(crate::tokens::run_all(store.tokens.as_ref())).await);
    let store = factory.fresh().await;
    suite("audit", catch_panic(crate::audit::run_all(store.audit.log().as_ref())).await);

    let rosters = || async { factory.fresh().await.roster };
    let roster_factory = FromStores(&rosters);
    suite("roster", catch_panic(crate::inbox::run_roster_checks(&roster_factory)).await);
    let analytics = || async { factory.fresh().await.analytics };
    let analytics_factory = FromStores(&analytics);
    suite("analytics", catch_panic(crate::inbox::run_analytics_checks(&analytics_factory)).await);

    if capabilities.change_log {
        suite("hub analytics", catch_panic(crate::inbox::run_hub_analytics_checks(factory)).await);
        suite("reserved assignment", catch_panic(crate::inbox::run_reserved_assignment_checks(factory)).await);
    }
    if capabilities.metering {
        let store = factory.fresh().await;
        match &store.meter {
            Some(meter) => suite("metering", catch_panic(crate::metering::run_all(meter.as_ref())).await),
            None => suite("metering", Err("the capability says metering, the bundle has no meter".into())),
        }
    }
    if capabilities.credits {
        let store = factory.fresh().await;
        match &store.credits {
            Some(credits) => suite("credits", catch_panic(crate::credits::run_all(credits.as_ref())).await),
            None => suite("credits", Err("the capability says credits, the bundle has no ledger".into())),
        }
    }
    if capabilities.orders {
        let store = factory.fresh().await;
        match &store.orders {
            Some(orders) => suite("orders", catch_panic(crate::orders::run_all(orders.as_ref())).await),
            None => suite("orders", Err("the capability says orders, the bundle has no order store".into())),
        }
    }
    if capabilities.sessions {
        let store = factory.fresh().await;
        match &store.sessions {
            Some(sessions) => suite("sessions", catch_panic(crate::sessions::run_all(sessions.as_ref())).await),
            None => suite("sessions", Err("the capability says sessions, the bundle has none".into())),
        }
    }

    if capabilities.restore {
        suite("export", catch_panic(crate::export::run_all(factory)).await);
    }
    if capabilities.lifecycle {
        suite("lifecycle", catch_panic(crate::lifecycle::run_all(factory)).await);
    }

    if !failures.is_empty() {
        panic!("store harness: {} suites failed:\n- {}", failures.len(), failures.join("\n- "));
    }
}

/// One part of fresh stores, as the factory of a suite that tests that part alone.
struct FromStores<'a, F>(&'a F);

impl<'a, F, Fut> crate::inbox::RosterFactory for FromStores<'a, F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn AgentRoster>> + Send + 'a,
{
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn AgentRoster>> {
        Box::pin((self.0)())
    }
}

impl<'a, F, Fut> crate::inbox::AnalyticsFactory for FromStores<'a, F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn Analytics>> + Send + 'a,
{
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn Analytics>> {
        Box::pin((self.0)())
    }
}
