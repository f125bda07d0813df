//! Restoring exported records into a [`MemoryInbox`](super::MemoryInbox) (see
//! [`MemoryRestore`](crate::memory::MemoryRestore)).

use std::collections::BTreeMap;

use super::{Amendments, State, StoredContact, StoredMessage};
use crate::privacy::export::ExportedContact;
use crate::{ChannelAccount, Conversation, Error, ErrorKind, InternalNote, Message, Result, TenantId};

/// The inbox's part of an import.
#[derive(Default)]
pub(in crate::memory) struct InboxRecords {
    pub(in crate::memory) accounts: Vec<ChannelAccount>,
    pub(in crate::memory) contacts: Vec<ExportedContact>,
    pub(in crate::memory) conversations: Vec<Conversation>,
    pub(in crate::memory) messages: Vec<Message>,
    pub(in crate::memory) notes: Vec<InternalNote>,
}

fn conflict(message: &'static str) -> Error {
    Error::new(ErrorKind::Conflict, message).with_operation("memory.restore")
}

impl State {
    /// Whether the tenant has any account, contact, conversation, message or note.
    pub(in crate::memory) fn holds(&self, tenant: &TenantId) -> bool {
        self.accounts.values().any(|a| &a.tenant == tenant)
            || self.contacts.values().any(|c| &c.contact.tenant == tenant)
            || self.conversations.values().any(|c| &c.tenant == tenant)
            || self.messages.values().any(|m| &m.message.tenant == tenant)
            || self.notes.values().any(|n| &n.tenant == tenant)
    }

    /// Checks that the records fit beside the other tenants' data (ids and routing keys free).
    pub(in crate::memory) fn check_restore(&self, records: &InboxRecords) -> Result<()> {
        for account in &records.accounts {
            if self.accounts.contains_key(&account.id) {
                return Err(conflict("an imported account id is taken by another tenant"));
            }
            let routed_elsewhere = self
                .accounts
                .values()
                .any(|o| o.channel == account.channel && o.platform_account_id == account.platform_account_id);
            if routed_elsewhere {
                return Err(conflict("an imported platform account is connected to another tenant"));
            }
        }
        if records.contacts.iter().any(|c| self.contacts.contains_key(&c.contact.id)) {
            return Err(conflict("an imported contact id is taken by another tenant"));
        }
        if records.conversations.iter().any(|c| self.conversations.contains_key(&c.id)) {
            return Err(conflict("an imported conversation id is taken by another tenant"));
        }
        if records.messages.iter().any(|m| self.messages.contains_key(&m.id)) {
            return Err(conflict("an imported message id is taken by another tenant"));
        }
        if records.notes.iter().any(|n| self.notes.contains_key(&n.id)) {
            return Err(conflict("an imported note id is taken by another tenant"));
        }
        Ok(())
    }

    /// Writes checked records, with the lookups ingest needs (identities, conversations by
    /// contact, messages by platform id). Nothing here fails.
    pub(in crate::memory) fn restore(&mut self, records: InboxRecords) {
        for account in records.accounts {
            self.accounts.insert(account.id, account);
        }
        for ExportedContact { contact, attributes } in records.contacts {
            for identity in &contact.identities {
                self.identities.insert((identity.account, identity.kind.clone(), identity.value.clone()), contact.id);
            }
            if !attributes.is_empty() {
                self.workflow.attributes.insert(contact.id, attributes);
            }
            self.contacts.insert(contact.id, StoredContact { contact, name_from: None });
        }
        for conversation in records.conversations {
            self.conversation_of.insert((conversation.account, conversation.contact), conversation.id);
            self.conversations.insert(conversation.id, conversation);
        }
        for message in records.messages {
            if let Some(platform_id) = &message.platform_message_id {
                self.by_platform_id.insert((message.account, platform_id.clone()), message.id);
            }
            // Later edits, unsends and reactions merge with what the message shows, as if the
            // events that made it had just been applied (their event ids are not exported).
            let amendments = Amendments {
                edit: message.edited_at.map(|at| (at, String::new(), None)),
                unsent_at: message.unsent_at,
                reactions: message
                    .reactions
                    .iter()
                    .map(|r| (r.by.clone(), (r.at, String::new(), Some(r.emoji.clone()))))
                    .collect::<BTreeMap<_, _>>(),
                delivery: None,
                changed_by: Default::default(),
            };
            self.messages.insert(message.id, StoredMessage { message, amendments });
        }
        for note in records.notes {
            self.notes.insert(note.id, note);
        }
    }
}
