//! [`Restore`] for [`PostgresInbox`]: an export written back into an empty tenant in one
//! transaction.
//!
//! 1. Before the transaction, every record is encoded and sealed under the tenant's data key,
//!    exactly as ingest, the outbound path and the workflow store it (sealed values, blind
//!    lookups, blind search terms), and the records are checked for what the schema would
//!    refuse (two messages with one platform id, a gap in the audit chain ...): such a record
//!    is an [`InvalidInput`](ErrorKind::InvalidInput) error naming its position (record `n` is
//!    line `n + 1` of an export file, after the manifest), and nothing is written.
//! 2. One transaction scoped to the tenant (row-level security applies) takes the tenant's
//!    restore lock and its audit chain's lock, checks that the tenant holds no data (else
//!    [`Conflict`](ErrorKind::Conflict)), registers the accounts for webhook routing and inserts
//!    every table's rows in batches ([`batch`]). Any failure rolls it all back.

mod accounts;
mod audit;
mod batch;
mod contacts;
mod conversations;
mod messages;
mod orders;

use async_trait::async_trait;
use unibox_core::privacy::export::{ExportRecord, Restore};
use unibox_core::{Error, ErrorKind, Result, TenantId};

use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::{Tx, lock_key};
use crate::sealing::{Access, Seal};

const OP: &str = "postgres.restore";

/// The tables that hold a tenant's exported data: a restore needs them all empty.
const TENANT_TABLES: [&str; 8] =
    ["accounts", "contacts", "conversations", "messages", "notes", "orders", "audit_log", "audit_checkpoints"];

/// Every record of an export as the rows it becomes.
#[derive(Default)]
struct Rows {
    accounts: accounts::Accounts,
    contacts: contacts::Contacts,
    conversations: conversations::Conversations,
    messages: messages::Messages,
    notes: conversations::Notes,
    orders: orders::Orders,
    audit: audit::Audit,
}

impl Rows {
    /// Encodes and seals `records`; the first one that cannot be stored is an error naming it.
    fn of(seal: &Seal, records: &[ExportRecord]) -> Result<Self> {
        let mut rows = Rows::default();
        for (position, record) in records.iter().enumerate() {
            let pushed = match record {
                ExportRecord::Account(account) => rows.accounts.push(account),
                ExportRecord::Contact(contact) => rows.contacts.push(seal, contact),
                ExportRecord::Conversation(conversation) => rows.conversations.push(conversation),
                ExportRecord::Message(message) => rows.messages.push(seal, message),
                ExportRecord::Note(note) => rows.notes.push(seal, note),
                ExportRecord::Order(order) => rows.orders.push(seal, order),
                ExportRecord::Audit(chained) => rows.audit.push(chained),
                ExportRecord::AuditCheckpoint(checkpoint) => rows.audit.push_checkpoint(checkpoint),
            };
            pushed.map_err(|error| naming_record(error, position, record))?;
        }
        Ok(rows)
    }

    async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        self.accounts.insert(tx, tenant).await?;
        self.contacts.insert(tx, tenant).await?;
        self.conversations.insert(tx, tenant).await?;
        self.messages.insert(tx, tenant).await?;
        self.notes.insert(tx, tenant).await?;
        self.orders.insert(tx, tenant).await?;
        self.audit.insert(tx, tenant).await
    }
}

/// `error` about the record at `position` (from 0), with the record's number (from 1) in its
/// message and context.
fn naming_record(error: Error, position: usize, record: &ExportRecord) -> Error {
    let number = position + 1;
    let error = if error.kind() == ErrorKind::InvalidInput {
        Error::new(ErrorKind::InvalidInput, format!("record {number} ({}): {}", record.kind(), error.message()))
    } else {
        error
    };
    error.with_operation(OP).with_context("record", number)
}

/// Fails with `Conflict` when the tenant holds exported data already.
async fn check_empty(tx: &Tx<'_>, tenant: &str) -> Result<()> {
    for table in TENANT_TABLES {
        let statement =
            tx.prepare_cached(&format!("SELECT 1 FROM {table} WHERE tenant = $1 LIMIT 1")).await.during(OP)?;
        if tx.query_opt(&statement, &[&tenant]).await.during(OP)?.is_some() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("tenant {tenant} already holds data ({table}); import into an empty tenant"),
            )
            .with_operation(OP));
        }
    }
    Ok(())
}

#[async_trait]
impl Restore for PostgresInbox {
    /// Seals every record as ingest would (an `InvalidInput` error naming the first record the
    /// schema would refuse), then writes them all in one transaction scoped to the tenant, in
    /// batched inserts: all or nothing, `Conflict` when the tenant holds data already.
    async fn restore(&self, tenant: &TenantId, records: Vec<ExportRecord>) -> Result<()> {
        if let Some((position, other)) = records.iter().enumerate().find(|(_, record)| record.tenant() != tenant) {
            let error = Error::new(
                ErrorKind::InvalidInput,
                format!("it belongs to tenant {}, the restore to {tenant}", other.tenant()),
            );
            return Err(naming_record(error, position, other));
        }
        let seal = self.keys.seal(tenant, Access::Write).await?;
        let rows = Rows::of(&seal, &records)?;
        drop(records);
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    // Two restores of one tenant run one after the other (the second finds the
                    // first's data); audit appends wait for the restored chain, then link after it.
                    lock_key(tx, &format!("unibox.restore\u{1f}{name}"), OP).await?;
                    crate::audit::lock_chain(tx, &name, OP).await?;
                    check_empty(tx, &name).await?;
                    rows.insert(tx, &name).await
                })
            })
            .await
    }
}
