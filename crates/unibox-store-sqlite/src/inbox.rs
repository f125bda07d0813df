//! [`SqliteInbox`]: every inbox port ([`unibox_core::inbox`]) on one SQLite file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rusqlite::Connection;
use unibox_core::inbox::{
    Acceptance, ChannelAccounts, ConversationQuery, ConversationUpdate, EventIngest, InboxReads, IngestOutcome,
    MessageQuery, OutboundDraft, OutboundMessages, Page, RoutedEvent, SearchQuery, TeamWorkflow,
};
use unibox_core::privacy::DataKeys;
use unibox_core::workflow::{CannedReply, ContactProfile, ContactUpdate, ReadState};
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Conversation, ConversationId,
    DeliveryStatus, InternalNote, Message, MessageId, Result, TenantId, Timestamp, UserId,
};

use crate::codec::to_json;
use crate::connection::{Location, open_checkpointer, open_writer};
use crate::error::SqlResultExt;
use crate::file_lock::StoreLock;
use crate::journal::{
    self, Applier, DiskReserve, JournalEntry, JournalState, Pruner, journal_path, open_journal_reader,
    open_journal_writer,
};
use crate::options::SqliteOptions;
use crate::outbound::PreparedDraft;
use crate::readers::ReaderPool;
use crate::sealing::{self, Access, Sealer, Sealing};
use crate::writer::{Writer, WriterSetup};
use crate::{canned, contacts, ingest, outbound, queries, schema, search, workflow};

/// The embedded inbox, serving every [inbox port](unibox_core::inbox): one SQLite file holds every tenant's accounts, contacts,
/// conversations, messages and notes.
///
/// - **Durable.** WAL mode with `synchronous = FULL` by default: when a write returns `Ok`, it
///   survives a crash or power loss (see [`Synchronous`](crate::Synchronous)).
/// - **Group commit.** One writer thread owns the write connection and commits every queued
///   write call in one transaction (each in its own savepoint), so concurrent callers share one
///   disk flush.
/// - **Concurrent reads.** Read-only connections serve reads on tokio's blocking threads and
///   never wait for the writer.
/// - **Search.** An FTS5 trigram index finds substrings in any language, Thai and CJK included
///   (in a sealed store, a blind index of keyed trigram hashes; see `docs/privacy.md`).
/// - **Plain or sealed.** Opened with [`open`](Self::open) the inbox has no keys and stores
///   conversation data in plaintext; [`SqliteStore::open`](crate::SqliteStore::open) opens it
///   sealed (the default). A file keeps the mode it was created with.
/// - **Team workflow and analytics.** It is also an
///   [`AgentRoster`](unibox_core::workflow::AgentRoster) and an
///   [`Analytics`](unibox_core::analytics::Analytics): hand the same `Arc` to
///   `HubBuilder::roster` and `HubBuilder::analytics` to keep both in the same file.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::inbox::prelude::*;
/// use unibox_store_sqlite::SqliteInbox;
///
/// let dir = tempfile::tempdir().unwrap();
/// let inbox = SqliteInbox::open(dir.path().join("inbox.db")).await?;
/// assert!(inbox.accounts(&"acme".parse()?).await?.is_empty());
/// inbox.close().await;
/// # Ok(())
/// # }
/// ```
pub struct SqliteInbox {
    pub(crate) writer: Writer,
    reads: Reads,
    location: Location,
    /// The inbound journal of a file-backed inbox (see [`EventIngest::accept`]).
    journal: Option<InboundJournal>,
    /// Audit appends waiting for the writer (see `audit.rs`).
    pub(crate) audit: Arc<crate::audit::AuditAppends>,
    /// Whether conversation data is sealed, and with which keys (see `sealing`).
    pub(crate) sealing: Arc<Sealing>,
}

/// The inbound journal: its own file and writer thread.
struct InboundJournal {
    writer: Writer,
    state: Arc<JournalState>,
    max_backlog: u64,
    /// Accounts known to exist: they are never deleted, so one look each is enough.
    known_accounts: Mutex<HashSet<(TenantId, ChannelAccountId)>>,
}

enum Reads {
    /// A file: a pool of read-only connections.
    Pool(Arc<ReaderPool>),
    /// An in-memory database has one connection; reads go through the writer thread.
    Writer,
}

