//! The inbox ports: where channel accounts, conversations, contacts and messages live.
//!
//! The inbox is not one trait but five small, object-safe ports, each a field of the
//! [`Store`](crate::store::Store) bundle, so a decorator of one port (a cache in front of the
//! reads, a tracer around ingest) replaces that field alone and cannot lose another:
//!
//! | port | what it does |
//! |---|---|
//! | [`ChannelAccounts`] | save, read and route channel accounts |
//! | [`EventIngest`] | store routed events (`ingest`), or accept them durably to apply shortly after (`accept`) |
//! | [`InboxReads`] | conversations, messages, contacts, notes, search |
//! | [`OutboundMessages`] | record an outbound message before sending, then its delivery |
//! | [`TeamWorkflow`] | conversation workflow fields, notes, read markers, assignment, canned replies, contact profiles |
//!
//! The durable send queue ([`Outbox`](crate::outbox::Outbox)) and the change log
//! ([`ChangeLog`](crate::changes::ChangeLog)) are bundle parts of their own. Memory
//! ([`MemoryInbox`](crate::memory::MemoryInbox)) and SQLite (`SqliteInbox`) implement every
//! port with one object; `unibox_testkit::harness` states the contract a third-party backend
//! must meet. The rules for turning events into stored state are written once, in
//! [`crate::ingest`], and every backend executes them.
//!
//! Every method that takes a [`TenantId`](crate::TenantId) sees only that tenant's data: an id
//! belonging to another tenant is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound), exactly
//! as if it did not exist. The one lookup across tenants is [`ChannelAccounts::route`].

mod accounts;
mod draft;
mod event;
mod ingest;
mod outbound;
mod page;
mod query;
mod reads;
mod update;
mod workflow;

pub use accounts::ChannelAccounts;
pub use draft::OutboundDraft;
pub use event::{Acceptance, IngestOutcome, RoutedEvent};
pub use ingest::EventIngest;
pub use outbound::OutboundMessages;
pub use page::{Cursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};
pub use query::{AssigneeFilter, ConversationQuery, MessageQuery, SearchQuery};
pub use reads::InboxReads;
pub use update::{ConversationUpdate, MAX_TAG_LEN, MAX_TAGS};
pub use workflow::TeamWorkflow;

/// The inbox ports, to call them on a backend's own type (`SqliteInbox`, [`MemoryInbox`](crate::memory::MemoryInbox)):
/// `use unibox_core::inbox::prelude::*;`.
///
/// ```
/// use unibox_core::inbox::prelude::*;
/// let inbox = unibox_core::memory::MemoryInbox::new();
/// # let _ = &inbox as &dyn InboxReads;
/// ```
pub mod prelude {
    pub use super::{ChannelAccounts, EventIngest, InboxReads, OutboundMessages, TeamWorkflow};
}
