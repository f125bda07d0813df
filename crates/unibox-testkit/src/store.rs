//! Checks of a [`Store`] bundle: its [`StoreCapabilities`](unibox_core::store::StoreCapabilities)
//! describe its parts, and the parts work together (a token stored through the bundle comes
//! back; the audit trail records and verifies).

use unibox_core::audit::{AuditOutcome, AuditQuery, AuditRecord, AuditSink};
use unibox_core::store::Store;
use unibox_core::{Actor, ChannelAccountId, Timestamp, TokenSet};

use crate::fixtures;

/// Panics, naming the capability, when `store.capabilities` says something its parts do not
/// bear out; then stores a token and an audit record through the bundle and reads them back.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = unibox_core::memory::MemoryStore::new().into();
/// unibox_testkit::store::capabilities_are_true(&store).await;
/// # });
/// ```
pub async fn capabilities_are_true(store: &Store) {
    let capabilities = store.capabilities;
    assert_eq!(capabilities.outbox, store.outbox.is_some(), "capability `outbox`");
    assert_eq!(capabilities.change_log, store.changes.is_some(), "capability `change_log`");
    assert_eq!(capabilities.metering, store.meter.is_some(), "capability `metering`");
    assert_eq!(capabilities.credits, store.credits.is_some(), "capability `credits`");
    assert_eq!(capabilities.sessions, store.sessions.is_some(), "capability `sessions`");
    assert_eq!(capabilities.deletion_requests, store.deletion_requests.is_some(), "capability `deletion_requests`");
    assert_eq!(capabilities.orders, store.orders.is_some(), "capability `orders`");
    assert_eq!(capabilities.sync_cursors, store.sync_cursors.is_some(), "capability `sync_cursors`");
    assert_eq!(capabilities.catalog, store.catalog.is_some(), "capability `catalog`");
    assert_eq!(capabilities.restore, store.restore.is_some(), "capability `restore`");
    assert_eq!(
        capabilities.conversation_control,
        store.conversation_control.is_some(),
        "capability `conversation_control`"
    );
    assert!(capabilities.max_page_size >= 1, "capability `max_page_size` must be at least 1");
    if capabilities.durable {
        assert!(capabilities.durable_audit, "a durable store keeps its audit trail durably too");
    }

    let tenant = fixtures::tenant("store-check");
    let account = ChannelAccountId::new();
    store.tokens.put(&tenant, account, TokenSet::new("store-check-token")).await.expect("the token store stores");
    let tokens = store.tokens.get(&tenant, account).await.expect("the token store reads").expect("the token is there");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&tokens.access_token), "store-check-token");

    let actor = Actor::automation(tenant.clone(), "store-check");
    let record = AuditRecord::new(&actor, "settings.change", "store:check", Timestamp::now(), AuditOutcome::Success);
    store.audit.record(record).await.expect("the audit trail records");
    let page = store.audit.query(&tenant, &AuditQuery::new().action("settings.change")).await.expect("it queries");
    assert_eq!(page.items.len(), 1, "the audit trail returns what it recorded");
    assert!(store.audit.verify(&tenant).await.expect("it verifies").is_intact(), "the audit chain is intact");
}
