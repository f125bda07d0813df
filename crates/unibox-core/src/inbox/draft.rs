//! [`OutboundDraft`]: an outbound message to record before it is sent.

use crate::{
    Author, ChannelAccountId, Content, ConversationId, DeliveryStatus, Message, MessageId, TenantId, Timestamp,
};

/// An outbound message to record before it is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundDraft {
    /// The id to give the message (the hub makes a new one; it doubles as idempotency key).
    pub id: MessageId,
    /// The conversation.
    pub conversation: ConversationId,
    /// Who is sending.
    pub author: Author,
    /// What.
    pub content: Content,
    /// The platform id of the message replied to.
    pub reply_to: Option<String>,
    /// When it was recorded.
    pub at: Timestamp,
}

impl OutboundDraft {
    /// The message a store records for this draft: outbound, [`DeliveryStatus::Queued`],
    /// not yet known to the platform. Every backend builds it here, so they record the same thing.
    ///
    /// ```
    /// use unibox_core::inbox::OutboundDraft;
    /// use unibox_core::{Author, ChannelAccountId, Content, ConversationId, DeliveryStatus, MessageId, Timestamp};
    /// let draft = OutboundDraft {
    ///     id: MessageId::new(),
    ///     conversation: ConversationId::new(),
    ///     author: Author::System,
    ///     content: Content::text("Your order shipped."),
    ///     reply_to: None,
    ///     at: Timestamp::from_unix_seconds(1_732_170_000),
    /// };
    /// let message = draft.into_queued_message("acme".parse().unwrap(), ChannelAccountId::new());
    /// assert_eq!(message.delivery, DeliveryStatus::Queued);
    /// assert!(message.platform_message_id.is_none());
    /// ```
    pub fn into_queued_message(self, tenant: TenantId, account: ChannelAccountId) -> Message {
        Message {
            id: self.id,
            tenant,
            conversation: self.conversation,
            account,
            direction: crate::Direction::Outbound,
            author: self.author,
            content: self.content,
            platform_message_id: None,
            reply_to: self.reply_to,
            sent_at: self.at,
            recorded_at: self.at,
            edited_at: None,
            unsent_at: None,
            delivery: DeliveryStatus::Queued,
            reactions: Vec::new(),
        }
    }
}
