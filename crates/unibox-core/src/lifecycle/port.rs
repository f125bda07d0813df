//! [`DataLifecycle`]: the backend operations retention and erasure need, and nothing more.
//! The rules (what is due, what is held, when a request is done) live in
//! [`LifecycleJob`](super::LifecycleJob); a backend only lists and deletes.

use std::fmt;
use std::ops::AddAssign;

use async_trait::async_trait;

use crate::{ChannelId, ContactId, ConversationId, MessageId, NoteId, Result, TenantId, Timestamp};

/// The kinds of record retention judges one by one (they belong to a conversation, so legal
/// holds and per-channel periods apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Messages (with their reactions, search text, outbox job, pending changes and change-log rows).
    Message,
    /// Internal notes.
    Note,
}

/// One record of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordRef {
    /// A message.
    Message(MessageId),
    /// An internal note.
    Note(NoteId),
}

impl RecordRef {
    /// The id's 16 bytes (the keyset tie-breaker of [`DataLifecycle::expired`]).
    pub fn id_bytes(&self) -> [u8; 16] {
        match self {
            RecordRef::Message(id) => *id.as_bytes(),
            RecordRef::Note(id) => *id.as_bytes(),
        }
    }
}

/// A record older than a cutoff, with what retention needs to judge it.
///
/// ```
/// use unibox_core::lifecycle::{ExpiredRecord, RecordRef, RetentionPolicy};
/// use unibox_core::{ContactId, ConversationId, MessageId, Timestamp};
/// let record = ExpiredRecord {
///     record: RecordRef::Message(MessageId::new()),
///     conversation: ConversationId::new(),
///     contact: ContactId::new(),
///     channel: "line".parse().unwrap(),
///     at: Timestamp::from_unix_seconds(0),
/// };
/// let now = Timestamp::from_unix_seconds(400 * 86_400);
/// assert!(RetentionPolicy::default().is_due(&record, now));
/// assert!(!RetentionPolicy::default().hold_contact(record.contact).is_due(&record, now));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredRecord {
    /// Which record.
    pub record: RecordRef,
    /// Its conversation.
    pub conversation: ConversationId,
    /// The conversation's contact.
    pub contact: ContactId,
    /// The channel of the conversation's account.
    pub channel: ChannelId,
    /// When it was sent (messages) or written (notes).
    pub at: Timestamp,
}

/// Where a listing of [`DataLifecycle::expired`] goes on: after this (time, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiredCursor {
    /// The last record's time.
    pub at: Timestamp,
    /// The last record's id bytes.
    pub id: [u8; 16],
}

impl ExpiredCursor {
    /// The cursor just after `record`.
    pub fn after(record: &ExpiredRecord) -> Self {
        ExpiredCursor { at: record.at, id: record.record.id_bytes() }
    }
}

/// What a purge removed, or (dry run) would remove, per kind.
///
/// ```
/// let mut total = unibox_core::lifecycle::PurgeCounts::default();
/// total += unibox_core::lifecycle::PurgeCounts { messages: 2, events: 1, ..Default::default() };
/// assert_eq!(total.total(), 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Messages (their reactions, search text and outbox jobs go with them).
    pub messages: u64,
    /// Internal notes.
    pub notes: u64,
    /// Event-log records (the ingested event ids and the payloads of events without a table).
    pub events: u64,
    /// Changes waiting for messages that never arrived.
    pub pending_actions: u64,
    /// Change-log rows.
    pub changes: u64,
}

impl PurgeCounts {
    /// Everything counted.
    pub fn total(&self) -> u64 {
        self.messages + self.notes + self.events + self.pending_actions + self.changes
    }
}

impl AddAssign for PurgeCounts {
    fn add_assign(&mut self, other: PurgeCounts) {
        self.messages += other.messages;
        self.notes += other.notes;
        self.events += other.events;
        self.pending_actions += other.pending_actions;
        self.changes += other.changes;
    }
}

/// One batch of an erasure: how many rows went, and whether nothing is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasureStep {
    /// Rows deleted by this batch.
    pub rows: u64,
    /// True when nothing of the contact (or tenant) is left.
    pub done: bool,
}

/// The storage side of retention and erasure, implemented once per backend (memory:
/// `MemoryStore`'s part; SQLite: `SqliteInbox`, whose delete statements all live in its
/// `lifecycle` folder). Every call names the tenant and is one short transaction, so a purge
/// interleaves with ingest instead of stalling it.
///
/// ```
/// fn takes(_: &dyn unibox_core::lifecycle::DataLifecycle) {}
/// ```
#[async_trait]
pub trait DataLifecycle: Send + Sync + fmt::Debug + 'static {
    /// Every tenant with stored data or a pending deletion request.
    async fn tenants(&self) -> Result<Vec<TenantId>>;

    /// Up to `limit` records of `kind` from before `before`, oldest first, after `after`.
    async fn expired(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        before: Timestamp,
        after: Option<ExpiredCursor>,
        limit: usize,
    ) -> Result<Vec<ExpiredRecord>>;

    /// Deletes `records` with everything derived from them (search text, reactions, outbox
    /// jobs, change-log rows). Returns how many existed.
    async fn delete_records(&self, tenant: &TenantId, records: &[RecordRef]) -> Result<u64>;

    /// Deletes up to `limit` rows of each log (event log, pending actions, change log) from
    /// before `before`, or with `dry_run` counts all of them and deletes nothing.
    async fn purge_logs(
        &self,
        tenant: &TenantId,
        before: Timestamp,
        limit: usize,
        dry_run: bool,
    ) -> Result<PurgeCounts>;

    /// Deletes up to about `limit` rows of `contact`: its conversations' messages, notes,
    /// tags, read markers and outbox jobs, then the conversations, its orders, profile
    /// attributes, platform-user links, the reactions its identities placed on messages of other
    /// conversations (stored or waiting for their message), identities and the contact itself.
    /// Anonymous analytics tallies stay. `done` once nothing is left.
    async fn erase_contact(&self, tenant: &TenantId, contact: ContactId, limit: usize) -> Result<ErasureStep>;

    /// Deletes up to about `limit` of the tenant's rows, every table; the tenant's deletion
    /// requests stay (they record that the deletion happened). `done` once nothing is left.
    async fn delete_tenant(&self, tenant: &TenantId, limit: usize) -> Result<ErasureStep>;

    /// Destroys the tenant's data keys at once (crypto-shredding): what they sealed is unreadable.
    async fn shred_tenant(&self, tenant: &TenantId) -> Result<()>;

    /// Returns freed space to the file system and removes deleted bytes from logs and journals.
    async fn reclaim_space(&self) -> Result<()>;
}