impl fmt::Debug for SqliteInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SqliteInbox");
        match &self.location {
            Location::File(path) => debug.field("path", path),
            Location::Memory => debug.field("path", &":memory:"),
        };
        debug.finish_non_exhaustive()
    }
}

impl SqliteInbox {
    /// Opens (creating it if needed) the database at `path` with the default
    /// [`SqliteOptions`], and brings its schema up to date.
    ///
    /// One store at a time per file: the open takes the file's lock (`<path>.lock`, an
    /// exclusive `flock` that the kernel lets go if the process dies) and holds it until the
    /// store is closed or dropped and its queued writes are finished. While another store (in
    /// this process or another) holds it, the open waits up to
    /// [`SqliteOptions::busy_timeout`] and then fails: several processes on one database need
    /// PostgreSQL.
    ///
    /// Fails with [`ErrorKind::Configuration`](unibox_core::ErrorKind::Configuration) if the file
    /// belongs to another application, was written by a newer version of this crate, or is
    /// open by another store, and with [`ErrorKind::Storage`](unibox_core::ErrorKind::Storage)
    /// if it cannot be opened.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use std::time::Duration;
    /// use unibox_store_sqlite::{SqliteInbox, SqliteOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("inbox.db");
    /// let inbox = SqliteInbox::open(&path).await?;
    /// let quick = SqliteOptions::new().busy_timeout(Duration::from_millis(50));
    /// let second = SqliteInbox::open_with(&path, quick.clone()).await.unwrap_err();
    /// assert_eq!(second.kind(), unibox_core::ErrorKind::Configuration);
    /// inbox.close().await;
    /// let again = SqliteInbox::open_with(&path, quick).await?;
    /// # drop(again);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// Opens the database at `path` with `options`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_store_sqlite::{SqliteInbox, SqliteOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let inbox = SqliteInbox::open_with(dir.path().join("inbox.db"), SqliteOptions::new().readers(2)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        Self::open_file(path.as_ref(), options, Arc::new(Sealing::plain())).await
    }

    /// Opens the file as a sealed inbox, waiting for its keys ([`attach_keys`](Self::attach_keys)):
    /// until they are attached nothing is applied from the journal.
    pub(crate) async fn open_sealed(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        Self::open_file(path.as_ref(), options, Arc::new(Sealing::sealed())).await
    }

    /// Attaches the keys of a sealed inbox, loads the seals of the tenants whose events wait in
    /// the journal, and starts applying it.
    pub(crate) async fn attach_keys(&self, keys: std::sync::Weak<dyn DataKeys>) -> Result<()> {
        let waiting = match (&self.location, &self.journal) {
            (Location::File(path), Some(_)) => {
                let journal = journal_path(path);
                tokio::task::spawn_blocking(move || -> Result<Vec<TenantId>> {
                    const OP: &str = "sqlite.open";
                    let conn = open_journal_reader(&journal, &SqliteOptions::default())?;
                    let mut statement = conn.prepare("SELECT DISTINCT tenant FROM inbound").during(OP)?;
                    let tenants = statement
                        .query_map([], |row| row.get::<_, String>(0))
                        .during(OP)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .during(OP)?;
                    tenants.iter().map(|tenant| tenant.parse()).collect()
                })
                .await
                .map_err(|_| {
                    unibox_core::Error::new(unibox_core::ErrorKind::Unexpected, "reading the journal panicked")
                })??
            }
            _ => Vec::new(),
        };
        self.sealing.attach(keys, waiting).await?;
        self.writer.nudge();
        Ok(())
    }

    /// Whether this inbox seals conversation data at rest.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// let inbox = unibox_store_sqlite::SqliteInbox::open_in_memory().await?;
    /// assert!(!inbox.seals_conversations());
    /// # Ok(())
    /// # }
    /// ```
    pub fn seals_conversations(&self) -> bool {
        self.sealing.is_sealed()
    }

    /// A write job of `tenant`'s conversation data, run with the tenant's sealer.
    pub(crate) async fn write_sealed<T, F>(&self, operation: &'static str, tenant: &TenantId, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&crate::writer::WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        let sealer = self.sealing.sealer(tenant, Access::Write).await?;
        self.writer.write(operation, move |tx| sealing::scope(&sealer, || work(tx))).await
    }

    /// A read of `tenant`'s conversation data, run with the tenant's sealer.
    pub(crate) async fn read_sealed<T, F>(&self, operation: &'static str, tenant: &TenantId, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let sealer = self.sealing.sealer(tenant, Access::Read).await?;
        self.read(operation, move |conn| sealing::scope(&sealer, || work(conn))).await
    }

    /// The writing sealers of the tenants of `events`.
    async fn sealers(&self, events: &[RoutedEvent]) -> Result<HashMap<TenantId, Sealer>> {
        let mut sealers = HashMap::new();
        for event in events {
            if !sealers.contains_key(&event.tenant) {
                sealers.insert(event.tenant.clone(), self.sealing.sealer(&event.tenant, Access::Write).await?);
            }
        }
        Ok(sealers)
    }

    async fn open_file(path: &Path, options: SqliteOptions, sealing: Arc<Sealing>) -> Result<Self> {
        let path: PathBuf = path.to_path_buf();
        let applier_sealing = Arc::clone(&sealing);
        let location = Location::File(path.clone());
        let opened = location.clone();
        let journal_file = journal_path(&path);
        // One store per file: taken before anything is opened, let go by the last writer thread.
        let (locked, wait) = (path.clone(), options.busy_timeout);
        let lock =
            tokio::task::spawn_blocking(move || StoreLock::acquire(&locked, wait, "sqlite.open")).await.map_err(
                |_| unibox_core::Error::new(unibox_core::ErrorKind::Unexpected, "locking the inbox file panicked"),
            )??;
        let lock = Arc::new(lock);
        let journal_lock = Arc::clone(&lock);
        let inbox_options = options.clone();
        let (writer, (pool, state, journal_conn)) =
            Writer::start(options.queue_capacity, options.max_batch, move || {
                let options = inbox_options;
                let conn = open_writer(&opened, &options)?;
                // The others open after the writer created and migrated the file.
                let journal_conn = open_journal_writer(&journal_path(&path), &options)?;
                let space = DiskReserve::new(&path, &journal_path(&path), options.disk_reserve_bytes);
                let state = JournalState::load(&conn, &journal_conn, space)?;
                crate::sealing::mode::settle(&conn, applier_sealing.is_sealed(), state.backlog() > 0)?;
                applier_sealing.load_message_ids(&conn)?;
                let reader = open_journal_reader(&journal_path(&path), &options)?;
                let applier = Applier::new(Arc::clone(&state), reader, options.max_journal_backlog, applier_sealing);
                let checkpointer = open_checkpointer(&path, &options)?;
                let pool = ReaderPool::open(path, options)?;
                Ok(WriterSetup {
                    conn,
                    checkpointer: Some(checkpointer),
                    background: Some(Box::new(applier)),
                    lock: Some(lock),
                    extra: (pool, state, journal_conn),
                })
            })
            .await?;
        let pruner_state = Arc::clone(&state);
        let inbox_writer = writer.clone();
        let journal_options = options.clone();
        let (journal_writer, ()) = Writer::start(options.queue_capacity, options.max_batch, move || {
            let pruner = Pruner::new(pruner_state, inbox_writer, &journal_conn)?;
            let checkpointer = open_checkpointer(&journal_file, &journal_options)?;
            Ok(WriterSetup {
                conn: journal_conn,
                checkpointer: Some(checkpointer),
                background: Some(Box::new(pruner)),
                lock: Some(journal_lock),
                extra: (),
            })
        })
        .await?;
        let journal = InboundJournal {
            writer: journal_writer,
            state,
            max_backlog: options.max_journal_backlog,
            known_accounts: Mutex::new(HashSet::new()),
        };
        let audit = Arc::default();
        Ok(SqliteInbox { writer, reads: Reads::Pool(Arc::new(pool)), location, journal: Some(journal), audit, sealing })
    }

    /// A private in-memory database, for tests and trials: nothing survives the inbox, and
    /// reads share the writer's connection.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::inbox::prelude::*;
    /// let inbox = unibox_store_sqlite::SqliteInbox::open_in_memory().await?;
    /// assert!(inbox.route(&"acme-line".parse()?, "U123").await?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteOptions::default();
        let (writer, ()) = Writer::start(options.queue_capacity, options.max_batch, move || {
            let conn = open_writer(&Location::Memory, &options)?;
            crate::sealing::mode::settle(&conn, false, false)?;
            Ok(WriterSetup { conn, checkpointer: None, background: None, lock: None, extra: () })
        })
        .await?;
        // Nothing outlives an in-memory inbox, so it has no journal: `accept` applies at once.
        let audit = Arc::default();
        let sealing = Arc::new(Sealing::plain());
        Ok(SqliteInbox { writer, reads: Reads::Writer, location: Location::Memory, journal: None, audit, sealing })
    }

    /// The schema version of the open database (always [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)
    /// once opened).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// let inbox = unibox_store_sqlite::SqliteInbox::open_in_memory().await?;
    /// assert_eq!(inbox.schema_version().await?, unibox_store_sqlite::SCHEMA_VERSION);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn schema_version(&self) -> Result<u32> {
        self.read_now("sqlite.schema_version", schema::stored_version).await
    }

    /// Finishes every write already submitted, then closes the connections. Dropping the inbox
    /// also finishes queued writes, in the background; `close` waits for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// let inbox = unibox_store_sqlite::SqliteInbox::open_in_memory().await?;
    /// inbox.close().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(self) {
        // Accepted events stay in the journal file and are applied after the next open.
        if let Some(journal) = &self.journal {
            journal.writer.close().await;
        }
        if let Reads::Pool(pool) = &self.reads {
            pool.close();
        }
        self.writer.close().await;
        let unapplied = self.unapplied_events();
        if let (Some(journal), true) = (self.journal_file(), unapplied > 0) {
            tracing::info!(
                target: "unibox::sqlite",
                events = unapplied,
                journal = %journal.display(),
                "closed with accepted events not applied to the inbox file yet: they are in the journal file, \
                 applied at the next open"
            );
        }
    }

    /// The inbound journal file, where accepted events wait until they are applied to the inbox
    /// file: the inbox's path with `.inbound` appended (`None` for an in-memory inbox). Keep it
    /// with the inbox file: both together hold every acknowledged event.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let inbox = unibox_store_sqlite::SqliteInbox::open(dir.path().join("inbox.db")).await?;
    /// assert_eq!(inbox.journal_file(), Some(dir.path().join("inbox.db.inbound")));
    /// # Ok(())
    /// # }
    /// ```
    pub fn journal_file(&self) -> Option<PathBuf> {
        match (&self.location, &self.journal) {
            (Location::File(path), Some(_)) => Some(journal_path(path)),
            _ => None,
        }
    }

    /// How many accepted events wait in the [journal file](Self::journal_file) to be applied to
    /// the inbox file (0 for an in-memory inbox, which applies them at once). At shutdown it
    /// says exactly where acknowledged events are.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let inbox = unibox_store_sqlite::SqliteInbox::open(dir.path().join("inbox.db")).await?;
    /// assert_eq!(inbox.unapplied_events(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn unapplied_events(&self) -> u64 {
        self.journal.as_ref().map_or(0, |journal| u64::try_from(journal.state.backlog()).unwrap_or(0))
    }

    /// The events an earlier run accepted and did not apply, as found when this inbox opened
    /// the file (they are applied in the background since).
    pub(crate) fn events_waiting_at_open(&self) -> u64 {
        self.journal.as_ref().map_or(0, |journal| u64::try_from(journal.state.waiting_at_open).unwrap_or(0))
    }

    /// Waits until every event accepted before this call is applied (see [`EventIngest::accept`]).
    pub(crate) async fn applied(&self, operation: &'static str) -> Result<()> {
        match &self.journal {
            Some(journal) => journal.state.wait_applied(operation, || self.writer.wake()).await,
            None => Ok(()),
        }
    }

    /// Fails with `NotFound` unless every account the entries name exists in its tenant.
    async fn check_accounts(&self, journal: &InboundJournal, entries: &[JournalEntry]) -> Result<()> {
        let mut unknown: Vec<(TenantId, ChannelAccountId)> = Vec::new();
        {
            let known = journal.known_accounts.lock().unwrap_or_else(PoisonError::into_inner);
            for entry in entries {
                let key = (entry.tenant.clone(), entry.account);
                if !known.contains(&key) && !unknown.contains(&key) {
                    unknown.push(key);
                }
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        let checked = unknown.clone();
        self.read_now("sqlite.accept", move |conn| {
            checked.iter().try_for_each(|(tenant, account)| ingest::check_account(conn, tenant, *account))
        })
        .await?;
        journal.known_accounts.lock().unwrap_or_else(PoisonError::into_inner).extend(unknown);
        Ok(())
    }

    /// Deletes every applied row from the inbound journal and truncates the journal's
    /// write-ahead log, so erased webhook bytes leave both files (`secure_delete` zeroes the
    /// rows' pages). Waits until what was accepted before is applied.
    pub(crate) async fn scrub_journal(&self, operation: &'static str) -> Result<()> {
        let Some(journal) = &self.journal else { return Ok(()) };
        self.applied(operation).await?;
        let through = journal.state.applied();
        journal
            .writer
            .read(operation, move |conn| {
                crate::journal::prune(conn, through).during(operation)?;
                let started = std::time::Instant::now();
                loop {
                    let busy: i64 =
                        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0)).during(operation)?;
                    if busy == 0 || started.elapsed() >= std::time::Duration::from_secs(2) {
                        return Ok(());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            })
            .await
    }

    /// Forgets the cached accounts of `tenant` (its accounts are being deleted).
    pub(crate) fn forget_known_accounts(&self, tenant: &TenantId) {
        if let Some(journal) = &self.journal {
            journal.known_accounts.lock().unwrap_or_else(PoisonError::into_inner).retain(|(owner, _)| owner != tenant);
        }
    }

    /// Waits until every event accepted before this call is applied, for lifecycle work.
    pub(crate) async fn wait_applied(&self, operation: &'static str) -> Result<()> {
        self.applied(operation).await
    }

    /// A read of conversation data: it sees every event accepted before it.
    pub(crate) async fn read<T, F>(&self, operation: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.applied(operation).await?;
        self.read_now(operation, work).await
    }

    /// A read of what the journal never changes (accounts, the schema): no need to wait for it.
    async fn read_now<T, F>(&self, operation: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        // One read transaction per call: a page and its reactions or tags come from one snapshot.
        let work = move |conn: &Connection| {
            let tx = conn.unchecked_transaction().map_err(|err| crate::error::storage(operation, err))?;
            let result = work(&tx);
            // Ending a read transaction cannot lose anything; a failure here is not the caller's.
            let _ = tx.finish();
            result
        };
        match &self.reads {
            Reads::Pool(pool) => pool.read(operation, work).await,
            Reads::Writer => self.writer.read(operation, work).await,
        }
    }
}

#[async_trait]
impl ChannelAccounts for SqliteInbox {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        let state_json = to_json(&account.state, "account state")?;
        let account = account.clone();
        self.writer.write("sqlite.save_account", move |conn| outbound::save_account(conn, &account, &state_json)).await
    }

    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        let tenant = tenant.clone();
        self.read_now("sqlite.account", move |conn| queries::account(conn, &tenant, id)).await
    }

    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        let tenant = tenant.clone();
        self.read_now("sqlite.accounts", move |conn| queries::accounts(conn, &tenant)).await
    }

    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        let channel = channel.clone();
        let platform_account_id = platform_account_id.to_owned();
        self.read_now("sqlite.route", move |conn| queries::route(conn, &channel, &platform_account_id)).await
    }
}

