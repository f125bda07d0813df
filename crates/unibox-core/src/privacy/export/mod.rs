//! Export and import (right of access and portability, and the migration path between
//! backends): a tenant's data, or one contact's, as JSON Lines.
//!
//! - [`export`] writes a [`Manifest`] line (format, [`SCHEMA_VERSION`], unibox version, tenant,
//!   scope, time), then one [`ExportRecord`] per line: accounts (never tokens), contacts with
//!   identities and attributes, conversations, messages, notes, orders, audit records. It reads
//!   through the store's ports a page at a time, written once for every backend.
//! - [`import`] checks an export line by line and restores it through a [`Restore`] port into an
//!   empty tenant, all or nothing. Exporting again gives the same bytes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> unibox_core::Result<()> {
//! use unibox_core::memory::MemoryStore;
//! use unibox_core::privacy::export::{export, import, ExportScope};
//! use unibox_core::store::Store;
//! use unibox_core::Timestamp;
//! let (from, to): (Store, Store) = (MemoryStore::new().into(), MemoryStore::new().into());
//! let tenant = "acme".parse()?;
//! let mut first = Vec::new();
//! export(&from, &tenant, &ExportScope::Tenant, Timestamp::from_unix_seconds(1), &mut first).await?;
//! import(to.restore.as_deref().unwrap(), first.as_slice()).await?;
//! let mut second = Vec::new();
//! export(&to, &tenant, &ExportScope::Tenant, Timestamp::from_unix_seconds(1), &mut second).await?;
//! assert_eq!(first, second);
//! # Ok(())
//! # }
//! ```

mod format;
mod read;
mod restore;
mod write;

pub use format::{ExportRecord, ExportScope, ExportedContact, FORMAT, Manifest, RecordCounts, SCHEMA_VERSION};
pub use read::{ImportSummary, MAX_LINE_BYTES, import};
pub use restore::Restore;
pub use write::export;
