//! [`SqliteStore`]: the SQLite backend's [`Store`] bundle, every part in one file.

use std::path::Path;
use std::sync::Arc;

use unibox_core::Result;
use unibox_core::audit::AuditTrail;
use unibox_core::inbox::MAX_PAGE_SIZE;
use unibox_core::store::{Store, StoreCapabilities};
use unibox_vault::{StoreKeys, Vault};

use crate::{SqliteInbox, SqliteLifecycle, SqliteOptions};

/// The embedded SQLite store: one file holds the inbox (with its outbox and change log, its
/// conversation data sealed at rest under each tenant's data key by default, see
/// [`SqliteOptions::conversation_sealing`]), the
/// platform tokens sealed by the token [`Vault`] (XChaCha20-Poly1305, or AES-256-GCM-SIV chosen
/// with [`StoreKeys::with_cipher`], under per-tenant data keys wrapped by your [`StoreKeys`]), the
/// audit hash chain (the vault's own records included), the agent roster, analytics, usage
/// counters, message credits, sessions, deletion requests, marketplace orders, history pull
/// cursors and the product catalog. Hand it to
/// `Hub::builder`; opening it again on the next start finds everything where it was.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_store_sqlite::SqliteStore;
/// use unibox_vault::{Keyring, StoreKeys};
/// let dir = tempfile::tempdir().unwrap();
/// # let text = Keyring::generate_entry(1);
/// // Production: StoreKeys::from_env("UNIBOX_VAULT_KEYS")? or StoreKeys::from_file(path)?
/// let keys = StoreKeys::try_from(Keyring::parse(&text)?)?;
/// let store = SqliteStore::open(dir.path().join("inbox.db"), keys).await?;
/// assert!(store.capabilities().durable && store.capabilities().sealed_tokens);
/// assert!(store.inbox().seals_conversations());
/// let hub = unibox_core::Hub::builder(store).build();
/// # drop(hub);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inbox: Arc<SqliteInbox>,
    /// In an `Arc`: a sealed inbox holds it weakly for its conversation keys.
    vault: Arc<Vault>,
    audit: Arc<AuditTrail>,
}

