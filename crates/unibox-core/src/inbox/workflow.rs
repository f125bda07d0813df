//! [`TeamWorkflow`]: the port a team works conversations and contacts through.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;

use super::ConversationUpdate;
use crate::workflow::{Agent, CannedReply, ContactProfile, ContactUpdate, ReadState};
use crate::{ContactId, Conversation, ConversationId, InternalNote, Result, TenantId, Timestamp, UserId};

/// What a team changes: a conversation's workflow fields, notes, per-agent read markers,
/// assignment within capacity, canned replies and contact profiles. Every change to a
/// conversation or contact is appended to the change log in the same transaction.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::inbox::TeamWorkflow;
/// let workflow = unibox_core::memory::MemoryInbox::new();
/// assert!(workflow.canned_replies(&"acme".parse()?).await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait TeamWorkflow: Send + Sync + fmt::Debug + 'static {
    /// Changes a conversation's workflow fields (status, snooze, assignee, tags, read state)
    /// with [`ConversationUpdate::apply`] and returns the result. An invalid update is
    /// `InvalidInput` and changes nothing.
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation>;

    /// Adds an internal note; the conversation must belong to the note's tenant. Adding the
    /// same note again changes nothing; another note under its id is a `Conflict`.
    async fn add_note(&self, note: &InternalNote) -> Result<()>;

    /// Records that `user` read the conversation up to `up_to` (a marker never moves back) and,
    /// since someone has now read it, sets its `unread_count` to zero. Returns the user's state.
    async fn mark_read_by(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<ReadState>;

    /// `user`'s read state of each conversation, in the order given. `NotFound` if one is not
    /// the tenant's.
    async fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ReadState>>;

    /// How many open or pending conversations each assignee works (assignees with none are
    /// left out), for least-open assignment and capacity.
    async fn open_assignments(&self, tenant: &TenantId) -> Result<HashMap<UserId, u32>>;

    /// Assigns an unassigned conversation to the first of `candidates` (in order of preference)
    /// who works fewer open or pending conversations than their capacity, in one step: the
    /// count and the assignment happen together, so concurrent calls never take an agent past
    /// their capacity. Logs the change like [`update_conversation`](TeamWorkflow::update_conversation)
    /// (at `at`). `Ok(None)` when nobody has room (nothing changes); `Conflict` if the
    /// conversation is already assigned.
    async fn assign_within_capacity(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>>;

    /// Creates or replaces the canned reply with this shortcut (validated with
    /// [`CannedReply::validate`]).
    async fn save_canned_reply(&self, reply: &CannedReply) -> Result<()>;

    /// The tenant's canned replies, by shortcut.
    async fn canned_replies(&self, tenant: &TenantId) -> Result<Vec<CannedReply>>;

    /// One canned reply; `NotFound` if the tenant has none with this shortcut.
    async fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<CannedReply>;

    /// Deletes a canned reply; `NotFound` if the tenant has none with this shortcut.
    async fn delete_canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<()>;

    /// A contact with the attributes agents recorded.
    async fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<ContactProfile>;

    /// The value of attribute `name` for each of these contacts that exists in the tenant and
    /// has it (the others are left out): an inbox list shows a page of conversations with
    /// their contacts' pictures. The default reads the profiles one by one; a backend
    /// overrides it to read them in one go.
    async fn contacts_attribute(
        &self,
        tenant: &TenantId,
        ids: &[ContactId],
        name: &str,
    ) -> Result<HashMap<ContactId, String>> {
        let mut found = HashMap::with_capacity(ids.len());
        for id in ids {
            match self.contact_profile(tenant, *id).await {
                Ok(mut profile) => {
                    if let Some(value) = profile.attributes.remove(name) {
                        found.insert(*id, value);
                    }
                }
                Err(error) if error.kind() == crate::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// Edits a contact's profile with [`ContactUpdate::apply`]. A display name set here is kept
    /// when platforms later report another name.
    async fn update_contact(&self, tenant: &TenantId, id: ContactId, update: &ContactUpdate) -> Result<ContactProfile>;

    /// Merges `duplicate` into `keep`, atomically: its identities, conversations and messages
    /// (their author) move to `keep`, the profiles merge with [`ContactProfile::merged_with`],
    /// and `duplicate` is gone (`NotFound` from then on). Future messages on its identities
    /// reach `keep`. `InvalidInput` when both are the same contact; `Conflict` when both have a
    /// conversation on the same channel account (a conversation belongs to one contact per
    /// account).
    async fn merge_contacts(&self, tenant: &TenantId, keep: ContactId, duplicate: ContactId) -> Result<ContactProfile>;
}
