//! Reading an export back: [`import`].

use std::collections::HashSet;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use super::format::{ExportRecord, FORMAT, Manifest, RecordCounts, SCHEMA_VERSION};
use super::restore::Restore;
use crate::{ChannelAccountId, ContactId, ConversationId, Error, ErrorKind, Result};

const OP: &str = "privacy.import";

/// The longest line an import reads, in bytes (a message with a long text and many reactions
/// fits many times over).
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

fn at_line(line: u64, message: impl Into<String>) -> Error {
    let message = message.into();
    Error::new(ErrorKind::InvalidInput, format!("line {line}: {message}")).with_operation(OP).with_context("line", line)
}

/// What an import read and wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    /// The export's manifest.
    pub manifest: Manifest,
    /// How many records of each kind were restored.
    pub counts: RecordCounts,
}

/// The ids the records seen so far define, to check that every reference points back.
#[derive(Default)]
struct Seen {
    accounts: HashSet<ChannelAccountId>,
    contacts: HashSet<ContactId>,
    conversations: HashSet<ConversationId>,
    last_audit_seq: u64,
}

impl Seen {
    /// Checks what `record` refers to and remembers what it defines.
    fn check(&mut self, record: &ExportRecord) -> std::result::Result<(), String> {
        let account = |seen: &Seen, id: ChannelAccountId| {
            if seen.accounts.contains(&id) {
                Ok(())
            } else {
                Err(format!("the {} names an account not exported before it", record.kind()))
            }
        };
        match record {
            ExportRecord::Account(account) => {
                if !self.accounts.insert(account.id) {
                    return Err("the account appears twice".into());
                }
            }
            ExportRecord::Contact(contact) => {
                for identity in &contact.contact.identities {
                    account(self, identity.account)?;
                }
                if !self.contacts.insert(contact.contact.id) {
                    return Err("the contact appears twice".into());
                }
            }
            ExportRecord::Conversation(conversation) => {
                account(self, conversation.account)?;
                if !self.contacts.contains(&conversation.contact) {
                    return Err("the conversation names a contact not exported before it".into());
                }
                if !self.conversations.insert(conversation.id) {
                    return Err("the conversation appears twice".into());
                }
            }
            ExportRecord::Message(message) => {
                account(self, message.account)?;
                if !self.conversations.contains(&message.conversation) {
                    return Err("the message names a conversation not exported before it".into());
                }
            }
            ExportRecord::Note(note) => {
                if !self.conversations.contains(&note.conversation) {
                    return Err("the note names a conversation not exported before it".into());
                }
            }
            ExportRecord::Order(order) => account(self, order.account)?,
            ExportRecord::Audit(chained) => {
                if chained.seq <= self.last_audit_seq {
                    return Err("the audit records are not in chain order".into());
                }
                self.last_audit_seq = chained.seq;
            }
            ExportRecord::AuditCheckpoint(_) => {}
        }
        Ok(())
    }
}

/// Reads an export written by [`export`](super::export) from `input` and restores it into an
/// empty store through `restore`, exactly as exported: importing into an empty store and
/// exporting again gives the same bytes. This is also how a tenant moves between backends
/// (memory to SQLite, one SQLite file to another).
///
/// Everything is checked before anything is written; the first problem is an
/// [`ErrorKind::InvalidInput`] naming its line (context `line`): a line that is not JSON or
/// not a record, a manifest of another format or [`SCHEMA_VERSION`], a record of another tenant
/// than the manifest's, a reference to a record not exported before it. A tenant that already
/// holds data is [`ErrorKind::Conflict`]; either way nothing is written.
///
/// The records are held in memory between the check and the restore, which writes them in one
/// step (one transaction on SQLite).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::memory::MemoryStore;
/// use unibox_core::privacy::export::import;
/// use unibox_core::ErrorKind;
/// let store: unibox_core::store::Store = MemoryStore::new().into();
/// let restore = store.restore.clone().unwrap();
/// let export = "{\"format\":\"unibox.export\",\"schema_version\":1,\"unibox_version\":\"0.1.0\",\"tenant\":\"acme\",\"scope\":\"tenant\",\"created_at\":1}\n";
/// let summary = import(restore.as_ref(), export.as_bytes()).await?;
/// assert_eq!(summary.counts.total(), 0);
/// let error = import(restore.as_ref(), "not json\n".as_bytes()).await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::InvalidInput);
/// assert!(error.message().starts_with("line 1:"));
/// # Ok(())
/// # }
/// ```
pub async fn import<R: AsyncBufRead + Unpin + Send>(restore: &dyn Restore, mut input: R) -> Result<ImportSummary> {
    let mut text = String::new();
    let mut number = 0u64;
    let mut manifest: Option<Manifest> = None;
    let mut records = Vec::new();
    let mut counts = RecordCounts::default();
    let mut seen = Seen::default();
    loop {
        text.clear();
        number += 1;
        let read = (&mut input).take(MAX_LINE_BYTES + 1).read_line(&mut text).await.map_err(|error| {
            let message = if error.kind() == std::io::ErrorKind::InvalidData {
                format!("line {number}: not UTF-8")
            } else {
                format!("line {number}: the export could not be read")
            };
            let kind = if error.kind() == std::io::ErrorKind::InvalidData {
                ErrorKind::InvalidInput
            } else {
                ErrorKind::Storage
            };
            Error::new(kind, message).with_source(error).with_operation(OP).with_context("line", number)
        })?;
        if read == 0 {
            break;
        }
        if read as u64 > MAX_LINE_BYTES {
            return Err(at_line(number, format!("longer than {MAX_LINE_BYTES} bytes")));
        }
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let Some(manifest) = &manifest else {
            manifest = Some(read_manifest(number, line)?);
            continue;
        };
        let record: ExportRecord =
            serde_json::from_str(line).map_err(|error| at_line(number, format!("not an export record: {error}")))?;
        if record.tenant() != &manifest.tenant {
            return Err(at_line(
                number,
                format!(
                    "the {} belongs to tenant {}, the export to {}",
                    record.kind(),
                    record.tenant(),
                    manifest.tenant
                ),
            ));
        }
        seen.check(&record).map_err(|message| at_line(number, message))?;
        counts.count(&record);
        records.push(record);
    }
    let Some(manifest) = manifest else {
        return Err(at_line(1, "the export is empty: the first line must be its manifest"));
    };
    restore.restore(&manifest.tenant, records).await.map_err(|e| e.with_operation(OP))?;
    Ok(ImportSummary { manifest, counts })
}

fn read_manifest(number: u64, line: &str) -> Result<Manifest> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|error| at_line(number, format!("not a manifest: {error}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(at_line(number, format!("not a unibox export (the manifest's format must be {FORMAT:?})")));
    }
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(version) if version == u64::from(SCHEMA_VERSION) => {}
        Some(version) => {
            return Err(at_line(
                number,
                format!("schema version {version} is not supported; this unibox reads version {SCHEMA_VERSION}"),
            ));
        }
        None => return Err(at_line(number, "the manifest has no schema_version")),
    }
    serde_json::from_value(value).map_err(|error| at_line(number, format!("not a manifest: {error}")))
}
