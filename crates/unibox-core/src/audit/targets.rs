//! The names of audit targets: one spelling per kind of thing, whoever records it (the hub, the
//! token vault, the embedding application), so a query by target finds every record.

use crate::{ChannelAccountId, ContactId, ConversationId, MessageId, TenantId};

/// The target naming a channel account: `channel_account:<id>`.
///
/// ```
/// use unibox_core::audit::targets;
/// let id = unibox_core::ChannelAccountId::new();
/// assert_eq!(targets::channel_account(id), format!("channel_account:{id}"));
/// ```
pub fn channel_account(id: ChannelAccountId) -> String {
    format!("channel_account:{id}")
}

/// The target naming a conversation: `conversation:<id>`.
pub fn conversation(id: ConversationId) -> String {
    format!("conversation:{id}")
}

/// The target naming a contact: `contact:<id>`.
///
/// ```
/// use unibox_core::audit::targets;
/// let id = unibox_core::ContactId::new();
/// assert_eq!(targets::contact(id), format!("contact:{id}"));
/// ```
pub fn contact(id: ContactId) -> String {
    format!("contact:{id}")
}

/// The target naming a whole tenant's data (an export, an import): `tenant:<tenant>`.
///
/// ```
/// use unibox_core::audit::targets;
/// assert_eq!(targets::tenant(&"acme".parse().unwrap()), "tenant:acme");
/// ```
pub fn tenant(tenant: &TenantId) -> String {
    format!("tenant:{tenant}")
}

/// The target naming a message: `message:<id>`.
pub fn message(id: MessageId) -> String {
    format!("message:{id}")
}

/// The target naming a tenant's message credits: `credits:<tenant>`.
///
/// ```
/// use unibox_core::audit::targets;
/// assert_eq!(targets::credits(&"acme".parse().unwrap()), "credits:acme");
/// ```
pub fn credits(tenant: &TenantId) -> String {
    format!("credits:{tenant}")
}
