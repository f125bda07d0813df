//! [`MemoryStore`]: the memory backend's [`Store`] bundle, chosen by name for tests and trials.

use std::sync::Arc;

use crate::audit::{AuditKey, AuditTrail};
use crate::changes::ChangeLog;
use crate::inbox::MAX_PAGE_SIZE;
use crate::inbox::{ChannelAccounts, EventIngest, InboxReads, OutboundMessages, TeamWorkflow};
use crate::lifecycle::DataLifecycle;
use crate::memory::lifecycle::MemoryLifecycle;
use crate::memory::{
    MemoryAgentRoster, MemoryAnalytics, MemoryAuditLog, MemoryCatalog, MemoryCreditLedger, MemoryDeletionRequests,
    MemoryInbox, MemoryOrderStore, MemoryRestore, MemorySessionStore, MemorySyncCursors, MemoryTokenStore,
    MemoryUsageMeter,
};
use crate::outbox::Outbox;
use crate::privacy::export::Restore;
use crate::store::{Store, StoreCapabilities};
use crate::{Error, ErrorKind};

/// Every part in process memory: nothing survives a restart, tokens are not encrypted, and the
/// audit trail's checkpoint key is random and forgotten at exit. For tests and trials; a
/// product uses a durable store (`unibox_store_sqlite::SqliteStore`).
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::Hub;
/// use unibox_core::memory::{MemoryInbox, MemoryStore};
///
/// let hub = Hub::builder(MemoryStore::new()).build();
/// // Or around an inbox the test keeps a handle on:
/// let inbox = Arc::new(MemoryInbox::new());
/// let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone())).build();
/// # drop(hub);
/// ```
#[derive(Clone, Debug)]
pub struct MemoryStore {
    store: Store,
}

impl MemoryStore {
    /// A fresh memory store with an empty [`MemoryInbox`], with every part, retention and
    /// erasure included ([`Store::lifecycle`]).
    pub fn new() -> Self {
        let inbox = Arc::new(MemoryInbox::new());
        Self::build(inbox.clone(), Some(inbox))
    }

    /// Memory parts around `inbox`, a backend object that serves every inbox port, the outbox
    /// and the change log (a [`MemoryInbox`], or a SQLite inbox under test): the tokens, audit
    /// trail, roster, analytics, usage, sessions and deletion requests are in memory. The
    /// capabilities say so: the bundle is not durable even when the inbox is. When the inbox is
    /// a [`MemoryInbox`], exports can be imported ([`Store::restore`]) and retention and erasure
    /// run ([`Store::lifecycle`]); around another inbox the bundle has neither.
    pub fn with_inbox<B>(inbox: Arc<B>) -> Self
    where
        B: ChannelAccounts + EventIngest + InboxReads + OutboundMessages + TeamWorkflow + Outbox + ChangeLog,
    {
        let any: Arc<dyn std::any::Any + Send + Sync> = inbox.clone();
        let memory = any.downcast::<MemoryInbox>().ok();
        Self::build(inbox, memory)
    }

    fn build<B>(inbox: Arc<B>, memory_inbox: Option<Arc<MemoryInbox>>) -> Self
    where
        B: ChannelAccounts + EventIngest + InboxReads + OutboundMessages + TeamWorkflow + Outbox + ChangeLog,
    {
        let tokens = Arc::new(MemoryTokenStore::new());
        let audit_log = Arc::new(MemoryAuditLog::new());
        let roster = Arc::new(MemoryAgentRoster::new());
        let analytics = Arc::new(MemoryAnalytics::new());
        let meter = Arc::new(MemoryUsageMeter::new());
        let credits = Arc::new(MemoryCreditLedger::new());
        let sessions = Arc::new(MemorySessionStore::new());
        let deletion_requests = Arc::new(MemoryDeletionRequests::new());
        let orders = Arc::new(MemoryOrderStore::new());
        let sync_cursors = Arc::new(MemorySyncCursors::new());
        let catalog = Arc::new(MemoryCatalog::new());
        let lifecycle = memory_inbox.clone().map(|inbox| {
            Arc::new(MemoryLifecycle {
                inbox,
                tokens: tokens.clone(),
                audit: audit_log.clone(),
                roster: roster.clone(),
                analytics: analytics.clone(),
                meter: meter.clone(),
                credits: credits.clone(),
                sessions: sessions.clone(),
                deletion_requests: deletion_requests.clone(),
                orders: orders.clone(),
                sync_cursors: sync_cursors.clone(),
                catalog: catalog.clone(),
            }) as Arc<dyn DataLifecycle>
        });
        let restore = memory_inbox
            .map(|memory| Arc::new(MemoryRestore::new(memory, orders.clone(), audit_log.clone())) as Arc<dyn Restore>);
        let capabilities = StoreCapabilities {
            lifecycle: lifecycle.is_some(),
            outbox: true,
            change_log: true,
            metering: true,
            credits: true,
            sessions: true,
            deletion_requests: true,
            orders: true,
            sync_cursors: true,
            catalog: true,
            restore: restore.is_some(),
            max_page_size: MAX_PAGE_SIZE,
            ..StoreCapabilities::default()
        };
        let audit = Arc::new(AuditTrail::new(audit_log, random_audit_key()));
        MemoryStore {
            store: Store {
                accounts: inbox.clone(),
                ingest: inbox.clone(),
                reads: inbox.clone(),
                outbound: inbox.clone(),
                workflow: inbox.clone(),
                outbox: Some(inbox.clone()),
                changes: Some(inbox),
                tokens,
                audit,
                roster,
                analytics,
                meter: Some(meter),
                credits: Some(credits),
                sessions: Some(sessions),
                deletion_requests: Some(deletion_requests),
                orders: Some(orders),
                sync_cursors: Some(sync_cursors),
                catalog: Some(catalog),
                lifecycle,
                restore,
                capabilities,
            },
        }
    }

    /// The audit trail, to query or verify.
    pub fn audit_trail(&self) -> &Arc<AuditTrail> {
        &self.store.audit
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl From<MemoryStore> for Store {
    fn from(memory: MemoryStore) -> Store {
        memory.store
    }
}

/// A checkpoint key that lives as long as the memory it signs for.
fn random_audit_key() -> AuditKey {
    let mut secret = vec![0u8; AuditKey::MIN_LEN];
    let key = getrandom::fill(&mut secret)
        .map_err(|e| Error::new(ErrorKind::Unexpected, format!("the system random generator failed: {e}")))
        .and_then(|()| AuditKey::new("memory", secret));
    // Like `Uuid::now_v7`, which every new id uses: without the system's random generator
    // there is no safe key, and a process without one cannot create ids either.
    key.unwrap_or_else(|error| panic!("cannot create the memory store's audit key: {error}"))
}
