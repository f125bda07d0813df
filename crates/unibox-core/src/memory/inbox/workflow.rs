//! The workflow methods of [`MemoryInbox`](super::MemoryInbox): read markers, assignment
//! counts, canned replies, contact profiles and merging.

use std::collections::{BTreeMap, HashMap};

use super::{State, invalid, not_found};
use crate::analytics::conversation_change;
use crate::changes::{Change, ChangeKind};
use crate::inbox::ConversationUpdate;
use crate::workflow::{Agent, CannedReply, ContactProfile, ContactUpdate, ReadState, first_with_room};
use crate::{
    Author, ContactId, Conversation, ConversationId, ConversationStatus, Direction, Error, ErrorKind, Result, TenantId,
    Timestamp, UserId,
};

/// A display name agents set outranks every name an event reports: its "time" is the latest.
const CHOSEN_BY_TEAM: Timestamp = Timestamp::from_unix_millis(i64::MAX);

#[derive(Default)]
pub(super) struct WorkflowState {
    read_markers: HashMap<(ConversationId, UserId), Timestamp>,
    canned: BTreeMap<(TenantId, String), CannedReply>,
    pub(super) attributes: HashMap<ContactId, BTreeMap<String, String>>,
}

impl WorkflowState {
    /// Forgets the read markers of `conversations`, the attributes of `contacts`, and with
    /// `canned_of` that tenant's canned replies (erasure and tenant deletion).
    pub(super) fn forget(
        &mut self,
        conversations: &std::collections::HashSet<ConversationId>,
        contacts: &std::collections::HashSet<ContactId>,
        canned_of: Option<&TenantId>,
    ) -> u64 {
        let before = self.read_markers.len() + self.attributes.len() + self.canned.len();
        self.read_markers.retain(|(conversation, _), _| !conversations.contains(conversation));
        self.attributes.retain(|contact, _| !contacts.contains(contact));
        if let Some(tenant) = canned_of {
            self.canned.retain(|(owner, _), _| owner != tenant);
        }
        (before - (self.read_markers.len() + self.attributes.len() + self.canned.len())) as u64
    }
}

impl State {
    fn read_state(&self, conversation: ConversationId, user: &UserId) -> ReadState {
        let read_up_to = self.workflow.read_markers.get(&(conversation, user.clone())).copied();
        let unread = self
            .messages
            .values()
            .map(|m| &m.message)
            .filter(|m| m.conversation == conversation && m.direction == Direction::Inbound)
            .filter(|m| read_up_to.is_none_or(|up_to| m.sent_at > up_to))
            .count();
        ReadState { conversation, user: user.clone(), read_up_to, unread: u32::try_from(unread).unwrap_or(u32::MAX) }
    }

