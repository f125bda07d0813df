//! Every conformance suite against the in-memory implementations of unibox-core, and proof that
//! the suite notices broken inboxes.

use std::sync::{Arc, Mutex};

use unibox_core::inbox::{
    ConversationQuery, ConversationUpdate, IngestOutcome, MessageQuery, OutboundDraft, Page, RoutedEvent, SearchQuery,
};
use unibox_core::memory::{MemoryInbox, MemoryTokenStore};
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Conversation, ConversationId,
    DeliveryStatus, Inbox, InternalNote, Message, MessageId, Result, TenantId, async_trait,
};

#[tokio::test]
async fn memory_inbox_passes_the_inbox_suite() {
    unibox_testkit::inbox::run_all(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_inbox_passes_the_inbox_suite_on_a_multi_threaded_runtime() {
    unibox_testkit::inbox::run_all(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> }).await;
}

#[tokio::test]
async fn memory_token_store_passes_the_token_suite() {
    unibox_testkit::tokens::run_all(&MemoryTokenStore::new()).await;
}

/// A deliberate bug to plant in a [`MemoryInbox`].
#[derive(Clone, Copy, Debug)]
enum Bug {
    /// Search looks at every tenant's messages.
    SearchLeaksAcrossTenants,
    /// Ingest stores only the first event of each batch.
    IngestDropsAllButTheFirstEvent,
}

/// A [`MemoryInbox`] with one planted bug.
#[derive(Debug)]
struct Buggy {
    inner: MemoryInbox,
    bug: Bug,
    tenants: Mutex<Vec<TenantId>>,
}

impl Buggy {
    fn factory(bug: Bug) -> impl Fn() -> std::future::Ready<Arc<dyn Inbox>> + Send + Sync + 'static {
        move || {
            let inbox = Buggy { inner: MemoryInbox::new(), bug, tenants: Mutex::new(Vec::new()) };
            std::future::ready(Arc::new(inbox) as Arc<dyn Inbox>)
        }
    }
}

#[async_trait]
impl Inbox for Buggy {
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
    async fn ingest(&self, mut events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        match self.bug {
            Bug::IngestDropsAllButTheFirstEvent if events.len() > 1 => {
                let dropped = events.len() - 1;
                events.truncate(1);
                let mut outcomes = self.inner.ingest(events).await?;
                outcomes.extend(std::iter::repeat_n(IngestOutcome::Duplicate, dropped));
                Ok(outcomes)
            }
            _ => self.inner.ingest(events).await,
        }
    }
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
    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        self.inner.contact(tenant, id).await
    }
    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        self.inner.contact_by_identity(tenant, identity).await
    }
    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        match self.bug {
            Bug::SearchLeaksAcrossTenants => {
                let tenants = self.tenants.lock().unwrap().clone();
                let mut items = Vec::new();
                for other in tenants.iter().filter(|t| *t != tenant).chain([tenant]) {
                    items.extend(self.inner.search(other, query).await?.items);
                }
                Ok(Page { items, next: None })
            }
            _ => self.inner.search(tenant, query).await,
        }
    }
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message> {
        self.inner.record_outbound(tenant, draft).await
    }
    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message> {
        self.inner.update_delivery(tenant, message, status, platform_message_id).await
    }
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        self.inner.update_conversation(tenant, id, update).await
    }
    async fn add_note(&self, note: &InternalNote) -> Result<()> {
        self.inner.add_note(note).await
    }
    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        self.inner.notes(tenant, conversation).await
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
        unibox_testkit::inbox::run_all(&Buggy::factory(Bug::SearchLeaksAcrossTenants)).await;
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
        let factory = Buggy::factory(Bug::IngestDropsAllButTheFirstEvent);
        unibox_testkit::inbox::ingest_is_idempotent_under_redelivery_and_reordering(&factory).await;
    })
    .await;
    assert!(message.starts_with("ingest_is_idempotent_under_redelivery_and_reordering:"), "{message}");
    assert!(message.contains("minimal failing input"), "proptest reports the shrunk case: {message}");
}
