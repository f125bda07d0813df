//! Batch reads for an agent's inbox list: the contacts, last messages and accounts of a page of
//! conversations in one trip each, instead of one read per row.

use crate::hub::Hub;
use crate::{Action, Actor, ChannelAccount, Contact, ContactId, Conversation, InternalNote, Message, Resource, Result};
use crate::{ConversationId, Error, ErrorKind};

impl Hub {
    /// The contacts of the actor's tenant with these ids (unknown ones left out), in the
    /// order given, read in one go where the store can. Requires [`Action::ReadConversations`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, ContactId, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let agent = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Agent);
    /// assert!(hub.contacts(&agent, &[ContactId::new()]).await.unwrap().is_empty());
    /// # });
    /// ```
    pub async fn contacts(&self, actor: &Actor, ids: &[ContactId]) -> Result<Vec<Contact>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.store.reads.contacts_by_id(actor.tenant(), ids).await.map_err(|e| e.with_operation("hub.contacts"))
    }

    /// The pictures of the contacts of the actor's tenant with these ids, by contact, as the
    /// [`ProfileWorker`](crate::profiles::ProfileWorker) stored them from their platforms
    /// ([`PICTURE_ATTRIBUTE`](crate::profiles::PICTURE_ATTRIBUTE)); contacts without one (or
    /// unknown) are left out. Read in one go where the store can. Requires
    /// [`Action::ReadConversations`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, ContactId, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let agent = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Agent);
    /// assert!(hub.contact_pictures(&agent, &[ContactId::new()]).await.unwrap().is_empty());
    /// # });
    /// ```
    pub async fn contact_pictures(
        &self,
        actor: &Actor,
        ids: &[ContactId],
    ) -> Result<std::collections::HashMap<ContactId, String>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner
            .store
            .workflow
            .contacts_attribute(actor.tenant(), ids, crate::profiles::PICTURE_ATTRIBUTE)
            .await
            .map_err(|e| e.with_operation("hub.contact_pictures"))
    }

    /// The newest message of each of `conversations` (read through the hub before, so they
    /// belong to the actor's tenant), in their order, read in one go where the store can.
    /// Requires [`Action::ReadConversations`] on each conversation.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::inbox::ConversationQuery;
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let agent = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Agent);
    /// let page = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap();
    /// assert!(hub.latest_messages(&agent, &page.items).await.unwrap().is_empty());
    /// # });
    /// ```
    pub async fn latest_messages(&self, actor: &Actor, conversations: &[Conversation]) -> Result<Vec<Message>> {
        const OP: &str = "hub.latest_messages";
        let mut ids = Vec::with_capacity(conversations.len());
        for conversation in conversations {
            if &conversation.tenant != actor.tenant() {
                return Err(Error::new(ErrorKind::NotFound, "no such conversation").with_operation(OP));
            }
            self.authorize(actor, Action::ReadConversations, Resource::Conversation(conversation))
                .map_err(|e| e.with_operation(OP))?;
            ids.push(conversation.id);
        }
        self.inner.store.reads.latest_messages(actor.tenant(), &ids).await.map_err(|e| e.with_operation(OP))
    }

    /// The channel accounts of the actor's tenant. Requires [`Action::ReadConversations`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let viewer = Actor::user("acme".parse().unwrap(), "vic".parse().unwrap(), Role::Viewer);
    /// assert!(hub.accounts(&viewer).await.unwrap().is_empty());
    /// # });
    /// ```
    pub async fn accounts(&self, actor: &Actor) -> Result<Vec<ChannelAccount>> {
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.inner.store.accounts.accounts(actor.tenant()).await.map_err(|e| e.with_operation("hub.accounts"))
    }

    /// A conversation's internal notes, oldest first. Requires [`Action::ReadConversations`]
    /// on the conversation.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_core::{Actor, ConversationId, ErrorKind, Hub, Role};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let agent = Actor::user("acme".parse().unwrap(), "ann".parse().unwrap(), Role::Agent);
    /// let missing = hub.notes(&agent, ConversationId::new()).await.unwrap_err();
    /// assert_eq!(missing.kind(), ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn notes(&self, actor: &Actor, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        let conversation = self.conversation(actor, conversation).await?;
        self.inner.store.reads.notes(actor.tenant(), conversation.id).await.map_err(|e| e.with_operation("hub.notes"))
    }
}