#[async_trait]
impl EventIngest for SqliteInbox {
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let sealers = self.sealers(&events).await?;
        let prepared = ingest::prepare(events, |tenant| Ok(sealers[tenant].clone()))?;
        self.writer.write("sqlite.ingest", move |conn| ingest::ingest(conn, &prepared)).await
    }

    /// Appends the events to the inbound journal file (one row each) and returns once that is
    /// durable; the inbox's writer applies them in large batches soon after, and every read waits
    /// for the events accepted before it. An in-memory inbox applies them at once.
    async fn accept(&self, events: Vec<RoutedEvent>) -> Result<Vec<Acceptance>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let Some(journal) = &self.journal else {
            let outcomes = self.ingest(events).await?;
            return Ok(outcomes.into_iter().map(Acceptance::from).collect());
        };
        let sealers = self.sealers(&events).await?;
        let entries = journal::prepare(events, |tenant| Ok(sealers[tenant].clone()))?;
        self.check_accounts(journal, &entries).await?;
        journal.state.admit(journal.max_backlog).await?;
        let state = Arc::clone(&journal.state);
        let accepted = journal.writer.write("sqlite.accept", move |tx| journal::accept(tx, &state, &entries)).await;
        accepted.inspect_err(|error| journal.state.space.note_failure(error))
    }

    /// `Err` ([`StorageFull`](unibox_core::ErrorKind::StorageFull)) while the disk has less
    /// free space than [`SqliteOptions::disk_reserve_bytes`] and `accept` refuses every call.
    fn accepting(&self) -> Result<()> {
        match &self.journal {
            Some(journal) => journal.state.space.check(),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl InboxReads for SqliteInbox {
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>> {
        query.validate()?;
        let tenant = tenant.clone();
        let query = query.clone();
        self.read("sqlite.conversations", move |conn| queries::conversations(conn, &tenant, &query)).await
    }

    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
        let tenant = tenant.clone();
        self.read("sqlite.conversation", move |conn| queries::conversation(conn, &tenant, id)).await
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        query.validate()?;
        let tenant = tenant.clone();
        let query = query.clone();
        self.read_sealed("sqlite.messages", &tenant.clone(), move |conn| {
            queries::messages(conn, &tenant, conversation, &query)
        })
        .await
    }

    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message> {
        let tenant = tenant.clone();
        self.read_sealed("sqlite.message", &tenant.clone(), move |conn| queries::message(conn, &tenant, id)).await
    }

    async fn messages_by_id(&self, tenant: &TenantId, ids: &[MessageId]) -> Result<Vec<Message>> {
        const OP: &str = "sqlite.messages_by_id";
        let (tenant, ids) = (tenant.clone(), ids.to_vec());
        // One read (one snapshot, one trip to a reader) for the whole page.
        self.read_sealed(OP, &tenant.clone(), move |conn| {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                found.extend(crate::rows::message(conn, &tenant, id, OP)?);
            }
            Ok(found)
        })
        .await
    }

    async fn latest_messages(&self, tenant: &TenantId, conversations: &[ConversationId]) -> Result<Vec<Message>> {
        const OP: &str = "sqlite.latest_messages";
        let (tenant, conversations) = (tenant.clone(), conversations.to_vec());
        // One read (one snapshot, one trip to a reader) for a whole inbox page.
        self.read_sealed(OP, &tenant.clone(), move |conn| {
            let newest = MessageQuery::new().limit(1);
            let mut found = Vec::with_capacity(conversations.len());
            for conversation in conversations {
                match queries::messages(conn, &tenant, conversation, &newest) {
                    Ok(page) => found.extend(page.items),
                    Err(error) if error.kind() == unibox_core::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(found)
        })
        .await
    }

    async fn contacts_by_id(&self, tenant: &TenantId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        const OP: &str = "sqlite.contacts_by_id";
        let (tenant, ids) = (tenant.clone(), ids.to_vec());
        self.read_sealed(OP, &tenant.clone(), move |conn| {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                match queries::contact(conn, &tenant, id) {
                    Ok(contact) => found.push(contact),
                    Err(error) if error.kind() == unibox_core::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(found)
        })
        .await
    }

    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        let tenant = tenant.clone();
        self.read_sealed("sqlite.contacts", &tenant.clone(), move |conn| queries::contacts(conn, &tenant, after, limit))
            .await
    }

    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        let tenant = tenant.clone();
        self.read_sealed("sqlite.contact", &tenant.clone(), move |conn| queries::contact(conn, &tenant, id)).await
    }

    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        let tenant = tenant.clone();
        let identity = identity.clone();
        self.read_sealed("sqlite.contact_by_identity", &tenant.clone(), move |conn| {
            queries::contact_by_identity(conn, &tenant, &identity)
        })
        .await
    }

    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        query.validate()?;
        let tenant = tenant.clone();
        let query = query.clone();
        self.read_sealed("sqlite.search", &tenant.clone(), move |conn| search::search(conn, &tenant, &query)).await
    }

    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        let tenant = tenant.clone();
        self.read_sealed("sqlite.notes", &tenant.clone(), move |conn| queries::notes(conn, &tenant, conversation)).await
    }
}

