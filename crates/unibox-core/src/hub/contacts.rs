//! Contact profiles: reading, editing, and merging two contacts found to be one person.

use crate::hub::Hub;
use crate::workflow::{ContactProfile, ContactUpdate, WorkflowEvent};
use crate::{Action, Actor, ContactId, Resource, Result};

impl Hub {
    /// A contact of the actor's tenant with its attributes. Requires [`Action::ReadConversations`].
    pub async fn contact_profile(&self, actor: &Actor, id: ContactId) -> Result<ContactProfile> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.store.workflow.contact_profile(actor.tenant(), id).await
    }

    /// Edits a contact's display name and attributes. Requires [`Action::EditContacts`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, actor: unibox_core::Actor, id: unibox_core::ContactId) -> unibox_core::Result<()> {
    /// use unibox_core::workflow::ContactUpdate;
    /// let update = ContactUpdate::new().display_name("Somchai Jaidee").attribute("phone", "+66812345678");
    /// let profile = hub.update_contact(&actor, id, &update).await?;
    /// assert_eq!(profile.attributes["phone"], "+66812345678");
    /// # Ok(()) }
    /// ```
    pub async fn update_contact(&self, actor: &Actor, id: ContactId, update: &ContactUpdate) -> Result<ContactProfile> {
        let target = format!("contact:{id}");
        self.authorize_audited(actor, Action::EditContacts, Resource::Tenant, "contact.update", &target).await?;
        let profile = self
            .inner
            .store
            .workflow
            .update_contact(actor.tenant(), id, update)
            .await
            .map_err(|e| e.with_operation("hub.update_contact"))?;
        self.workflow_changed(actor, WorkflowEvent::ContactUpdated { contact: id }).await;
        Ok(profile)
    }

    /// Merges `duplicate` into `keep` (see [`TeamWorkflow::merge_contacts`](crate::inbox::TeamWorkflow::merge_contacts)):
    /// the customer who wrote on LINE and on Messenger becomes one contact with both
    /// identities and both conversations. Requires [`Action::EditContacts`].
    pub async fn merge_contacts(&self, actor: &Actor, keep: ContactId, duplicate: ContactId) -> Result<ContactProfile> {
        let target = format!("contact:{keep}");
        self.authorize_audited(actor, Action::EditContacts, Resource::Tenant, "contact.merge", &target).await?;
        let profile = self
            .inner
            .store
            .workflow
            .merge_contacts(actor.tenant(), keep, duplicate)
            .await
            .map_err(|e| e.with_operation("hub.merge_contacts"))?;
        self.workflow_changed(actor, WorkflowEvent::ContactsMerged { kept: keep, merged: duplicate }).await;
        Ok(profile)
    }
}
