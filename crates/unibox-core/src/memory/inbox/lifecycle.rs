//! The inbox's share of the memory backend's [`DataLifecycle`](crate::lifecycle::DataLifecycle):
//! listing expired records and deleting a tenant's, a contact's or expired data, under the
//! inbox's one lock.

use std::collections::HashSet;

use super::{MemoryInbox, State};
use crate::lifecycle::{ExpiredCursor, ExpiredRecord, PurgeCounts, RecordKind, RecordRef};
use crate::{ContactId, ConversationId, MessageId, TenantId, Timestamp};

impl State {
    fn expired_record(&self, record: RecordRef, conversation: ConversationId, at: Timestamp) -> Option<ExpiredRecord> {
        let stored = self.conversations.get(&conversation)?;
        let channel = self.accounts.get(&stored.account)?.channel.clone();
        Some(ExpiredRecord { record, conversation, contact: stored.contact, channel, at })
    }

    fn delete_message(&mut self, id: MessageId) -> bool {
        let Some(stored) = self.messages.remove(&id) else { return false };
        if let Some(platform_id) = &stored.message.platform_message_id {
            let key = (stored.message.account, platform_id.clone());
            self.by_platform_id.remove(&key);
            self.pending.remove(&key);
        }
        self.jobs.remove(&id);
        self.changes.remove_where(&stored.message.tenant, |change| change.message == Some(id));
        true
    }

    /// Forgets the reactions each of `identities` placed on messages of its account, stored or
    /// waiting for their message (a contact erasure: a group chat's messages of other
    /// conversations too), and its edits and unsends waiting for their message. Returns how
    /// many messages, stored or awaited, lost something.
    fn forget_reactions_of(&mut self, identities: &[crate::ContactIdentity]) -> u64 {
        let mut forgotten = 0u64;
        for identity in identities {
            for stored in self.messages.values_mut().filter(|m| m.message.account == identity.account) {
                forgotten += u64::from(stored.forget_reaction(&identity.value));
            }
            for ((account, _), waiting) in &mut self.pending {
                if *account == identity.account {
                    forgotten += u64::from(waiting.forget_reaction(&identity.value));
                    forgotten += u64::from(waiting.forget_changes_of(&identity.value));
                }
            }
        }
        self.pending.retain(|_, waiting| !waiting.is_empty());
        forgotten
    }
}

impl MemoryInbox {
    /// The conversations of `contact`.
    pub(crate) fn conversations_of(&self, tenant: &TenantId, contact: ContactId) -> HashSet<ConversationId> {
        let state = self.state();
        state.conversations.values().filter(|c| &c.tenant == tenant && c.contact == contact).map(|c| c.id).collect()
    }

    /// Tenants with accounts.
    pub(crate) fn lifecycle_tenants(&self) -> Vec<TenantId> {
        let state = self.state();
        let mut tenants: Vec<TenantId> = state.accounts.values().map(|a| a.tenant.clone()).collect();
        tenants.sort();
        tenants.dedup();
        tenants
    }

    pub(crate) fn expired(
        &self,
        tenant: &TenantId,
        kind: RecordKind,
        before: Timestamp,
        after: Option<ExpiredCursor>,
        limit: usize,
    ) -> Vec<ExpiredRecord> {
        let state = self.state();
        let mut found: Vec<ExpiredRecord> = match kind {
            RecordKind::Message => state
                .messages
                .values()
                .filter(|m| &m.message.tenant == tenant && m.message.sent_at < before)
                .filter_map(|m| {
                    state.expired_record(RecordRef::Message(m.message.id), m.message.conversation, m.message.sent_at)
                })
                .collect(),
            RecordKind::Note => state
                .notes
                .values()
                .filter(|n| &n.tenant == tenant && n.created_at < before)
                .filter_map(|n| state.expired_record(RecordRef::Note(n.id), n.conversation, n.created_at))
                .collect(),
        };
        found.retain(|record| after.is_none_or(|cursor| ExpiredCursor::after(record) > cursor));
        found.sort_by_key(ExpiredCursor::after);
        found.truncate(limit);
        found
    }

    pub(crate) fn delete_records(&self, tenant: &TenantId, records: &[RecordRef]) -> u64 {
        let mut state = self.state();
        let mut deleted = 0;
        for record in records {
            let gone = match record {
                RecordRef::Message(id) => {
                    state.messages.get(id).is_some_and(|m| &m.message.tenant == tenant) && state.delete_message(*id)
                }
                RecordRef::Note(id) => {
                    state.notes.get(id).is_some_and(|n| &n.tenant == tenant) && state.notes.remove(id).is_some()
                }
            };
            deleted += u64::from(gone);
        }
        deleted
    }

