use serde::{Deserialize, Serialize};

use crate::{ConversationId, NoteId, TenantId, Timestamp, UserId};

/// A note agents leave on a conversation for each other. It is never sent to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalNote {
    /// unibox's id.
    pub id: NoteId,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation: ConversationId,
    /// Who wrote it.
    pub author: UserId,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}
