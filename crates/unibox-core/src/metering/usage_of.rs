//! What an inbox event or a send counts as: one place, so every hook and backend agrees.

use crate::inbox::{Acceptance, IngestOutcome, RoutedEvent};
use crate::metering::{TemplateCategory, UsageIncrement, UsageMetric};
use crate::{ChannelKind, Content, Direction, EventKind, TenantId, Timestamp};

/// The usage of one message the platform accepted for sending on a `kind` channel: one
/// message out, plus a LINE push when LINE's reply token was not used, plus a WhatsApp
/// template message.
///
/// ```
/// use unibox_core::metering::{usage_of_send, UsageMetric};
/// use unibox_core::{ChannelKind, Content, Timestamp};
/// let usage = usage_of_send(&"acme".parse().unwrap(), &ChannelKind::LINE, &Content::text("hi"), false, Timestamp::UNIX_EPOCH);
/// let metrics: Vec<UsageMetric> = usage.iter().map(|u| u.metric).collect();
/// assert_eq!(metrics, vec![UsageMetric::MessagesOut, UsageMetric::LinePush]);
/// ```
pub fn usage_of_send(
    tenant: &TenantId,
    kind: &ChannelKind,
    content: &Content,
    used_reply_token: bool,
    at: Timestamp,
) -> Vec<UsageIncrement> {
    let one = |metric| UsageIncrement::one(tenant.clone(), Some(kind.clone()), metric, at);
    let mut usage = vec![one(UsageMetric::MessagesOut)];
    if *kind == ChannelKind::LINE && !used_reply_token {
        usage.push(one(UsageMetric::LinePush));
    }
    if *kind == ChannelKind::WHATSAPP && matches!(content, Content::Template { .. }) {
        usage.push(one(UsageMetric::WhatsAppTemplate(TemplateCategory::Uncategorized)));
    }
    usage
}

/// The usage a channel reported with a send ([`SendReceipt::usage`](crate::channel::SendReceipt)),
/// as increments on the `kind` channel; zero quantities are left out.
///
/// ```
/// use unibox_core::metering::{usage_reported, UsageMetric};
/// use unibox_core::{ChannelKind, Timestamp};
/// let usage = usage_reported(&"acme".parse().unwrap(), &ChannelKind::TWILIO, &[(UsageMetric::SmsSegments, 2)], Timestamp::UNIX_EPOCH);
/// assert_eq!((usage[0].metric, usage[0].quantity), (UsageMetric::SmsSegments, 2));
/// ```
pub fn usage_reported(
    tenant: &TenantId,
    kind: &ChannelKind,
    reported: &[(UsageMetric, u64)],
    at: Timestamp,
) -> Vec<UsageIncrement> {
    reported
        .iter()
        .filter(|(_, quantity)| *quantity > 0)
        .map(|&(metric, quantity)| UsageIncrement {
            tenant: tenant.clone(),
            channel: Some(kind.clone()),
            metric,
            at,
            quantity,
        })
        .collect()
}

/// The usage of ingested events: one message in per customer message or postback stored for
/// the first time (redeliveries and the business's own echoes do not count). `kind_of` names
/// the platform of an event's account. `events` and `outcomes` are paired by position, as
/// [`EventIngest::ingest`](crate::inbox::EventIngest::ingest) returns them.
pub fn usage_of_ingest(
    events: &[RoutedEvent],
    outcomes: &[IngestOutcome],
    kind_of: impl Fn(&RoutedEvent) -> Option<ChannelKind>,
) -> Vec<UsageIncrement> {
    events
        .iter()
        .zip(outcomes)
        .filter(|(_, outcome)| matches!(outcome, IngestOutcome::Stored { message: Some(_), .. }))
        .filter_map(|(routed, _)| usage_of_event(routed, kind_of(routed)))
        .collect()
}

/// The usage of accepted events ([`EventIngest::accept`](crate::inbox::EventIngest::accept)): one message in per
/// customer message or postback accepted for the first time. A message redelivered under a new
/// event id is recognised only when it is applied, after this count: such a message counts twice.
///
/// ```
/// use unibox_core::inbox::Acceptance;
/// use unibox_core::metering::usage_of_accept;
/// assert!(usage_of_accept(&[], &[Acceptance::Accepted], |_| None).is_empty());
/// ```
pub fn usage_of_accept(
    events: &[RoutedEvent],
    outcomes: &[Acceptance],
    kind_of: impl Fn(&RoutedEvent) -> Option<ChannelKind>,
) -> Vec<UsageIncrement> {
    events
        .iter()
        .zip(outcomes)
        .filter(|(_, outcome)| **outcome == Acceptance::Accepted)
        .filter_map(|(routed, _)| usage_of_event(routed, kind_of(routed)))
        .collect()
}

/// What one event counts as if it is stored for the first time: a customer message or postback
/// is one message in on the `kind` channel; nothing else counts. Lets a caller take the count
/// before handing the events over and keep only the ones the outcomes say were new.
///
/// ```
/// use unibox_core::metering::usage_of_event;
/// use unibox_core::inbox::RoutedEvent;
/// use unibox_core::{EventKind, InboundEvent, Timestamp};
/// let follow = RoutedEvent {
///     tenant: "acme".parse().unwrap(),
///     account: unibox_core::ChannelAccountId::new(),
///     received_at: Timestamp::UNIX_EPOCH,
///     event: InboundEvent {
///         id: "e1".into(),
///         account: "page-1".into(),
///         occurred_at: Timestamp::UNIX_EPOCH,
///         kind: EventKind::Follow { customer: unibox_core::PlatformUser::new(unibox_core::IdentityKind::External, "c1") },
///     },
/// };
/// assert!(usage_of_event(&follow, None).is_none());
/// ```
pub fn usage_of_event(routed: &RoutedEvent, kind: Option<ChannelKind>) -> Option<UsageIncrement> {
    let counts = match &routed.event.kind {
        EventKind::Message(message) => message.direction == Direction::Inbound,
        EventKind::Postback { .. } => true,
        _ => false,
    };
    counts.then(|| UsageIncrement::one(routed.tenant.clone(), kind, UsageMetric::MessagesIn, routed.received_at))
}

/// The usage of one AI model call.
pub fn usage_of_ai_call(
    tenant: &TenantId,
    input_tokens: u64,
    output_tokens: u64,
    at: Timestamp,
) -> Vec<UsageIncrement> {
    let mut usage = vec![UsageIncrement::one(tenant.clone(), None, UsageMetric::AiCalls, at)];
    for (metric, quantity) in [(UsageMetric::AiInputTokens, input_tokens), (UsageMetric::AiOutputTokens, output_tokens)]
    {
        if quantity > 0 {
            usage.push(UsageIncrement { tenant: tenant.clone(), channel: None, metric, at, quantity });
        }
    }
    usage
}
