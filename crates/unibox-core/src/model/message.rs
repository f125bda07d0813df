use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, ContactId, Content, ConversationId, MessageId, TenantId, Timestamp, UserId};

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the customer to the business.
    Inbound,
    /// From the business to the customer.
    Outbound,
}

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Author {
    /// The customer.
    Contact(ContactId),
    /// A human agent of the tenant.
    Agent(UserId),
    /// An automation (auto-reply, AI assistant), by name.
    Bot(String),
    /// The platform or unibox itself (also: messages the business sent from the platform's own app).
    System,
}

/// The truth about an outbound message, as far as anyone knows.
///
/// Statuses only move forward: a late "delivered" receipt never overwrites "read". A
/// failure overrides queued, sending and sent, but not delivered or read (the platform
/// evidently delivered it after all).
///
/// ```
/// use unibox_core::DeliveryStatus;
/// let read = DeliveryStatus::Read;
/// assert_eq!(DeliveryStatus::Delivered.merge(&read), read);
/// assert_eq!(read.merge(&DeliveryStatus::Delivered), read);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Recorded, not yet attempted.
    Queued,
    /// Handed to the platform; no answer yet.
    Sending,
    /// The platform accepted it and returned its id.
    Sent,
    /// The platform says it reached the device.
    Delivered,
    /// The customer read it.
    Read,
    /// It will not be delivered.
    Failed {
        /// Why, in words an agent understands.
        reason: String,
        /// The platform's own error code (WhatsApp `131047`), when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// What went wrong as a kind programs branch on (`131047` is
        /// [`ErrorKind::MessagingWindowClosed`](crate::ErrorKind::MessagingWindowClosed)), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<crate::ErrorKind>,
    },
    /// A received message (inbound messages have no delivery status of ours).
    Received,
}

impl DeliveryStatus {
    /// A failure known only by its reason.
    ///
    /// ```
    /// use unibox_core::DeliveryStatus;
    /// assert_eq!(DeliveryStatus::failed("blocked").as_str(), "failed");
    /// ```
    pub fn failed(reason: impl Into<String>) -> Self {
        DeliveryStatus::Failed { reason: reason.into(), code: None, kind: None }
    }

    /// A failure with the platform's code and its kind, so programs can branch on it.
    ///
    /// ```
    /// use unibox_core::{DeliveryStatus, ErrorKind};
    /// let failed = DeliveryStatus::failed_with("Re-engagement message", ErrorKind::MessagingWindowClosed, Some("131047".into()));
    /// let DeliveryStatus::Failed { kind, code, .. } = failed else { unreachable!() };
    /// assert_eq!((kind, code.as_deref()), (Some(ErrorKind::MessagingWindowClosed), Some("131047")));
    /// ```
    pub fn failed_with(reason: impl Into<String>, kind: crate::ErrorKind, code: Option<String>) -> Self {
        DeliveryStatus::Failed { reason: reason.into(), code, kind: Some(kind) }
    }

    /// The failure of a send that ended in `error`: its message, platform code and kind.
    pub fn failed_by(error: &crate::Error) -> Self {
        Self::failed_with(error.message(), error.kind(), error.platform_code().map(str::to_owned))
    }

    fn rank(&self) -> u8 {
        match self {
            DeliveryStatus::Received => 0,
            DeliveryStatus::Queued => 1,
            DeliveryStatus::Sending => 2,
            DeliveryStatus::Sent => 3,
            DeliveryStatus::Failed { .. } => 4,
            DeliveryStatus::Delivered => 5,
            DeliveryStatus::Read => 6,
        }
    }

    /// The status after `update` arrives: whichever is further along. Applying updates in
    /// any order gives the same result.
    pub fn merge(&self, update: &DeliveryStatus) -> DeliveryStatus {
        match update.rank().cmp(&self.rank()) {
            std::cmp::Ordering::Greater => update.clone(),
            std::cmp::Ordering::Less => self.clone(),
            // Two failures: keep the lexically smaller reason so the result is order-independent.
            std::cmp::Ordering::Equal => match (self, update) {
                (
                    DeliveryStatus::Failed { reason: a, code: a_code, .. },
                    DeliveryStatus::Failed { reason: b, code: b_code, .. },
                ) if (b, b_code) < (a, a_code) => update.clone(),
                _ => self.clone(),
            },
        }
    }

    /// The snake_case name of the status.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed { .. } => "failed",
            DeliveryStatus::Received => "received",
        }
    }
}

/// A customer's emoji reaction to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// Who reacted (the platform user id).
    pub by: String,
    /// The emoji.
    pub emoji: String,
    /// When.
    pub at: Timestamp,
}

/// A message in a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// unibox's id.
    pub id: MessageId,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The conversation.
    pub conversation: ConversationId,
    /// The channel account it went through.
    pub account: ChannelAccountId,
    /// Which way it went.
    pub direction: Direction,
    /// Who wrote it.
    pub author: Author,
    /// What it says.
    pub content: Content,
    /// The platform's id, once known (inbound: always; outbound: after the platform accepts).
    pub platform_message_id: Option<String>,
    /// The platform id of the message this one replies to.
    pub reply_to: Option<String>,
    /// When it was sent, by the platform's clock (inbound) or ours (outbound).
    pub sent_at: Timestamp,
    /// When unibox recorded it.
    pub recorded_at: Timestamp,
    /// When the customer last edited it.
    pub edited_at: Option<Timestamp>,
    /// When the customer unsent it; the content is then erased.
    pub unsent_at: Option<Timestamp>,
    /// Delivery status (outbound) or [`DeliveryStatus::Received`] (inbound).
    pub delivery: DeliveryStatus,
    /// The customer's reactions.
    pub reactions: Vec<Reaction>,
}
