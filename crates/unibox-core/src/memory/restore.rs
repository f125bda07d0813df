//! [`MemoryRestore`]: the memory backend's [`Restore`] port.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::inbox::InboxRecords;
use crate::memory::{MemoryAuditLog, MemoryInbox, MemoryOrderStore};
use crate::privacy::export::{ExportRecord, Restore};
use crate::{Error, ErrorKind, Result, TenantId};

/// Restores an export into the memory parts of a [`MemoryStore`](crate::memory::MemoryStore):
/// the inbox, the orders and the audit log. The three are locked together while the tenant is
/// checked for emptiness and the records are written, so a restore is all or nothing.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use std::sync::Arc;
/// use unibox_core::memory::{MemoryAuditLog, MemoryInbox, MemoryOrderStore, MemoryRestore};
/// use unibox_core::privacy::export::Restore;
/// let restore = MemoryRestore::new(Arc::new(MemoryInbox::new()), Arc::new(MemoryOrderStore::new()), Arc::new(MemoryAuditLog::new()));
/// restore.restore(&"acme".parse()?, Vec::new()).await?;
/// # Ok(())
/// # }
/// ```
pub struct MemoryRestore {
    inbox: Arc<MemoryInbox>,
    orders: Arc<MemoryOrderStore>,
    audit: Arc<MemoryAuditLog>,
}

impl MemoryRestore {
    /// A restore into these parts.
    pub fn new(inbox: Arc<MemoryInbox>, orders: Arc<MemoryOrderStore>, audit: Arc<MemoryAuditLog>) -> Self {
        MemoryRestore { inbox, orders, audit }
    }
}

impl fmt::Debug for MemoryRestore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRestore").finish_non_exhaustive()
    }
}

#[async_trait]
impl Restore for MemoryRestore {
    async fn restore(&self, tenant: &TenantId, records: Vec<ExportRecord>) -> Result<()> {
        const OP: &str = "memory.restore";
        let mut inbox_records = InboxRecords::default();
        let (mut orders, mut chain, mut checkpoints) = (Vec::new(), Vec::new(), Vec::new());
        for record in records {
            if record.tenant() != tenant {
                return Err(
                    Error::new(ErrorKind::InvalidInput, "a record belongs to another tenant").with_operation(OP)
                );
            }
            match record {
                ExportRecord::Account(account) => inbox_records.accounts.push(account),
                ExportRecord::Contact(contact) => inbox_records.contacts.push(contact),
                ExportRecord::Conversation(conversation) => inbox_records.conversations.push(conversation),
                ExportRecord::Message(message) => inbox_records.messages.push(message),
                ExportRecord::Note(note) => inbox_records.notes.push(note),
                ExportRecord::Order(order) => orders.push(order),
                ExportRecord::Audit(chained) => chain.push(chained),
                ExportRecord::AuditCheckpoint(checkpoint) => checkpoints.push(checkpoint),
            }
        }
        chain.sort_by_key(|chained| chained.seq);
        if chain.iter().enumerate().any(|(i, chained)| chained.seq != i as u64 + 1) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the audit records do not form a chain from seq 1 without gaps",
            )
            .with_operation(OP));
        }
        // Always in this order (inbox, orders, audit); nothing else holds two of these locks.
        let mut inbox = self.inbox.state();
        let mut stored_orders = self.orders.orders();
        let mut audit = self.audit.state();
        if inbox.holds(tenant) || stored_orders.keys().any(|(t, _, _)| t == tenant) || audit.holds(tenant) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("tenant {tenant} already holds data; import into an empty tenant"),
            )
            .with_operation(OP));
        }
        inbox.check_restore(&inbox_records)?;
        inbox.restore(inbox_records);
        for order in orders {
            stored_orders.insert((order.tenant.clone(), order.account, order.order_id.clone()), order);
        }
        audit.restore(tenant, chain, checkpoints);
        Ok(())
    }
}
