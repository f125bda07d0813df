//! Proof that the inbox suite notices broken inboxes: a memory store with one port replaced
//! by a decorator that plants a bug.

use std::sync::{Arc, Mutex};

use unibox_core::inbox::{
    ChannelAccounts, ConversationQuery, EventIngest, InboxReads, IngestOutcome, MessageQuery, Page, RoutedEvent,
    SearchQuery,
};
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Conversation, ConversationId,
    InternalNote, Message, MessageId, Result, TenantId, async_trait,
};

/// A deliberate bug to plant in a memory store.
#[derive(Clone, Copy, Debug)]
enum Bug {
    /// Search looks at every tenant's messages.
    SearchLeaksAcrossTenants,
    /// Ingest stores only the first event of each batch.
    IngestDropsAllButTheFirstEvent,
}

/// A memory store with one planted bug: a decorator of the one port the bug lives in, so
/// every other part of the bundle stays the memory store's own.
fn buggy_store(bug: Bug) -> Store {
    let mut store: Store = MemoryStore::new().into();
    match bug {
        Bug::SearchLeaksAcrossTenants => {
            // The accounts decorator remembers the tenants the leaky search then reads.
            let tenants = Arc::new(Mutex::new(Vec::new()));
            store.accounts = Arc::new(TenantsSeen { inner: store.accounts.clone(), tenants: tenants.clone() });
            store.reads = Arc::new(LeakySearch { inner: store.reads.clone(), tenants });
        }
        Bug::IngestDropsAllButTheFirstEvent => store.ingest = Arc::new(DroppingIngest(store.ingest.clone())),
    }
    store
}

fn factory(bug: Bug) -> impl Fn() -> std::future::Ready<Store> + Send + Sync + 'static {
    move || std::future::ready(buggy_store(bug))
}

/// Accounts that remember every tenant an account was saved for.
#[derive(Debug)]
struct TenantsSeen {
    inner: Arc<dyn ChannelAccounts>,
    tenants: Arc<Mutex<Vec<TenantId>>>,
}

#[async_trait]
impl ChannelAccounts for TenantsSeen {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        self.tenants.lock().unwrap().push(account.tenant.clone());
        self.inner.save_account(account).await
    }
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        self.inner.account(tenant, id).await
    }
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        self.inner.accounts(tenant).await
    }
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        self.inner.route(channel, platform_account_id).await
    }
}

/// Reads whose search looks at every tenant that has an account.
#[derive(Debug)]
struct LeakySearch {
    inner: Arc<dyn InboxReads>,
    tenants: Arc<Mutex<Vec<TenantId>>>,
}

#[async_trait]
impl InboxReads for LeakySearch {
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>> {
        self.inner.conversations(tenant, query).await
    }
    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
        self.inner.conversation(tenant, id).await
    }
    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        self.inner.messages(tenant, conversation, query).await
    }
    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message> {
        self.inner.message(tenant, id).await
    }
    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        self.inner.contacts(tenant, after, limit).await
    }
    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        self.inner.contact(tenant, id).await
    }
    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        self.inner.contact_by_identity(tenant, identity).await
    }
    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        let tenants = self.tenants.lock().unwrap().clone();
        let mut items = Vec::new();
        for other in tenants.iter().filter(|t| *t != tenant).chain([tenant]) {
            items.extend(self.inner.search(other, query).await?.items);
        }
        Ok(Page { items, next: None })
    }
    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        self.inner.notes(tenant, conversation).await
    }
}

/// Ingest that stores only the first event of each batch and calls the rest duplicates.
#[derive(Debug)]
struct DroppingIngest(Arc<dyn EventIngest>);

#[async_trait]
impl EventIngest for DroppingIngest {
    async fn ingest(&self, mut events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        let dropped = events.len().saturating_sub(1);
        events.truncate(1);
        let mut outcomes = self.0.ingest(events).await?;
        outcomes.extend(std::iter::repeat_n(IngestOutcome::Duplicate, dropped));
        Ok(outcomes)
    }
}

/// The panic message of a suite run on its own task.
async fn failure_of(run: impl Future<Output = ()> + Send + 'static) -> String {
    let error = tokio::spawn(run).await.expect_err("the suite must fail on a broken inbox");
    let payload = error.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[tokio::test]
async fn suite_names_the_checks_a_cross_tenant_search_fails() {
    let message = failure_of(async {
        unibox_testkit::inbox::run_all(&factory(Bug::SearchLeaksAcrossTenants)).await;
    })
    .await;
    assert!(message.starts_with("inbox conformance:"), "{message}");
    assert!(message.contains("- search_ignores_other_tenants:"), "{message}");
    assert!(message.contains("- other_tenants_data_is_never_listed:"), "{message}");
    assert!(message.contains("- tenants_see_only_their_own_data:"), "{message}");
    assert!(!message.contains("- redelivered_event_is_stored_once:"), "only the broken behaviour fails: {message}");
}

#[tokio::test]
async fn idempotency_property_catches_an_ingest_that_drops_events() {
    let message = failure_of(async {
        unibox_testkit::inbox::ingest_is_idempotent_under_redelivery_and_reordering(&factory(
            Bug::IngestDropsAllButTheFirstEvent,
        ))
        .await;
    })
    .await;
    assert!(message.starts_with("ingest_is_idempotent_under_redelivery_and_reordering:"), "{message}");
    assert!(message.contains("minimal failing input"), "proptest reports the shrunk case: {message}");
}
