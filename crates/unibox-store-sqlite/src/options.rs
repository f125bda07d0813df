//! How a [`SqliteInbox`](crate::SqliteInbox) opens and runs its database.

use std::time::Duration;

/// When SQLite waits for the disk. This decides what a committed write survives.
///
/// ```
/// use unibox_store_sqlite::Synchronous;
/// assert_eq!(Synchronous::default(), Synchronous::Full);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Synchronous {
    /// `PRAGMA synchronous = FULL`: every commit is flushed to the disk (`fsync`) before it
    /// returns. A write that returned `Ok` survives a process crash and a power loss. The default,
    /// because an acknowledged webhook must never be lost.
    #[default]
    Full,
    /// `PRAGMA synchronous = NORMAL`: in WAL mode, commits are flushed at checkpoints only.
    /// Survives a process crash, but a power loss or kernel panic can lose the last commits,
    /// which were already acknowledged. Faster on slow disks; use only if you accept that.
    Normal,
}

impl Synchronous {
    pub(crate) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Options for [`SqliteInbox::open_with`](crate::SqliteInbox::open_with).
///
/// The defaults suit a server: write-ahead logging with `synchronous = FULL` (durable
/// commits), four reader connections, a five-second busy timeout.
///
/// ```
/// use std::time::Duration;
/// use unibox_store_sqlite::{SqliteOptions, Synchronous};
/// let options = SqliteOptions::new()
///     .readers(8)
///     .busy_timeout(Duration::from_secs(10))
///     .synchronous(Synchronous::Full);
/// assert_ne!(options, SqliteOptions::default());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    pub(crate) readers: usize,
    pub(crate) busy_timeout: Duration,
    pub(crate) synchronous: Synchronous,
    pub(crate) max_batch: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) cache_size_kib: u32,
    pub(crate) max_journal_backlog: u64,
    pub(crate) disk_reserve_bytes: u64,
    pub(crate) conversation_sealing: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
            max_batch: 1024,
            queue_capacity: 4096,
            cache_size_kib: 16 * 1024,
            max_journal_backlog: 100_000,
            disk_reserve_bytes: 64 * 1024 * 1024,
            conversation_sealing: true,
        }
    }
}

impl SqliteOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many read-only connections serve reads concurrently (at least 1; default 4).
    /// Reads never wait for writes: in WAL mode each reader sees the last committed state.
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// How long a connection waits for a lock held by another process before failing with a
    /// temporary [`Storage`](unibox_core::ErrorKind::Storage) error (default 5 s). Also how long
    /// an open waits for another store on the same file to let go of it (see
    /// [`SqliteInbox::open`](crate::SqliteInbox::open)) before failing with a
    /// [`Configuration`](unibox_core::ErrorKind::Configuration) error.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// When commits reach the disk (default [`Synchronous::Full`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The most write calls committed together in one transaction (at least 1; default 1024).
    /// Larger batches share one disk flush between more callers.
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    /// How many write calls may wait for the writer before callers wait to enqueue theirs
    /// (at least 1; default 4096).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// The page cache of each connection, in KiB (default 16 MiB).
    pub fn cache_size_kib(mut self, kib: u32) -> Self {
        self.cache_size_kib = kib;
        self
    }

    /// How many accepted events may wait in the inbound journal to be applied before
    /// [`EventIngest::accept`](unibox_core::inbox::EventIngest::accept) refuses more with a temporary
    /// [`Storage`](unibox_core::ErrorKind::Storage) error that asks to retry after a second
    /// (at least 1; default 100,000, a few seconds of applying). It bounds the journal and how
    /// long a read waits for the events accepted before it. Past half of it, `accept` first
    /// waits (up to 250 ms) for applying to make room, so an overload slows acknowledgements
    /// down before any is refused.
    pub fn max_journal_backlog(mut self, events: u64) -> Self {
        self.max_journal_backlog = events.max(1);
        self
    }

    /// The free space, in bytes, kept on the inbox's file system for applying and checkpointing
    /// what was already accepted (default 64 MiB; 0 turns the check off). While less is free,
    /// [`EventIngest::accept`](unibox_core::inbox::EventIngest::accept) refuses new events with a temporary
    /// [`StorageFull`](unibox_core::ErrorKind::StorageFull) error (a webhook answers `503` with
    /// `Retry-After`, and the platform retries) and
    /// [`EventIngest::accepting`](unibox_core::inbox::EventIngest::accepting) says so, while the events accepted
    /// before keep being applied into the room left. Accepting resumes by itself once the free
    /// space is back above the reserve. The free space is looked at (one `statvfs`) at most every
    /// 100 ms, not per event, so the reserve should exceed what 100 ms of webhooks write plus one
    /// round of applying (a few MiB).
    ///
    /// ```
    /// use unibox_store_sqlite::SqliteOptions;
    /// let options = SqliteOptions::new().disk_reserve_bytes(256 * 1024 * 1024);
    /// assert_ne!(options, SqliteOptions::default());
    /// ```
    pub fn disk_reserve_bytes(mut self, bytes: u64) -> Self {
        self.disk_reserve_bytes = bytes;
        self
    }

    /// Whether [`SqliteStore::open_with`](crate::SqliteStore::open_with) seals conversation data
    /// at rest (default `true`): message content, notes, contact names, identities and profile
    /// attributes, order details, event payloads and the events waiting in the inbound journal
    /// are sealed with the tenant's data key from the store's vault before they reach a file,
    /// and lookups and search go through keyed blind indexes (`docs/privacy.md`).
    ///
    /// `false` stores them in plaintext: a documented choice for measuring what sealing costs,
    /// or for a deployment whose disk encryption is enough. A file keeps the mode it was created
    /// with; opening it in the other mode fails with a
    /// [`Configuration`](unibox_core::ErrorKind::Configuration) error. A plaintext file is
    /// sealed in place by [`SqliteStore::seal_plaintext_file`](crate::SqliteStore::seal_plaintext_file). [`SqliteInbox::open`](crate::SqliteInbox::open)
    /// and [`SqliteInbox::open_with`](crate::SqliteInbox::open_with), which have no keys, always
    /// open a plain inbox.
    ///
    /// ```
    /// use unibox_store_sqlite::SqliteOptions;
    /// let unsealed = SqliteOptions::new().conversation_sealing(false);
    /// assert_ne!(unsealed, SqliteOptions::default());
    /// ```
    pub fn conversation_sealing(mut self, sealed: bool) -> Self {
        self.conversation_sealing = sealed;
        self
    }
}