#[async_trait]
impl OutboundMessages for SqliteInbox {
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message> {
        let tenant = tenant.clone();
        let prepared = PreparedDraft::new(draft)?;
        self.applied("sqlite.record_outbound").await?;
        self.write_sealed("sqlite.record_outbound", &tenant.clone(), move |conn| {
            outbound::record_outbound(conn, &tenant, prepared)
        })
        .await
    }

    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message> {
        let tenant = tenant.clone();
        let platform_message_id = platform_message_id.map(str::to_owned);
        self.write_sealed("sqlite.update_delivery", &tenant.clone(), move |conn| {
            let platform_message_id = platform_message_id.as_deref();
            outbound::update_delivery(conn, &tenant, message, &status, platform_message_id, status.as_str())
        })
        .await
    }
}

#[async_trait]
impl TeamWorkflow for SqliteInbox {
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        update.validate()?;
        let tenant = tenant.clone();
        let update = update.clone();
        self.applied("sqlite.update_conversation").await?;
        self.writer
            .write("sqlite.update_conversation", move |conn| outbound::update_conversation(conn, &tenant, id, &update))
            .await
    }

    async fn add_note(&self, note: &InternalNote) -> Result<()> {
        let note = note.clone();
        self.applied("sqlite.add_note").await?;
        self.write_sealed("sqlite.add_note", &note.tenant.clone(), move |conn| outbound::add_note(conn, &note)).await
    }

    async fn mark_read_by(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<ReadState> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.writer
            .write("sqlite.mark_read_by", move |conn| workflow::mark_read_by(conn, &tenant, conversation, &user, up_to))
            .await
    }

    async fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ReadState>> {
        let (tenant, user, conversations) = (tenant.clone(), user.clone(), conversations.to_vec());
        self.read("sqlite.read_states", move |conn| workflow::read_states(conn, &tenant, &user, &conversations)).await
    }

    async fn open_assignments(&self, tenant: &TenantId) -> Result<HashMap<UserId, u32>> {
        let tenant = tenant.clone();
        self.read("sqlite.open_assignments", move |conn| workflow::open_assignments(conn, &tenant)).await
    }

    async fn assign_within_capacity(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[unibox_core::workflow::Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>> {
        const OP: &str = "sqlite.assign_within_capacity";
        let (tenant, candidates) = (tenant.clone(), candidates.to_vec());
        self.applied(OP).await?;
        self.writer.write(OP, move |conn| workflow::assign_within_capacity(conn, &tenant, id, &candidates, at)).await
    }

    async fn save_canned_reply(&self, reply: &CannedReply) -> Result<()> {
        reply.validate()?;
        let reply = reply.clone();
        self.writer.write("sqlite.save_canned_reply", move |conn| canned::save(conn, &reply)).await
    }

    async fn canned_replies(&self, tenant: &TenantId) -> Result<Vec<CannedReply>> {
        let tenant = tenant.clone();
        self.read("sqlite.canned_replies", move |conn| canned::list(conn, &tenant)).await
    }

    async fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
        let (tenant, shortcut) = (tenant.clone(), shortcut.to_owned());
        self.read("sqlite.canned_reply", move |conn| canned::get(conn, &tenant, &shortcut)).await
    }

    async fn delete_canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<()> {
        let (tenant, shortcut) = (tenant.clone(), shortcut.to_owned());
        self.writer.write("sqlite.delete_canned_reply", move |conn| canned::delete(conn, &tenant, &shortcut)).await
    }

    async fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<ContactProfile> {
        let tenant = tenant.clone();
        self.read_sealed("sqlite.contact_profile", &tenant.clone(), move |conn| {
            contacts::profile(conn, &tenant, id, "sqlite.contact_profile")
        })
        .await
    }

    async fn contacts_attribute(
        &self,
        tenant: &TenantId,
        ids: &[ContactId],
        name: &str,
    ) -> Result<HashMap<ContactId, String>> {
        const OP: &str = "sqlite.contacts_attribute";
        let (tenant, ids, name) = (tenant.clone(), ids.to_vec(), name.to_owned());
        self.read_sealed(OP, &tenant.clone(), move |conn| contacts::attribute_of_each(conn, &tenant, &ids, &name, OP))
            .await
    }

    async fn update_contact(&self, tenant: &TenantId, id: ContactId, update: &ContactUpdate) -> Result<ContactProfile> {
        update.validate()?;
        let (tenant, update) = (tenant.clone(), update.clone());
        self.write_sealed("sqlite.update_contact", &tenant.clone(), move |conn| {
            contacts::update(conn, &tenant, id, &update)
        })
        .await
    }

    async fn merge_contacts(&self, tenant: &TenantId, keep: ContactId, duplicate: ContactId) -> Result<ContactProfile> {
        let tenant = tenant.clone();
        self.write_sealed("sqlite.merge_contacts", &tenant.clone(), move |conn| {
            contacts::merge(conn, &tenant, keep, duplicate)
        })
        .await
    }
}
