//! [`InboxReads`]: the port conversations, messages, contacts and notes are read through.

use std::fmt;

use async_trait::async_trait;

use super::{ConversationQuery, MessageQuery, Page, SearchQuery};
use crate::{
    Contact, ContactId, ContactIdentity, Conversation, ConversationId, ErrorKind, InternalNote, Message, MessageId,
    Result, TenantId,
};

/// Reads of one tenant's inbox. Listings are keyset-paginated ([`Page`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::inbox::{ConversationQuery, InboxReads};
/// let reads = unibox_core::memory::MemoryInbox::new();
/// let page = reads.conversations(&"acme".parse()?, &ConversationQuery::new()).await?;
/// assert!(page.items.is_empty() && page.next.is_none());
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait InboxReads: Send + Sync + fmt::Debug + 'static {
    /// Lists conversations, newest activity first.
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>>;

    /// One conversation.
    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation>;

    /// A conversation's messages, newest first.
    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>>;

    /// One message.
    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message>;

    /// The messages with these ids that exist in the tenant, in the order given (the others
    /// are left out): a reader of the change log looks up a page of messages at once. The
    /// default reads them one by one; a backend overrides it to read them in one go.
    async fn messages_by_id(&self, tenant: &TenantId, ids: &[MessageId]) -> Result<Vec<Message>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.message(tenant, *id).await {
                Ok(message) => found.push(message),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// The newest message of each of these conversations that has one, in the order given:
    /// an inbox list shows a page of conversations with their last message. The default reads
    /// them one by one; a backend overrides it to read them in one go.
    async fn latest_messages(&self, tenant: &TenantId, conversations: &[ConversationId]) -> Result<Vec<Message>> {
        let newest = MessageQuery::new().limit(1);
        let mut found = Vec::with_capacity(conversations.len());
        for conversation in conversations {
            match self.messages(tenant, *conversation, &newest).await {
                Ok(page) => found.extend(page.items),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// The contacts with these ids that exist in the tenant, in the order given (the others
    /// are left out): an inbox list shows a page of conversations with their contacts' names.
    /// The default reads them one by one; a backend overrides it to read them in one go.
    async fn contacts_by_id(&self, tenant: &TenantId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.contact(tenant, *id).await {
                Ok(contact) => found.push(contact),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// Up to `limit` of the tenant's contacts in id order, starting after the contact `after`
    /// (the last of the previous page): an export walks every contact with it, a page at a time.
    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>>;

    /// One contact.
    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact>;

    /// The contact with this identity, if any (`Ok(None)` for an identity on another tenant's
    /// account).
    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>>;

    /// Full-text search over the tenant's messages.
    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>>;

    /// A conversation's internal notes, oldest first.
    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>>;
}