    /// The event log and change log of `tenant` from before `before` (the memory inbox keeps
    /// pending changes without a time of their own: they go with their message or account).
    pub(crate) fn purge_logs(&self, tenant: &TenantId, before: Timestamp, limit: usize, dry_run: bool) -> PurgeCounts {
        let mut state = self.state();
        let old_event = |e: &crate::inbox::RoutedEvent| &e.tenant == tenant && e.received_at < before;
        let old_change = |c: &crate::changes::Change| c.at < before;
        if dry_run {
            let events = state.event_log.iter().filter(|e| old_event(e)).count() as u64;
            let changes = state.changes.count_where(tenant, old_change);
            return PurgeCounts { events, changes, ..PurgeCounts::default() };
        }
        let mut events = 0usize;
        state.event_log.retain(|e| {
            let gone = events < limit && old_event(e);
            events += usize::from(gone);
            !gone
        });
        let changes = state.changes.remove_where(tenant, old_change);
        PurgeCounts { events: events as u64, changes, ..PurgeCounts::default() }
    }

    /// Everything of `contact`: messages and notes of its conversations (with their jobs,
    /// pending changes and change-log rows), the conversations, read markers, attributes,
    /// identities, the reactions its identities placed on other conversations' messages (stored
    /// or waiting), the events its identities sent, and the contact. Returns the identities
    /// (orders and platform links are erased by their own stores) and how many records went.
    pub(crate) fn erase_contact(&self, tenant: &TenantId, contact: ContactId) -> (Vec<crate::ContactIdentity>, u64) {
        let mut state = self.state();
        let Some(stored) = state.contacts.get(&contact).filter(|c| &c.contact.tenant == tenant) else {
            return (Vec::new(), 0);
        };
        let identities = stored.contact.identities.clone();
        let conversations: HashSet<ConversationId> =
            state.conversations.values().filter(|c| c.contact == contact).map(|c| c.id).collect();
        let messages: Vec<MessageId> = state
            .messages
            .values()
            .filter(|m| conversations.contains(&m.message.conversation))
            .map(|m| m.message.id)
            .collect();
        let mut deleted = 0u64;
        for id in messages {
            deleted += u64::from(state.delete_message(id));
        }
        let notes_before = state.notes.len();
        state.notes.retain(|_, note| !conversations.contains(&note.conversation));
        deleted += (notes_before - state.notes.len()) as u64;
        state.jobs.retain(|_, job| !conversations.contains(&job.conversation));
        deleted += state.changes.remove_where(tenant, |c| c.conversation.is_some_and(|id| conversations.contains(&id)));
        state.conversations.retain(|id, _| !conversations.contains(id));
        state.conversation_of.retain(|_, id| !conversations.contains(id));
        deleted += conversations.len() as u64;
        deleted += state.workflow.forget(&conversations, &HashSet::from([contact]), None);
        state.identities.retain(|_, owner| *owner != contact);
        deleted += state.forget_reactions_of(&identities);
        let senders: HashSet<(crate::ChannelAccountId, &str)> =
            identities.iter().map(|i| (i.account, i.value.as_str())).collect();
        let events_before = state.event_log.len();
        let sent_by_contact = |event: &crate::inbox::RoutedEvent| {
            event.event.kind.customer().is_some_and(|customer| senders.contains(&(event.account, customer.id.as_str())))
        };
        let kept: Vec<crate::inbox::RoutedEvent> =
            state.event_log.iter().filter(|e| !sent_by_contact(e)).cloned().collect();
        state.event_log = kept;
        deleted += (events_before - state.event_log.len()) as u64;
        state.contacts.remove(&contact);
        (identities, deleted + 1)
    }

    /// Everything of `tenant` the inbox holds.
    pub(crate) fn delete_tenant(&self, tenant: &TenantId) -> u64 {
        let mut state = self.state();
        let accounts: HashSet<crate::ChannelAccountId> =
            state.accounts.values().filter(|a| &a.tenant == tenant).map(|a| a.id).collect();
        let conversations: HashSet<ConversationId> =
            state.conversations.values().filter(|c| &c.tenant == tenant).map(|c| c.id).collect();
        let contacts: HashSet<ContactId> =
            state.contacts.values().filter(|c| &c.contact.tenant == tenant).map(|c| c.contact.id).collect();
        let before = state.messages.len() + state.notes.len() + state.conversations.len() + state.contacts.len();
        state.messages.retain(|_, m| &m.message.tenant != tenant);
        state.by_platform_id.retain(|(account, _), _| !accounts.contains(account));
        state.pending.retain(|(account, _), _| !accounts.contains(account));
        state.seen_events.retain(|(account, _)| !accounts.contains(account));
        state.event_log.retain(|e| &e.tenant != tenant);
        state.notes.retain(|_, n| &n.tenant != tenant);
        state.jobs.retain(|_, job| &job.tenant != tenant);
        state.conversations.retain(|_, c| &c.tenant != tenant);
        state.conversation_of.retain(|(account, _), _| !accounts.contains(account));
        state.identities.retain(|(account, _, _), _| !accounts.contains(account));
        state.contacts.retain(|_, c| &c.contact.tenant != tenant);
        state.accounts.retain(|_, a| &a.tenant != tenant);
        let mut deleted = (before
            - (state.messages.len() + state.notes.len() + state.conversations.len() + state.contacts.len()))
            as u64;
        deleted += state.changes.forget_tenant(tenant);
        deleted += state.workflow.forget(&conversations, &contacts, Some(tenant));
        deleted + accounts.len() as u64
    }
}
