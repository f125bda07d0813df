//! The inbound journal: events accepted by [`EventIngest::accept`](unibox_core::inbox::EventIngest::accept) are
//! committed to a file of their own (`<inbox file>.inbound`) before their webhook is
//! acknowledged, and the inbox's writer applies them to contacts, conversations and messages
//! shortly after, in large transactions.
//!
//! Why a second file: SQLite lets one writer at a time into a file. Applying an event touches
//! pages all over the inbox (the conversation and its activity index, the contact, the message
//! and its indexes, the search index), and a webhook's commit can group only the requests in
//! flight. Appending to the journal touches only its last pages, and with its own file (and its
//! own writer thread) acknowledging webhooks never waits for the inbox's writes, searches'
//! index merges or checkpoints, and the two run on two cores.
//!
//! The contract kept:
//!
//! - **Durable and exactly once.** A journal row is committed before `accept` returns. Applying
//!   rows and recording "applied through N" in the inbox happen in one inbox transaction, so a
//!   crash anywhere applies every accepted event once. Applied rows are then deleted from the
//!   journal (with `secure_delete`, so content does not linger there).
//! - **Read your writes.** [`JournalState::wait_applied`] makes a read wait until every event
//!   accepted before it started is applied (and wakes the inbox's writer to do it now).
//! - **Same result as `ingest`.** Applying runs the same code ([`crate::ingest`]) on the same
//!   prepared events; a redelivered event id is a duplicate in the journal while its first
//!   delivery waits there, and in the inbox's event log after.
//! - **Bounded.** Past half of [`SqliteOptions::max_journal_backlog`](crate::SqliteOptions::max_journal_backlog)
//!   unapplied events, `accept` waits (up to 250 ms) for applying to make room, so a load the
//!   machine cannot keep up with slows acknowledgements down; past the whole of it, `accept`
//!   fails with a temporary error (a webhook answers 503 and the platform retries) instead of
//!   letting the backlog, and the wait of reads, grow without end.
//! - **Room to apply.** While the disk has less free space than
//!   [`SqliteOptions::disk_reserve_bytes`](crate::SqliteOptions::disk_reserve_bytes), `accept`
//!   fails with a temporary [`StorageFull`](unibox_core::ErrorKind::StorageFull) error, and the
//!   events accepted before are applied into the reserve; accepting resumes by itself once the
//!   space is back.
//!
//! The parts: [`file_format`] (the journal file, its table and its versions), [`state`] (how
//! far it is written and applied, and which events wait), [`admission`] (checking, admitting
//! and appending a call's events), [`space`] (the free space kept for applying them),
//! [`applier`] (the inbox writer's background work that applies them) and [`pruner`] (the
//! journal writer's background work that deletes applied rows).

mod admission;
mod applier;
mod file_format;
mod pruner;
mod space;
mod state;
#[cfg(test)]
mod tests;

pub(crate) use admission::{JournalEntry, accept, prepare};
pub(crate) use applier::Applier;
pub(crate) use file_format::{journal_path, open_journal_reader, open_journal_writer};
pub(crate) use pruner::{Pruner, prune};
pub(crate) use space::DiskReserve;
pub(crate) use state::JournalState;