impl SqliteStore {
    /// Opens (creating it if needed) the store at `path` with the default [`SqliteOptions`].
    /// Fails like [`SqliteInbox::open`].
    pub async fn open(path: impl AsRef<Path>, keys: StoreKeys) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default(), keys).await
    }

    /// Opens the store at `path` with `options`. Conversation data is sealed at rest under the
    /// vault's per-tenant data keys unless `options` turn it off
    /// ([`SqliteOptions::conversation_sealing`]).
    ///
    /// Fails with [`Configuration`](unibox_core::ErrorKind::Configuration) when the file was
    /// created in the other mode (a file never mixes the two), and, like
    /// [`SqliteInbox::open_with`], when another store has the file open. A plaintext file is turned into a
    /// sealed one by [`seal_plaintext_file`](Self::seal_plaintext_file) (or
    /// `unibox-store seal --db PATH`).
    pub async fn open_with(path: impl AsRef<Path>, options: SqliteOptions, keys: StoreKeys) -> Result<Self> {
        if !options.conversation_sealing {
            let inbox = Arc::new(SqliteInbox::open_with(path, options).await?);
            return Ok(Self::from_inbox(inbox, keys));
        }
        let inbox = Arc::new(SqliteInbox::open_sealed(path, options).await?);
        let store = Self::from_inbox(inbox, keys);
        let vault = Arc::clone(&store.vault);
        let keys: Arc<dyn unibox_core::privacy::DataKeys> = vault;
        store.inbox.attach_keys(Arc::downgrade(&keys)).await?;
        Ok(store)
    }

    /// Seals the plaintext inbox file at `path` in place, with the vault `keys` the sealed store
    /// will be opened with: afterwards the file holds exactly what a sealed store would have
    /// written (every conversation value sealed under its tenant's data key, looked-up values as
    /// their blinds, the blind search index instead of the plaintext one, the sealed mode
    /// recorded), and no page, free page or log of the file or of its inbound journal keeps the
    /// plaintext (`VACUUM`, then the logs checkpointed and truncated). Open it with
    /// [`open`](Self::open) afterwards.
    ///
    /// An offline operation: stop every process using the file first. The events waiting in the
    /// inbound journal are applied before sealing. The values are rewritten in one transaction
    /// that holds the file and its journal exclusively: a failure (a store still open on the
    /// file: a [`Configuration`](unibox_core::ErrorKind::Configuration) error, as for
    /// [`open`](Self::open); something else holding the file's SQLite locks: a temporary busy
    /// [`Storage`](unibox_core::ErrorKind::Storage) error; a tenant whose keys cannot be loaded)
    /// leaves the file plaintext and usable. On a file already sealed
    /// nothing is sealed ([`SealReport::nothing_to_do`](crate::SealReport::nothing_to_do)); only a scrub (`VACUUM`, logs
    /// truncated) runs when the file still has free pages or a log, which finishes a sealing
    /// interrupted after its commit. `options` give the busy timeout and how the store is opened
    /// for applying the journal (its `conversation_sealing` is ignored). The file's size is
    /// needed again as free space (`VACUUM` copies it), and every row is held in memory table by
    /// table while it is rewritten.
    ///
    /// Fails with [`NotFound`](unibox_core::ErrorKind::NotFound) when there is no file at `path`,
    /// and like [`open_with`](Self::open_with) for a file that is not a unibox inbox.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_store_sqlite::{SqliteOptions, SqliteStore};
    /// use unibox_vault::{Keyring, StoreKeys};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("inbox.db");
    /// # let entry = Keyring::generate_entry(1);
    /// let keys = || StoreKeys::try_from(Keyring::parse(&entry).unwrap()).unwrap();
    /// // A file written with sealing off.
    /// let plain = SqliteOptions::new().conversation_sealing(false);
    /// drop(SqliteStore::open_with(&path, plain, keys()).await?);
    /// let report = SqliteStore::seal_plaintext_file(&path, keys(), SqliteOptions::new()).await?;
    /// assert!(!report.nothing_to_do());
    /// let store = SqliteStore::open(&path, keys()).await?;
    /// assert!(store.inbox().seals_conversations());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn seal_plaintext_file(
        path: impl AsRef<Path>,
        keys: StoreKeys,
        options: SqliteOptions,
    ) -> Result<crate::SealReport> {
        crate::sealing::in_place::seal_plaintext_file(path.as_ref(), keys, options).await
    }

    /// The store's parts over an inbox already open (tokens, audit trail and the rest live in
    /// the same file). The inbox keeps its mode: an inbox from [`SqliteInbox::open`] stores
    /// conversation data in plaintext; [`open`](Self::open) gives a sealed one.
    pub fn from_inbox(inbox: Arc<SqliteInbox>, keys: StoreKeys) -> Self {
        let cipher = keys.cipher();
        let (provider, trail) = keys.audit_trail(inbox.clone());
        let audit = Arc::new(trail);
        let vault = Vault::builder(inbox.clone(), provider).audit(audit.clone()).cipher(cipher).build();
        SqliteStore { inbox, vault: Arc::new(vault), audit }
    }

    /// The inbox (for its SQLite-specific operations: [`SqliteInbox::close`] after the hub is
    /// dropped, [`SqliteInbox::schema_version`]).
    pub fn inbox(&self) -> &Arc<SqliteInbox> {
        &self.inbox
    }

    /// The token vault (rotation, crypto-shredding, refresh events).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Retention and erasure over this store (also the bundle's `lifecycle` part).
    pub fn lifecycle(&self) -> SqliteLifecycle {
        SqliteLifecycle::new(self.inbox.clone(), (*self.vault).clone())
    }

    /// The audit trail (queries, verification, checkpoints).
    pub fn audit_trail(&self) -> &Arc<AuditTrail> {
        &self.audit
    }

    /// What this store can do: everything, durably.
    pub fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = StoreCapabilities::default();
        capabilities.durable = true;
        capabilities.sealed_tokens = true;
        capabilities.durable_audit = true;
        capabilities.outbox = true;
        capabilities.change_log = true;
        // One store per file (the file's lock): several processes need PostgreSQL.
        capabilities.shared_across_processes = false;
        capabilities.metering = true;
        capabilities.credits = true;
        capabilities.sessions = true;
        capabilities.deletion_requests = true;
        capabilities.orders = true;
        capabilities.sync_cursors = true;
        capabilities.catalog = true;
        capabilities.restore = true;
        capabilities.lifecycle = true;
        capabilities.conversation_control = true;
        capabilities.max_page_size = MAX_PAGE_SIZE;
        capabilities
    }
}

impl From<SqliteStore> for Store {
    fn from(sqlite: SqliteStore) -> Store {
        let capabilities = sqlite.capabilities();
        let lifecycle = Arc::new(sqlite.lifecycle());
        let inbox = sqlite.inbox;
        Store {
            accounts: inbox.clone(),
            ingest: inbox.clone(),
            reads: inbox.clone(),
            outbound: inbox.clone(),
            workflow: inbox.clone(),
            outbox: Some(inbox.clone()),
            changes: Some(inbox.clone()),
            tokens: sqlite.vault,
            audit: sqlite.audit,
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
