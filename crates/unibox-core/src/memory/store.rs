//! [`MemoryStore`]: the memory backend's [`Store`] bundle, chosen by name for tests and trials.

use std::sync::Arc;

use crate::audit::{AuditKey, AuditTrail};
use crate::changes::ChangeLog;
use crate::inbox::MAX_PAGE_SIZE;
use crate::inbox::{ChannelAccounts, EventIngest, InboxReads, OutboundMessages, TeamWorkflow};
use crate::memory::{
    MemoryAgentRoster, MemoryAnalytics, MemoryAuditLog, MemoryCatalog, MemoryConversationControl, MemoryCreditLedger,
    MemoryDeletionRequests, MemoryInbox, MemoryOrderStore, MemorySessionStore, MemorySyncCursors, MemoryTokenStore,
    MemoryUsageMeter,
};
use crate::outbox::Outbox;
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
    /// A fresh memory store with an empty [`MemoryInbox`].
    pub fn new() -> Self {
        Self::with_inbox(Arc::new(MemoryInbox::new()))
    }

    /// Memory parts around `inbox`, a backend object that serves every inbox port, the outbox
    /// and the change log (a [`MemoryInbox`], or a SQLite inbox under test): the tokens, audit
    /// trail, roster, analytics, usage, sessions, deletion requests, orders, catalog and
    /// conversation control are in memory. The
    /// capabilities say so: the bundle is not durable even when the inbox is.
    pub fn with_inbox<B>(inbox: Arc<B>) -> Self
    where
        B: ChannelAccounts + EventIngest + InboxReads + OutboundMessages + TeamWorkflow + Outbox + ChangeLog,
    {
        let capabilities = StoreCapabilities {
            outbox: true,
            change_log: true,
            metering: true,
            credits: true,
            sessions: true,
            deletion_requests: true,
            orders: true,
            sync_cursors: true,
            catalog: true,
            conversation_control: true,
            max_page_size: MAX_PAGE_SIZE,
            ..StoreCapabilities::default()
        };
        let audit = Arc::new(AuditTrail::new(Arc::new(MemoryAuditLog::new()), random_audit_key()));
        MemoryStore {
            store: Store {
                accounts: inbox.clone(),
                ingest: inbox.clone(),
                reads: inbox.clone(),
                outbound: inbox.clone(),
                workflow: inbox.clone(),
                outbox: Some(inbox.clone()),
                changes: Some(inbox),
                tokens: Arc::new(MemoryTokenStore::new()),
                audit,
                roster: Arc::new(MemoryAgentRoster::new()),
                analytics: Arc::new(MemoryAnalytics::new()),
                meter: Some(Arc::new(MemoryUsageMeter::new())),
                credits: Some(Arc::new(MemoryCreditLedger::new())),
                sessions: Some(Arc::new(MemorySessionStore::new())),
                deletion_requests: Some(Arc::new(MemoryDeletionRequests::new())),
                orders: Some(Arc::new(MemoryOrderStore::new())),
                sync_cursors: Some(Arc::new(MemorySyncCursors::new())),
                catalog: Some(Arc::new(MemoryCatalog::new())),
                conversation_control: Some(Arc::new(MemoryConversationControl::new())),
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