    pub(super) fn mark_read_by(
        &mut self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<ReadState> {
        self.conversation_of(tenant, conversation)?;
        let marker = self.workflow.read_markers.entry((conversation, user.clone())).or_insert(up_to);
        *marker = (*marker).max(up_to);
        if let Some(stored) = self.conversations.get_mut(&conversation) {
            stored.unread_count = 0;
        }
        self.changes.push(
            Change::new(tenant.clone(), Timestamp::now(), ChangeKind::ConversationChanged)
                .conversation(conversation)
                .detail("read"),
        );
        Ok(self.read_state(conversation, user))
    }

    pub(super) fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ReadState>> {
        conversations
            .iter()
            .map(|id| {
                self.conversation_of(tenant, *id)?;
                Ok(self.read_state(*id, user))
            })
            .collect()
    }

    pub(super) fn open_assignments(&self, tenant: &TenantId) -> HashMap<UserId, u32> {
        let mut counts = HashMap::new();
        for conversation in self.conversations.values().filter(|c| &c.tenant == tenant) {
            let open = matches!(conversation.status, ConversationStatus::Open | ConversationStatus::Pending);
            if let (true, Some(assignee)) = (open, &conversation.assignee) {
                *counts.entry(assignee.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    pub(super) fn update_conversation(
        &mut self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        let before = self.conversation_of(tenant, id)?.clone();
        let mut after = before.clone();
        update.apply(&mut after)?;
        self.conversations.insert(id, after.clone());
        let at = update.at.unwrap_or_else(Timestamp::now);
        self.changes.push(conversation_change(tenant, &before, &after, at));
        Ok(after)
    }

    pub(super) fn assign_within_capacity(
        &mut self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>> {
        let conversation = self.conversation_of(tenant, id)?;
        if let Some(current) = &conversation.assignee {
            return Err(Error::new(ErrorKind::Conflict, format!("the conversation is already assigned to {current}"))
                .with_operation("memory.assign_within_capacity"));
        }
        let open = self.open_assignments(tenant);
        let Some(user) = first_with_room(candidates, |user| Ok(open.get(user).copied().unwrap_or(0)))? else {
            return Ok(None);
        };
        self.update_conversation(tenant, id, &ConversationUpdate::new().assign(user).at(at)).map(Some)
    }

    pub(super) fn save_canned_reply(&mut self, reply: &CannedReply) -> Result<()> {
        reply.validate()?;
        self.workflow.canned.insert((reply.tenant.clone(), reply.shortcut.clone()), reply.clone());
        Ok(())
    }

    pub(super) fn canned_replies(&self, tenant: &TenantId) -> Vec<CannedReply> {
        self.workflow.canned.values().filter(|r| &r.tenant == tenant).cloned().collect()
    }

    pub(super) fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
        self.workflow
            .canned
            .get(&(tenant.clone(), shortcut.to_string()))
            .cloned()
            .ok_or_else(|| not_found("canned reply"))
    }

    pub(super) fn delete_canned_reply(&mut self, tenant: &TenantId, shortcut: &str) -> Result<()> {
        self.workflow
            .canned
            .remove(&(tenant.clone(), shortcut.to_string()))
            .map(|_| ())
            .ok_or_else(|| not_found("canned reply"))
    }

    pub(super) fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<ContactProfile> {
        let stored =
            self.contacts.get(&id).filter(|c| &c.contact.tenant == tenant).ok_or_else(|| not_found("contact"))?;
        let mut contact = stored.contact.clone();
        contact.identities.sort_by(|a, b| (a.account, &a.kind, &a.value).cmp(&(b.account, &b.kind, &b.value)));
        Ok(ContactProfile { contact, attributes: self.workflow.attributes.get(&id).cloned().unwrap_or_default() })
    }

    fn conversations_of_contact(&self, contact: ContactId) -> Vec<ConversationId> {
        let mut ids: Vec<ConversationId> =
            self.conversations.values().filter(|c| c.contact == contact).map(|c| c.id).collect();
        ids.sort();
        ids
    }

    fn log_contact_change(&mut self, tenant: &TenantId, conversations: &[ConversationId], detail: &str) {
        for conversation in conversations {
            self.changes.push(
                Change::new(tenant.clone(), Timestamp::now(), ChangeKind::ConversationChanged)
                    .conversation(*conversation)
                    .detail(detail),
            );
        }
    }

    pub(super) fn update_contact(
        &mut self,
        tenant: &TenantId,
        id: ContactId,
        update: &ContactUpdate,
    ) -> Result<ContactProfile> {
        let mut profile = self.contact_profile(tenant, id)?;
        update.apply(&mut profile)?;
        let stored = self.contacts.get_mut(&id).ok_or_else(|| not_found("contact"))?;
        if update.display_name.is_some() {
            stored.contact.display_name = profile.contact.display_name.clone();
            stored.name_from = Some((CHOSEN_BY_TEAM, String::new()));
        }
        self.workflow.attributes.insert(id, profile.attributes.clone());
        let conversations = self.conversations_of_contact(id);
        self.log_contact_change(tenant, &conversations, "contact_updated");
        Ok(profile)
    }

    pub(super) fn merge_contacts(
        &mut self,
        tenant: &TenantId,
        keep: ContactId,
        duplicate: ContactId,
    ) -> Result<ContactProfile> {
        if keep == duplicate {
            return Err(invalid("a contact cannot be merged into itself"));
        }
        let kept = self.contact_profile(tenant, keep)?;
        let merged_away = self.contact_profile(tenant, duplicate)?;
        let moving = self.conversations_of_contact(duplicate);
        let kept_accounts: Vec<_> =
            self.conversations.values().filter(|c| c.contact == keep).map(|c| c.account).collect();
        if moving.iter().any(|id| self.conversations.get(id).is_some_and(|c| kept_accounts.contains(&c.account))) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "both contacts have a conversation on the same channel account; a conversation belongs to one contact",
            ));
        }
        let merged = kept.merged_with(&merged_away);
        // Everything is checked: from here on nothing fails, so the merge is all or nothing.
        for identity in &merged_away.contact.identities {
            self.identities.insert((identity.account, identity.kind.clone(), identity.value.clone()), keep);
        }
        for id in &moving {
            if let Some(conversation) = self.conversations.get_mut(id) {
                conversation.contact = keep;
                let account = conversation.account;
                self.conversation_of.remove(&(account, duplicate));
                self.conversation_of.insert((account, keep), *id);
            }
        }
        for stored in self.messages.values_mut() {
            if stored.message.author == Author::Contact(duplicate) {
                stored.message.author = Author::Contact(keep);
            }
        }
        let gone = self.contacts.remove(&duplicate);
        if let Some(stored) = self.contacts.get_mut(&keep) {
            stored.contact = merged.contact.clone();
            if stored.name_from.is_none() {
                stored.name_from = gone.and_then(|g| g.name_from);
            }
        }
        self.workflow.attributes.remove(&duplicate);
        self.workflow.attributes.insert(keep, merged.attributes.clone());
        self.log_contact_change(tenant, &moving, "contact_merged");
        self.contact_profile(tenant, keep)
    }
}
