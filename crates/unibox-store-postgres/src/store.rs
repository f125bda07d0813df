//! [`PostgresStore`]: the PostgreSQL backend's [`Store`] bundle, every part from PostgreSQL.

use std::sync::Arc;

use unibox_core::Result;
use unibox_core::audit::AuditTrail;
use unibox_core::inbox::MAX_PAGE_SIZE;
use unibox_core::privacy::DataKeys;
use unibox_core::store::{Store, StoreCapabilities};
use unibox_vault::{StoreKeys, Vault};

use crate::{PostgresInbox, PostgresLifecycle, PostgresOptions};

/// The PostgreSQL store: one database holds the inbox (its conversation data sealed at rest
/// under each tenant's data key), the outbox and the change log, the platform tokens sealed by
/// the token [`Vault`] under per-tenant data keys wrapped by your [`StoreKeys`], the audit hash
/// chain (the vault's own records included), the agent roster, analytics, usage counters,
/// message credits, sessions, deletion requests, marketplace orders, history pull cursors, the
/// product catalog, conversation control, and retention and erasure ([`PostgresLifecycle`]);
/// an export of another store imports into it (`Store::restore`). Several processes may share
/// it. Hand it to
/// `Hub::builder`.
///
/// ```no_run
/// # async fn start() -> unibox_core::Result<()> {
/// use unibox_store_postgres::{PostgresOptions, PostgresStore};
/// use unibox_vault::StoreKeys;
/// let options = PostgresOptions::new("postgres://unibox_app@db.internal/unibox")?
///     .migrate_with("postgres://unibox_owner@db.internal/unibox")?;
/// let store = PostgresStore::connect(&options, StoreKeys::from_env("UNIBOX_VAULT_KEYS")?).await?;
/// assert!(store.capabilities().shared_across_processes);
/// let hub = unibox_core::Hub::builder(store).build();
/// # drop(hub);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct PostgresStore {
    inbox: Arc<PostgresInbox>,
    /// In an `Arc`: the inbox holds it weakly for its conversation keys.
    vault: Arc<Vault>,
    audit: Arc<AuditTrail>,
}

impl PostgresStore {
    /// Connects as [`PostgresInbox::connect`] does (migrating first when `options` name an
    /// owner role), then builds the vault and the audit trail over the same database and
    /// attaches the vault's data keys to the inbox. Fails like [`PostgresInbox::connect`].
    pub async fn connect(options: &PostgresOptions, keys: StoreKeys) -> Result<Self> {
        let inbox = Arc::new(PostgresInbox::connect(options).await?);
        Self::from_inbox(inbox, keys)
    }

    /// The store's parts over an inbox already connected: the vault over its sealed-token
    /// tables, the audit trail over its audit chain, and the vault's data keys attached to it
    /// (`Configuration` error if the inbox has keys already).
    pub fn from_inbox(inbox: Arc<PostgresInbox>, keys: StoreKeys) -> Result<Self> {
        let cipher = keys.cipher();
        let (provider, trail) = keys.audit_trail(inbox.clone());
        let audit = Arc::new(trail);
        let vault = Arc::new(Vault::builder(inbox.clone(), provider).audit(audit.clone()).cipher(cipher).build());
        let data_keys: Arc<dyn DataKeys> = vault.clone();
        inbox.attach_keys(Arc::downgrade(&data_keys))?;
        Ok(PostgresStore { inbox, vault, audit })
    }

    /// The inbox (every port of the store is implemented on it).
    pub fn inbox(&self) -> &Arc<PostgresInbox> {
        &self.inbox
    }

    /// The token vault (rotation, crypto-shredding, refresh events).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The audit trail (queries, verification, checkpoints).
    pub fn audit_trail(&self) -> &Arc<AuditTrail> {
        &self.audit
    }

    /// Retention and erasure over this store's inbox and vault (the bundle's `lifecycle` part).
    pub fn lifecycle(&self) -> PostgresLifecycle {
        PostgresLifecycle::new(self.inbox.clone(), self.vault.clone())
    }

    /// What this store can do: every part of the bundle.
    pub fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = StoreCapabilities::default();
        capabilities.durable = true;
        capabilities.sealed_tokens = true;
        capabilities.durable_audit = true;
        capabilities.outbox = true;
        capabilities.change_log = true;
        capabilities.shared_across_processes = true;
        capabilities.metering = true;
        capabilities.credits = true;
        capabilities.sessions = true;
        capabilities.deletion_requests = true;
        capabilities.orders = true;
        capabilities.sync_cursors = true;
        capabilities.catalog = true;
        capabilities.conversation_control = true;
        capabilities.lifecycle = true;
        capabilities.restore = true;
        capabilities.max_page_size = MAX_PAGE_SIZE;
        capabilities
    }
}

impl From<PostgresStore> for Store {
    fn from(postgres: PostgresStore) -> Store {
        let capabilities = postgres.capabilities();
        let lifecycle = Arc::new(postgres.lifecycle());
        let inbox = postgres.inbox;
        Store {
            accounts: inbox.clone(),
            ingest: inbox.clone(),
            reads: inbox.clone(),
            outbound: inbox.clone(),
            workflow: inbox.clone(),
            outbox: Some(inbox.clone()),
            changes: Some(inbox.clone()),
            tokens: postgres.vault,
            audit: postgres.audit,
            roster: inbox.clone(),
            analytics: inbox.clone(),
            meter: Some(inbox.clone()),
            credits: Some(inbox.clone()),
            sessions: Some(inbox.clone()),
            deletion_requests: Some(inbox.clone()),
            orders: Some(inbox.clone()),
            sync_cursors: Some(inbox.clone()),
            catalog: Some(inbox.clone()),
            restore: Some(inbox.clone()),
            lifecycle: Some(lifecycle),
            conversation_control: Some(inbox),
            capabilities,
        }
    }
}
