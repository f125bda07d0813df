//! [`TeamWorkflow`] for [`PostgresInbox`]: each call is one transaction scoped to its tenant,
//! with the tenant's seal (notes, contact names and attributes are sealed) and its changes
//! appended to the change log at the end of it.

mod canned;
mod contacts;
mod conversations;
mod read_markers;

use std::collections::HashMap;

use async_trait::async_trait;
use unibox_core::inbox::{ConversationUpdate, TeamWorkflow};
use unibox_core::workflow::{Agent, CannedReply, ContactProfile, ContactUpdate, ReadState};
use unibox_core::{ContactId, Conversation, ConversationId, InternalNote, Result, TenantId, Timestamp, UserId};

use crate::inbox::PostgresInbox;
use crate::sealing::Access;

#[async_trait]
impl TeamWorkflow for PostgresInbox {
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        update.validate()?;
        let (owner, update) = (tenant.clone(), update.clone());
        self.logged_tx("postgres.update_conversation", tenant, Access::Read, move |tx, _, log| {
            Box::pin(async move { conversations::update(tx, &owner, id, &update, log).await })
        })
        .await
    }

    async fn add_note(&self, note: &InternalNote) -> Result<()> {
        let note = note.clone();
        let tenant = note.tenant.clone();
        self.logged_tx("postgres.add_note", &tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { conversations::add_note(tx, seal, &note, log).await })
        })
        .await
    }

    async fn mark_read_by(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<ReadState> {
        let (owner, user) = (tenant.clone(), user.clone());
        self.logged_tx("postgres.mark_read_by", tenant, Access::Read, move |tx, _, log| {
            Box::pin(async move { read_markers::mark_read_by(tx, &owner, conversation, &user, up_to, log).await })
        })
        .await
    }

    async fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ReadState>> {
        let (owner, user, conversations) = (tenant.clone(), user.clone(), conversations.to_vec());
        self.logged_tx("postgres.read_states", tenant, Access::Read, move |tx, _, _| {
            Box::pin(async move { read_markers::read_states(tx, &owner, &user, &conversations).await })
        })
        .await
    }

    async fn open_assignments(&self, tenant: &TenantId) -> Result<HashMap<UserId, u32>> {
        const OP: &str = "postgres.open_assignments";
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { conversations::open_assignments(tx, &owner, OP).await })
            })
            .await
    }

    async fn assign_within_capacity(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>> {
        let (owner, candidates) = (tenant.clone(), candidates.to_vec());
        self.logged_tx("postgres.assign_within_capacity", tenant, Access::Read, move |tx, _, log| {
            Box::pin(async move { conversations::assign_within_capacity(tx, &owner, id, &candidates, at, log).await })
        })
        .await
    }

    async fn save_canned_reply(&self, reply: &CannedReply) -> Result<()> {
        const OP: &str = "postgres.save_canned_reply";
        reply.validate()?;
        let reply = reply.clone();
        let tenant = reply.tenant.clone();
        self.db.tenant_tx(OP, &tenant, move |tx| Box::pin(async move { canned::save(tx, &reply).await })).await
    }

    async fn canned_replies(&self, tenant: &TenantId) -> Result<Vec<CannedReply>> {
        const OP: &str = "postgres.canned_replies";
        let owner = tenant.clone();
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { canned::list(tx, &owner).await })).await
    }

    async fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
        const OP: &str = "postgres.canned_reply";
        let (owner, shortcut) = (tenant.clone(), shortcut.to_owned());
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { canned::get(tx, &owner, &shortcut).await })).await
    }

    async fn delete_canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<()> {
        const OP: &str = "postgres.delete_canned_reply";
        let (owner, shortcut) = (tenant.clone(), shortcut.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| Box::pin(async move { canned::delete(tx, &owner, &shortcut).await }))
            .await
    }

    async fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<ContactProfile> {
        const OP: &str = "postgres.contact_profile";
        let owner = tenant.clone();
        self.logged_tx(OP, tenant, Access::Read, move |tx, seal, _| {
            Box::pin(async move { contacts::profile(tx, &owner, seal, id, OP).await })
        })
        .await
    }

    async fn contacts_attribute(
        &self,
        tenant: &TenantId,
        ids: &[ContactId],
        name: &str,
    ) -> Result<HashMap<ContactId, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let (owner, ids, name) = (tenant.clone(), ids.to_vec(), name.to_owned());
        self.logged_tx("postgres.contacts_attribute", tenant, Access::Read, move |tx, seal, _| {
            Box::pin(async move { contacts::attribute_of_each(tx, &owner, seal, &ids, &name).await })
        })
        .await
    }

    async fn update_contact(&self, tenant: &TenantId, id: ContactId, update: &ContactUpdate) -> Result<ContactProfile> {
        let (owner, update) = (tenant.clone(), update.clone());
        self.logged_tx("postgres.update_contact", tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { contacts::update(tx, &owner, seal, id, &update, log).await })
        })
        .await
    }

    async fn merge_contacts(&self, tenant: &TenantId, keep: ContactId, duplicate: ContactId) -> Result<ContactProfile> {
        let owner = tenant.clone();
        self.logged_tx("postgres.merge_contacts", tenant, Access::Write, move |tx, seal, log| {
            Box::pin(async move { contacts::merge(tx, &owner, seal, keep, duplicate, log).await })
        })
        .await
    }
}
