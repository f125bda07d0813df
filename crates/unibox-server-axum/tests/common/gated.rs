//! An inbox wrapper whose ingest can be held (to fill the server) or broken (to make the store
//! fail), and whose reads can be broken (to fail readiness). Everything else is the inner inbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use unibox_core::inbox::{
    ConversationQuery, ConversationUpdate, IngestOutcome, MessageQuery, OutboundDraft, Page, RoutedEvent, SearchQuery,
};
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Conversation, ConversationId,
    DeliveryStatus, Error, ErrorKind, Inbox, InternalNote, Message, MessageId, Result, TenantId,
};

#[derive(Debug)]
pub struct GatedInbox {
    inner: Arc<dyn Inbox>,
    /// Ingest waits for a permit here while `held`.
    gate: Semaphore,
    held: AtomicBool,
    pub broken_ingest: AtomicBool,
    pub broken_reads: AtomicBool,
    /// Ingest calls that are waiting at the gate.
    pub waiting: AtomicUsize,
}

impl GatedInbox {
    pub fn new(inner: Arc<dyn Inbox>) -> Self {
        GatedInbox {
            inner,
            gate: Semaphore::new(0),
            held: AtomicBool::new(false),
            broken_ingest: AtomicBool::new(false),
            broken_reads: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn storage_down() -> Error {
    Error::new(ErrorKind::Storage, "the disk holding the database is full")
}

#[async_trait]
impl Inbox for GatedInbox {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        self.inner.save_account(account).await
    }
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        self.inner.account(tenant, id).await
    }
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        self.inner.accounts(tenant).await
    }
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        if self.broken_reads.load(Ordering::SeqCst) {
            return Err(storage_down());
        }
        self.inner.route(channel, platform_account_id).await
    }
    fn accepting(&self) -> Result<()> {
        self.inner.accepting()
    }
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        if self.held.load(Ordering::SeqCst) {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let permit = self.gate.acquire().await;
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
        }
        if self.broken_ingest.load(Ordering::SeqCst) {
            return Err(storage_down());
        }
        self.inner.ingest(events).await
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
        self.inner.search(tenant, query).await
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
