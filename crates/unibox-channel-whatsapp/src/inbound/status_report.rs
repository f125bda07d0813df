//! [`StatusReport`]: the statuses of a delivery with the billing details (conversation and
//! pricing) that the unified `DeliveryUpdate` leaves out.

use unibox_channel_meta::parse_notification;
use unibox_core::{Result, Timestamp};

use super::wire::{self, RawItemsValue};
use super::{OBJECT, failure_reason, is_messages_field, malformed, unix_seconds};

/// What WhatsApp reported about one message the business sent, as billing and analytics
/// need it.
///
/// ```
/// # fn report(channel: &unibox_channel_whatsapp::WhatsAppChannel, request: &unibox_core::channel::WebhookRequest) -> unibox_core::Result<()> {
/// use unibox_core::Channel;
/// let verified = channel.verify(request)?;
/// for report in channel.status_reports(&verified)? {
///     if let Some(pricing) = &report.pricing {
///         println!("{} {} billable={:?} {:?}", report.message_id, report.status, pricing.billable, pricing.category);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusReport {
    /// The business number's `phone_number_id`.
    pub account: String,
    /// The message's wamid.
    pub message_id: String,
    /// `sent`, `delivered`, `read`, `played`, `failed`, or what WhatsApp adds later.
    pub status: String,
    /// When, by WhatsApp's clock.
    pub at: Timestamp,
    /// The customer's `wa_id` (or business-scoped user id).
    pub recipient: Option<String>,
    /// `biz_opaque_callback_data`: unibox's message id for messages unibox sent.
    pub callback_data: Option<String>,
    /// Why a `failed` message failed: each error's title, code and details.
    pub failure: Option<String>,
    /// The conversation (24-hour billing window) the message opened or belongs to.
    pub conversation: Option<ConversationWindow>,
    /// How the message is priced.
    pub pricing: Option<Pricing>,
}

/// A WhatsApp conversation, as statuses name it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConversationWindow {
    /// The conversation id.
    pub id: Option<String>,
    /// What opened it: `service`, `utility`, `marketing`, `authentication`, `referral_conversion`.
    pub origin: Option<String>,
    /// When it ends (sent with the first status of the conversation).
    pub expires_at: Option<Timestamp>,
}

/// How WhatsApp prices a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pricing {
    /// Whether the message is charged.
    pub billable: Option<bool>,
    /// The pricing model (`CBP`, `PMP`).
    pub model: Option<String>,
    /// The category (`service`, `utility`, `marketing`, `authentication`).
    pub category: Option<String>,
}

fn owned(text: &Option<wire::Str<'_>>) -> Option<String> {
    text.as_deref().map(str::to_owned)
}

/// The statuses of a verified delivery; statuses that cannot be read are left out.
pub(crate) fn status_reports(body: &[u8]) -> Result<Vec<StatusReport>> {
    let notification = parse_notification(body).map_err(|e| e.with_operation("whatsapp.status_reports"))?;
    if notification.object != OBJECT {
        return Err(malformed(format!("the notification is for object {:?}, not {OBJECT}", notification.object)));
    }
    let mut reports = Vec::new();
    for entry in &notification.entry {
        for change in entry.changes.iter().filter(|c| is_messages_field(&c.field)) {
            let Ok(value) = serde_json::from_str::<RawItemsValue<'_>>(change.value.get()) else { continue };
            let account = value.metadata.as_ref().and_then(|m| m.phone_number_id.as_deref()).unwrap_or(&entry.id);
            for raw in &value.statuses {
                let Ok(status) = serde_json::from_str::<wire::Status<'_>>(raw.get()) else { continue };
                let Some(at) = unix_seconds(&status.timestamp) else { continue };
                reports.push(StatusReport {
                    account: account.to_owned(),
                    message_id: status.id.to_string(),
                    status: status.status.to_string(),
                    at,
                    recipient: owned(&status.recipient_id).or_else(|| owned(&status.recipient_user_id)),
                    callback_data: owned(&status.biz_opaque_callback_data),
                    failure: (&*status.status == "failed").then(|| failure_reason(&status.errors)),
                    conversation: status.conversation.as_deref().map(|c| ConversationWindow {
                        id: owned(&c.id),
                        origin: c.origin.as_ref().and_then(|o| owned(&o.kind)),
                        expires_at: c.expiration_timestamp.as_deref().and_then(unix_seconds),
                    }),
                    pricing: status.pricing.as_deref().map(|p| Pricing {
                        billable: p.billable,
                        model: owned(&p.pricing_model),
                        category: owned(&p.category),
                    }),
                });
            }
        }
    }
    Ok(reports)
}
