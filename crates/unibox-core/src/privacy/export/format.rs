//! The export format: a manifest line, then one JSON record per line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::audit::{ChainedRecord, Checkpoint};
use crate::orders::Order;
use crate::{ChannelAccount, Contact, ContactId, Conversation, InternalNote, Message, TenantId, Timestamp};

/// The `format` of every export's manifest.
pub const FORMAT: &str = "unibox.export";

/// The schema version this unibox writes and reads. An export with another version is refused
/// by [`import`](super::import) with a typed error instead of being half understood.
pub const SCHEMA_VERSION: u32 = 1;

/// What an export covers.
///
/// ```
/// use unibox_core::privacy::export::ExportScope;
/// let json = serde_json::to_string(&ExportScope::Tenant).unwrap();
/// assert_eq!(json, r#"{"scope":"tenant"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ExportScope {
    /// Everything the tenant keeps: the migration path between backends.
    Tenant,
    /// One person's data (right of access and portability): the contact, its conversations,
    /// their messages and notes, its orders, the audit records about it, and the channel
    /// accounts those are on.
    Contact {
        /// The contact.
        contact: ContactId,
    },
}

/// The first line of an export.
///
/// ```
/// use unibox_core::privacy::export::{ExportScope, Manifest, FORMAT, SCHEMA_VERSION};
/// use unibox_core::Timestamp;
/// let manifest = Manifest::new("acme".parse().unwrap(), ExportScope::Tenant, Timestamp::from_unix_seconds(1));
/// assert_eq!((manifest.format.as_str(), manifest.schema_version), (FORMAT, SCHEMA_VERSION));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The [`SCHEMA_VERSION`] the records follow.
    pub schema_version: u32,
    /// The version of unibox that wrote it.
    pub unibox_version: String,
    /// The tenant every record belongs to.
    pub tenant: TenantId,
    /// Tenant or contact.
    #[serde(flatten)]
    pub scope: ExportScope,
    /// When the export was written.
    pub created_at: Timestamp,
}

impl Manifest {
    /// The manifest of an export written by this version of unibox.
    pub fn new(tenant: TenantId, scope: ExportScope, created_at: Timestamp) -> Self {
        Manifest {
            format: FORMAT.to_owned(),
            schema_version: SCHEMA_VERSION,
            unibox_version: env!("CARGO_PKG_VERSION").to_owned(),
            tenant,
            scope,
            created_at,
        }
    }
}

/// A contact with the attributes agents recorded on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedContact {
    /// The contact, with its identities sorted.
    pub contact: Contact,
    /// Attributes by name (email, phone, customer number ...).
    pub attributes: BTreeMap<String, String>,
}

/// One line after the manifest, tagged by `type`. Records come in this order: accounts,
/// contacts, conversations (each followed by its messages, newest first, and its notes,
/// oldest first), orders, audit records, audit checkpoints.
///
/// Accounts carry no secret: tokens live in the token store and are never exported.
///
/// ```
/// use unibox_core::privacy::export::ExportRecord;
/// let line = r#"{"type":"note","id":"0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b","tenant":"acme","conversation":"0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7c","author":"ann","body":"VIP","created_at":1}"#;
/// let record: ExportRecord = serde_json::from_str(line).unwrap();
/// assert_eq!(record.kind(), "note");
/// assert_eq!(serde_json::to_string(&record).unwrap(), line);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExportRecord {
    /// A channel account (no tokens).
    Account(ChannelAccount),
    /// A contact with its identities and profile attributes.
    Contact(ExportedContact),
    /// A conversation: status, snooze, assignee, tags, counters.
    Conversation(Conversation),
    /// A message: content, delivery, edit and unsend times, reactions, as stored.
    Message(Message),
    /// An internal note.
    Note(InternalNote),
    /// A marketplace order with its history.
    Order(Order),
    /// An audit record, with its place in the tenant's hash chain.
    Audit(ChainedRecord),
    /// A signed checkpoint of the audit chain.
    AuditCheckpoint(Checkpoint),
}

impl ExportRecord {
    /// The `type` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            ExportRecord::Account(_) => "account",
            ExportRecord::Contact(_) => "contact",
            ExportRecord::Conversation(_) => "conversation",
            ExportRecord::Message(_) => "message",
            ExportRecord::Note(_) => "note",
            ExportRecord::Order(_) => "order",
            ExportRecord::Audit(_) => "audit",
            ExportRecord::AuditCheckpoint(_) => "audit_checkpoint",
        }
    }

    /// The tenant the record belongs to.
    pub fn tenant(&self) -> &TenantId {
        match self {
            ExportRecord::Account(account) => &account.tenant,
            ExportRecord::Contact(contact) => &contact.contact.tenant,
            ExportRecord::Conversation(conversation) => &conversation.tenant,
            ExportRecord::Message(message) => &message.tenant,
            ExportRecord::Note(note) => &note.tenant,
            ExportRecord::Order(order) => &order.tenant,
            ExportRecord::Audit(chained) => &chained.record.tenant,
            ExportRecord::AuditCheckpoint(checkpoint) => &checkpoint.tenant,
        }
    }
}

/// How many records of each kind an export wrote or an import read.
///
/// ```
/// let counts = unibox_core::privacy::export::RecordCounts::default();
/// assert_eq!(counts.total(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    /// Channel accounts.
    pub accounts: u64,
    /// Contacts.
    pub contacts: u64,
    /// Conversations.
    pub conversations: u64,
    /// Messages.
    pub messages: u64,
    /// Notes.
    pub notes: u64,
    /// Orders.
    pub orders: u64,
    /// Audit records.
    pub audit_records: u64,
    /// Audit checkpoints.
    pub audit_checkpoints: u64,
}

impl RecordCounts {
    /// Counts one record.
    pub fn count(&mut self, record: &ExportRecord) {
        let counter = match record {
            ExportRecord::Account(_) => &mut self.accounts,
            ExportRecord::Contact(_) => &mut self.contacts,
            ExportRecord::Conversation(_) => &mut self.conversations,
            ExportRecord::Message(_) => &mut self.messages,
            ExportRecord::Note(_) => &mut self.notes,
            ExportRecord::Order(_) => &mut self.orders,
            ExportRecord::Audit(_) => &mut self.audit_records,
            ExportRecord::AuditCheckpoint(_) => &mut self.audit_checkpoints,
        };
        *counter += 1;
    }

    /// Every record.
    pub fn total(&self) -> u64 {
        self.accounts
            + self.contacts
            + self.conversations
            + self.messages
            + self.notes
            + self.orders
            + self.audit_records
            + self.audit_checkpoints
    }
}
