//! Validating and encoding events before the transaction (the rules of
//! [`unibox_core::ingest`]: [`validate`](unibox_core::ingest::validate) and
//! [`plan`](unibox_core::ingest::plan)).

use unibox_core::inbox::RoutedEvent;
use unibox_core::ingest::{self, Amendment, IngestPlan};
use unibox_core::{
    ChannelAccountId, ChannelAccountState, ContactId, ConversationId, DeliveryStatus, Direction, Error, ErrorKind,
    EventKind, MessageId, PlatformUser, Result,
};

use super::OP;
use crate::codec::{identity_kind_key, search_text, to_json};

/// An event checked and encoded for the transaction.
#[derive(Debug)]
pub(crate) struct PreparedEvent {
    pub(crate) account: ChannelAccountId,
    pub(crate) event_id: String,
    pub(crate) kind: &'static str,
    pub(crate) occurred_at: i64,
    pub(crate) received_at: i64,
    /// The whole event as JSON, for the event log (events without a table of their own).
    pub(crate) logged: Option<String>,
    pub(crate) action: Action,
}

#[derive(Debug)]
pub(crate) enum Action {
    Message(NewMessage),
    Edit {
        message_id: String,
        content_json: String,
        text: Option<String>,
    },
    Unsend {
        message_id: String,
    },
    Reaction {
        message_id: String,
        reactor: String,
        emoji: Option<String>,
    },
    Delivery {
        message_ids: Vec<String>,
        status: DeliveryStatus,
    },
    Revoke {
        state_json: String,
    },
    /// A customer's identity gets a new value (a Telegram group became a supergroup).
    MoveIdentity {
        kind: String,
        previous: String,
        current: String,
    },
    Log,
}

#[derive(Debug)]
pub(crate) struct NewMessage {
    /// Ids used only if the message, its conversation or its contact turn out to be new.
    pub(crate) message: MessageId,
    pub(crate) conversation: ConversationId,
    pub(crate) contact: ContactId,
    pub(crate) customer_kind: String,
    pub(crate) customer_id: String,
    pub(crate) customer_name: Option<String>,
    pub(crate) direction: Direction,
    pub(crate) platform_id: String,
    pub(crate) content_json: String,
    pub(crate) text: Option<String>,
    pub(crate) reply_to: Option<String>,
}

fn customer(user: &PlatformUser) -> Result<(String, String, Option<String>)> {
    Ok((identity_kind_key(&user.kind)?, user.id.clone(), user.display_name.clone()))
}

/// The shared rules, and that every customer's identity kind can be stored.
pub(crate) fn validate(routed: &RoutedEvent) -> Result<()> {
    ingest::validate(routed).map_err(|e| e.with_operation(OP))?;
    match &routed.event.kind {
        EventKind::Message(unibox_core::InboundMessage { customer: user, .. })
        | EventKind::Postback { customer: user, .. }
        | EventKind::CustomerIdChanged { customer: user, .. } => identity_kind_key(&user.kind).map(|_| ()),
        _ => Ok(()),
    }
}

/// Validates and encodes one event.
pub(crate) fn prepare(routed: RoutedEvent) -> Result<PreparedEvent> {
    validate(&routed)?;
    let RoutedEvent { account, received_at, event, .. } = routed;
    let kind = event.kind.name();
    let plan = ingest::plan(&event);
    let logged = if plan.is_logged() { Some(to_json(&event, "event")?) } else { None };
    let action = match plan {
        IngestPlan::StoreMessage(message) => {
            let (customer_kind, customer_id, customer_name) = customer(message.customer)?;
            Action::Message(NewMessage {
                message: MessageId::new(),
                conversation: ConversationId::new(),
                contact: ContactId::new(),
                customer_kind,
                customer_id,
                customer_name,
                direction: message.direction,
                platform_id: message.platform_message_id.into_owned(),
                content_json: to_json(message.content.as_ref(), "message content")?,
                text: search_text(&message.content),
                reply_to: message.reply_to.map(str::to_owned),
            })
        }
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Edit { content } } => Action::Edit {
            message_id: message_id.clone(),
            content_json: to_json(content, "edited content")?,
            text: search_text(content),
        },
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Unsend } => {
            Action::Unsend { message_id: message_id.clone() }
        }
        IngestPlan::Amend { message_ids: [message_id], amendment: Amendment::Reaction { by, emoji } } => {
            Action::Reaction { message_id: message_id.clone(), reactor: by.to_owned(), emoji: emoji.map(str::to_owned) }
        }
        IngestPlan::Amend { message_ids, amendment: Amendment::Delivery(status) } => {
            Action::Delivery { message_ids: message_ids.to_vec(), status: status.clone() }
        }
        IngestPlan::Amend { message_ids, amendment } => {
            // Only receipts name several messages; the plan never asks for more.
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("a {} names {} messages; it applies to one", amendment.kind(), message_ids.len()),
            )
            .with_operation(OP));
        }
        IngestPlan::RequireReauthorization { reason } => {
            let state = ChannelAccountState::ReauthorizationRequired { reason: reason.to_owned() };
            Action::Revoke { state_json: to_json(&state, "account state")? }
        }
        IngestPlan::MoveIdentity { kind, previous, current } => Action::MoveIdentity {
            kind: identity_kind_key(kind)?,
            previous: previous.to_owned(),
            current: current.to_owned(),
        },
        IngestPlan::Log => Action::Log,
    };
    Ok(PreparedEvent {
        account,
        kind,
        occurred_at: event.occurred_at.as_unix_millis(),
        received_at: received_at.as_unix_millis(),
        logged,
        action,
        event_id: event.id,
    })
}
