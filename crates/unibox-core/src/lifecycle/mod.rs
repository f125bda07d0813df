//! Retention and erasure: the privacy lifecycle of stored data.
//!
//! - [`RetentionPolicy`] / [`RetentionPolicies`]: how long each tenant keeps conversation data
//!   (default [12 months](DEFAULT_RETENTION)), per channel, with legal holds on conversations
//!   and contacts.
//! - [`DataLifecycle`]: the small port a backend implements (list what expired, delete records,
//!   purge logs, erase a contact, delete a tenant in batches, shred keys, reclaim space).
//! - [`LifecycleJob`]: the rules, once: purges in small batches with a dry run, carries out
//!   deletion requests recorded in the [`DeletionRequestStore`](crate::privacy::DeletionRequestStore)
//!   (tenant deletion, contact erasure, Meta's data-deletion callback) and marks them completed.
//!
//! `docs/privacy.md` ("Retention and erasure") has the operator's procedure.

mod job;
mod policy;
mod port;

pub use job::{DEFAULT_BATCH, LIFECYCLE_WORKER, LifecycleJob, LifecycleReport, LifecycleWorker, OPERATOR_PLATFORM};
pub use policy::{DEFAULT_DELETION_WINDOW, DEFAULT_RETENTION, RetentionPolicies, RetentionPolicy};
pub use port::{DataLifecycle, ErasureStep, ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef};
