//! Status callbacks: what became of a message the business sent.

use unibox_core::{DeliveryStatus, DeliveryUpdate, ErrorKind, EventKind, InboundEvent, Result, Timestamp};

use super::{customer, field, malformed, required};
use crate::error_map::error_kind_of_code;
use crate::form::Form;

/// The unified status of a Twilio `MessageStatus`, `None` for one unibox has no mapping for.
fn delivery_status(status: &str, form: &Form<'_>) -> Result<Option<DeliveryStatus>> {
    Ok(Some(match status {
        "queued" | "accepted" | "scheduled" => DeliveryStatus::Queued,
        "sending" => DeliveryStatus::Sending,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "undelivered" | "failed" => failure(status, form)?,
        "canceled" => DeliveryStatus::failed("canceled before Twilio sent it"),
        _ => return Ok(None),
    }))
}

/// A failed message with Twilio's `ErrorCode` and its kind for programs, and a reason for an
/// agent starting with that kind:
/// `recipient_unavailable: undelivered, Twilio error 30003 (Unreachable destination handset)`.
fn failure(status: &str, form: &Form<'_>) -> Result<DeliveryStatus> {
    let code = field(form, "ErrorCode")?.and_then(|c| c.trim().parse::<u32>().ok());
    let kind = code.and_then(error_kind_of_code).unwrap_or(ErrorKind::PlatformRejected);
    let mut reason = format!("{kind}: {status}");
    if let Some(code) = code {
        reason.push_str(&format!(", Twilio error {code}"));
    }
    if let Some(message) = field(form, "ErrorMessage")?.filter(|m| !m.is_empty()) {
        let message: String = message.chars().take(200).collect();
        reason.push_str(&format!(" ({message})"));
    }
    Ok(DeliveryStatus::failed_with(reason, kind, code.map(|code| code.to_string())))
}

pub(super) fn parse(form: &Form<'_>, status: &str, now: Timestamp) -> Result<Vec<InboundEvent>> {
    let sid = required(form, "MessageSid")?;
    let account = required(form, "From")?;
    if status.is_empty() || status.contains(':') {
        return Err(malformed("the Twilio status callback has an empty or malformed MessageStatus"));
    }
    let id = format!("{sid}:{status}");
    let kind = match delivery_status(status, form)? {
        Some(status) => {
            let to = field(form, "To")?.filter(|t| !t.is_empty());
            EventKind::Delivery(DeliveryUpdate {
                customer: to.map(|to| customer(to, None)),
                message_ids: vec![sid.to_owned()],
                status,
            })
        }
        None => EventKind::Unsupported { platform_type: format!("status:{status}"), raw: form.to_json() },
    };
    Ok(vec![InboundEvent { id, account: account.to_owned(), occurred_at: now, kind }])
}
