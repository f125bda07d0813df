//! [`Restore`]: the port an import writes through.

use std::fmt;

use async_trait::async_trait;

use super::format::ExportRecord;
use crate::{Result, TenantId};

/// Writes an export's records back into a store, verbatim: ids, timestamps, states, delivery,
/// edits, reactions and audit hashes as they were. Memory
/// ([`MemoryRestore`](crate::memory::MemoryRestore)) and SQLite (`SqliteInbox`) implement it;
/// [`import`](super::import) validates the records before handing them over.
///
/// The tenant must hold no data (no account, contact, conversation, message, note, order or
/// audit record): otherwise [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) and nothing
/// changes. A restore is all or nothing: it writes every record or none (memory: under its
/// locks; SQLite: one transaction).
///
/// The store's derived state is rebuilt from the records: identity and platform-id lookups, the
/// search index. What an export does not carry starts empty: read markers, canned replies, the
/// event log and the ids of events already seen, the change log, analytics, tokens.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::memory::MemoryStore;
/// use unibox_core::privacy::export::Restore;
/// let store: unibox_core::store::Store = MemoryStore::new().into();
/// let restore = store.restore.clone().expect("the memory store restores");
/// restore.restore(&"acme".parse()?, Vec::new()).await?;
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Restore: Send + Sync + fmt::Debug + 'static {
    /// Writes `records`, all of `tenant`, into the empty tenant: all or nothing.
    async fn restore(&self, tenant: &TenantId, records: Vec<ExportRecord>) -> Result<()>;
}
