use serde::{Deserialize, Serialize};

use crate::{Content, DeliveryStatus, Direction, PlatformUser, Timestamp};

/// One thing that happened on a platform, normalized. A webhook request parses into a list
/// of these.
///
/// Every event names the platform account it belongs to (`account`: page id, phone number id,
/// LINE bot id, shop id ...), so one batched webhook carrying several accounts is routed to
/// the right tenants, and carries an `id` that is the same each time the platform redelivers
/// it, so redeliveries are stored once.
///
/// ```
/// use unibox_core::{Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Timestamp};
/// let event = InboundEvent {
///     id: "01HZY3".into(),
///     account: "shop-42".into(),
///     occurred_at: Timestamp::from_unix_seconds(1_732_000_000),
///     kind: EventKind::Message(InboundMessage::inbound(
///         PlatformUser::new(IdentityKind::External, "cust-9"),
///         "msg-1",
///         Content::text("Hello"),
///     )),
/// };
/// assert_eq!(event.kind.name(), "message");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundEvent {
    /// A stable id for deduplication: the platform's event id when it has one, otherwise one
    /// the adapter derives from the payload (never from the arrival time).
    pub id: String,
    /// The platform's id of the account the event belongs to.
    pub account: String,
    /// When it happened, by the platform's clock.
    pub occurred_at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A new message, from the customer or (an echo) from the business on another device.
    Message(InboundMessage),
    /// The customer edited a message.
    Edit {
        /// Who edited.
        customer: PlatformUser,
        /// The edited message's platform id.
        message_id: String,
        /// The new content.
        content: Content,
    },
    /// The customer unsent (deleted) a message.
    Unsend {
        /// Who unsent it.
        customer: PlatformUser,
        /// The message's platform id.
        message_id: String,
    },
    /// The customer reacted to a message, or removed a reaction (`emoji` is `None`).
    Reaction {
        /// Who reacted.
        customer: PlatformUser,
        /// The message's platform id.
        message_id: String,
        /// The emoji, or `None` when removed.
        emoji: Option<String>,
    },
    /// Outbound messages were sent, delivered, read, or failed.
    Delivery(DeliveryUpdate),
    /// The customer tapped a button or quick reply.
    Postback {
        /// Who tapped.
        customer: PlatformUser,
        /// The button's payload.
        payload: String,
        /// The button's title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// The customer followed (added, subscribed to) the account.
    Follow {
        /// Who.
        customer: PlatformUser,
    },
    /// The customer unfollowed (blocked, unsubscribed from) the account.
    Unfollow {
        /// Who.
        customer: PlatformUser,
    },
    /// The customer arrived through a link, ad or QR code.
    Referral {
        /// Who.
        customer: PlatformUser,
        /// Where from (`"SHORTLINK"`, `"ADS"`, ...).
        source: String,
        /// The `ref` parameter, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// A marketplace order changed.
    OrderUpdate(OrderUpdate),
    /// The platform revoked the app's access to the account.
    AuthorizationRevoked {
        /// Why, as the platform says it.
        reason: String,
    },
    /// The platform gave a customer a new id: a Telegram group upgraded to a supergroup gets a
    /// new chat id. The inbox moves the identity `previous_id` (same kind, same account) of its
    /// contact to `customer.id`, so the conversation goes on under the new id; nothing moves
    /// when no contact has the previous id, or the new id already belongs to a contact.
    CustomerIdChanged {
        /// The customer under the new id.
        customer: PlatformUser,
        /// The id the customer had until now.
        previous_id: String,
    },
    /// An event unibox has no mapping for, kept whole.
    Unsupported {
        /// The platform's name for the event.
        platform_type: String,
        /// The platform's JSON, as received.
        raw: serde_json::Value,
    },
}

impl EventKind {
    /// A snake_case name for logs and output.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Message(_) => "message",
            EventKind::Edit { .. } => "edit",
            EventKind::Unsend { .. } => "unsend",
            EventKind::Reaction { .. } => "reaction",
            EventKind::Delivery(_) => "delivery",
            EventKind::Postback { .. } => "postback",
            EventKind::Follow { .. } => "follow",
            EventKind::Unfollow { .. } => "unfollow",
            EventKind::Referral { .. } => "referral",
            EventKind::OrderUpdate(_) => "order_update",
            EventKind::AuthorizationRevoked { .. } => "authorization_revoked",
            EventKind::CustomerIdChanged { .. } => "customer_id_changed",
            EventKind::Unsupported { .. } => "unsupported",
        }
    }

    /// The customer the event is about, when it names one.
    pub fn customer(&self) -> Option<&PlatformUser> {
        match self {
            EventKind::Message(message) => Some(&message.customer),
            EventKind::Edit { customer, .. }
            | EventKind::Unsend { customer, .. }
            | EventKind::Reaction { customer, .. }
            | EventKind::Postback { customer, .. }
            | EventKind::Follow { customer }
            | EventKind::Unfollow { customer }
            | EventKind::Referral { customer, .. }
            | EventKind::CustomerIdChanged { customer, .. } => Some(customer),
            EventKind::Delivery(update) => update.customer.as_ref(),
            EventKind::OrderUpdate(update) => update.buyer.as_ref(),
            EventKind::AuthorizationRevoked { .. } | EventKind::Unsupported { .. } => None,
        }
    }
}

/// A message as a platform reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The customer of the conversation (the sender of an inbound message, the recipient of an echo).
    pub customer: PlatformUser,
    /// Inbound, or outbound for echoes of messages the business sent elsewhere.
    pub direction: Direction,
    /// The platform's message id.
    pub message_id: String,
    /// What it says.
    pub content: Content,
    /// The platform id of the message it replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl InboundMessage {
    /// A message from the customer.
    pub fn inbound(customer: PlatformUser, message_id: impl Into<String>, content: Content) -> Self {
        InboundMessage {
            customer,
            direction: Direction::Inbound,
            message_id: message_id.into(),
            content,
            reply_to: None,
        }
    }
}

/// Delivery receipts for outbound messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryUpdate {
    /// The customer whose messages these are, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<PlatformUser>,
    /// The platform ids of the messages.
    pub message_ids: Vec<String>,
    /// The new status (sent, delivered, read or failed).
    pub status: DeliveryStatus,
}

/// A marketplace order change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The buyer, when the platform names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<PlatformUser>,
    /// The order id.
    pub order_id: String,
    /// The new status as the platform names it.
    pub status: String,
    /// The platform's JSON, as received.
    pub raw: serde_json::Value,
}
