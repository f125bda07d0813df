//! A decorator of one port of the store bundle replaces that port alone: the hub built over the
//! decorated bundle still has the outbox, the change log and every other part. (When the inbox
//! was one wide trait with `outbox()` and `changes()` accessors, a forwarding wrapper silently
//! dropped both.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use unibox_core::changes::{ChangeKind, Position};
use unibox_core::delivery::DeliveryWorker;
use unibox_core::inbox::{ConversationQuery, InboxReads, MessageQuery, Page, RoutedEvent, SearchQuery};
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::{
    Actor, ChannelAccount, ChannelKind, Contact, ContactId, ContactIdentity, Content, Conversation, ConversationId,
    EventKind, IdentityKind, InboundEvent, InboundMessage, InternalNote, Message, MessageId, PlatformUser, Result,
    Role, TenantId, Timestamp, async_trait,
};

/// Reads that count how often they are asked, in front of the store's own.
#[derive(Debug)]
struct CountedReads {
    inner: Arc<dyn InboxReads>,
    calls: AtomicUsize,
}

impl CountedReads {
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl InboxReads for CountedReads {
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>> {
        self.count();
        self.inner.conversations(tenant, query).await
    }
    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
        self.count();
        self.inner.conversation(tenant, id).await
    }
    async fn messages(&self, tenant: &TenantId, id: ConversationId, query: &MessageQuery) -> Result<Page<Message>> {
        self.count();
        self.inner.messages(tenant, id, query).await
    }
    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message> {
        self.count();
        self.inner.message(tenant, id).await
    }
    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        self.count();
        self.inner.contacts(tenant, after, limit).await
    }
    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        self.count();
        self.inner.contact(tenant, id).await
    }
    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        self.count();
        self.inner.contact_by_identity(tenant, identity).await
    }
    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        self.count();
        self.inner.search(tenant, query).await
    }
    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        self.count();
        self.inner.notes(tenant, conversation).await
    }
}

#[tokio::test]
async fn a_decorated_read_port_leaves_the_outbox_and_the_change_log_working() {
    let mut store: Store = MemoryStore::new().into();
    let counted = Arc::new(CountedReads { inner: store.reads.clone(), calls: AtomicUsize::new(0) });
    store.reads = counted.clone();
    let hub = unibox_core::Hub::builder(store).build();
    assert!(hub.store_capabilities().outbox && hub.store().outbox.is_some(), "the outbox is still there");
    assert!(hub.store_capabilities().change_log && hub.store().changes.is_some(), "the change log too");

    let tenant: TenantId = "acme".parse().unwrap();
    let admin = Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    let mut changes = hub.subscribe(&admin, Some(Position::START)).await.unwrap();
    let account =
        ChannelAccount::new(tenant.clone(), "line".parse().unwrap(), ChannelKind::LINE, "Ub99", Timestamp::now());
    hub.store().accounts.save_account(&account).await.unwrap();
    let customer = PlatformUser::new(IdentityKind::LineUserId, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
    let message = InboundMessage::inbound(customer, "m-1", Content::text("Is the blue kettle in stock?"));
    let event = InboundEvent {
        id: "evt-1".into(),
        account: "Ub99".into(),
        occurred_at: Timestamp::now(),
        kind: EventKind::Message(message),
    };
    let routed = RoutedEvent { tenant: tenant.clone(), account: account.id, received_at: Timestamp::now(), event };
    hub.store().ingest.accept(vec![routed]).await.unwrap();

    let change = changes.next().await.expect("the subscription goes on").unwrap();
    assert_eq!(change.change.kind, ChangeKind::MessageAdded, "the change log still reaches subscribers");
    let page = hub.conversations(&admin, &ConversationQuery::new()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(counted.calls.load(Ordering::SeqCst) >= 1, "reads go through the decorator");
    let round = DeliveryWorker::new(hub.clone()).run_once().await.expect("the worker still finds the outbox");
    assert_eq!(round.claimed, 0);
}
