//! `statuses[]`: what happened to messages the business sent.
//!
//! | `status` | becomes |
//! |---|---|
//! | `sent` | `DeliveryStatus::Sent` |
//! | `delivered` | `DeliveryStatus::Delivered` |
//! | `read`, `played` (a voice message was played) | `DeliveryStatus::Read` |
//! | `failed` | `DeliveryStatus::Failed` whose reason names each error's code, title and details; `code` is the first error's code and `kind` its row in the Graph table (`131047` → `MessagingWindowClosed`) |
//! | anything else | `EventKind::Unsupported` `"status.{status}"` with the raw JSON |
//!
//! The event id is `"{wamid}:{status}"`: WhatsApp sends each status of a message once, and
//! redelivers it unchanged. Pricing and conversation details (billing) are not part of the
//! unified delivery status: `WhatsAppChannel::status_reports` reads them.

use std::fmt::Write;

use serde_json::value::RawValue;
use unibox_core::{DeliveryStatus, DeliveryUpdate, ErrorKind, EventKind, IdentityKind, InboundEvent, PlatformUser};

use super::message::Scope;
use super::wire::{self, ErrorDetail};
use super::{Raw, unix_seconds, unreadable};

/// Normalizes one status kept as raw JSON (the slow path).
pub(crate) fn normalize_raw(scope: &Scope<'_>, raw: &RawValue, out: &mut Vec<InboundEvent>) {
    match serde_json::from_str::<wire::Status<'_>>(raw.get()) {
        Ok(status) => normalize(scope, &status, &Raw::Item(raw), out),
        Err(_) => out.push(unreadable("status", scope.account, &Raw::Item(raw), scope.now)),
    }
}

/// Normalizes one status into one event.
pub(crate) fn normalize(scope: &Scope<'_>, status: &wire::Status<'_>, raw: &Raw<'_>, out: &mut Vec<InboundEvent>) {
    let Some(occurred_at) = unix_seconds(&status.timestamp) else {
        out.push(unreadable("status", scope.account, raw, scope.now));
        return;
    };
    let delivery = match status.status.as_ref() {
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" | "played" => Some(DeliveryStatus::Read),
        "failed" => Some(failed(&status.errors)),
        _ => None,
    };
    let kind = match delivery {
        Some(delivery) => {
            let customer = match (&status.recipient_id, &status.recipient_user_id) {
                (Some(wa_id), _) => Some(PlatformUser::new(IdentityKind::WhatsappId, wa_id.as_ref())),
                (None, Some(user_id)) => Some(PlatformUser::new(IdentityKind::BusinessScopedUserId, user_id.as_ref())),
                (None, None) => None,
            };
            EventKind::Delivery(DeliveryUpdate { customer, message_ids: vec![status.id.to_string()], status: delivery })
        }
        None => EventKind::Unsupported { platform_type: format!("status.{}", status.status), raw: raw.value() },
    };
    out.push(InboundEvent {
        id: format!("{}:{}", status.id, status.status),
        account: scope.account.to_owned(),
        occurred_at,
        kind,
    });
}

/// `"Re-engagement message (131047): More than 24 hours have passed ..."`, one per error,
/// joined by `"; "`.
/// A failed status: the sentence, and the first error's code and kind for programs.
fn failed(errors: &[ErrorDetail<'_>]) -> DeliveryStatus {
    let reason = failure_reason(errors);
    match errors.iter().find_map(|error| error.code) {
        Some(code) => {
            let kind = unibox_channel_meta::classify(code, None).map_or(ErrorKind::PlatformRejected, |(kind, _)| kind);
            DeliveryStatus::failed_with(reason, kind, Some(code.to_string()))
        }
        None => DeliveryStatus::failed(reason),
    }
}

pub(crate) fn failure_reason(errors: &[ErrorDetail<'_>]) -> String {
    let mut reason = String::new();
    for error in errors {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        let title = error.title.as_deref().or(error.message.as_deref()).unwrap_or("error");
        reason.push_str(title);
        if let Some(code) = error.code {
            let _ = write!(reason, " ({code})");
        }
        if let Some(details) = error.error_data.as_ref().and_then(|d| d.details.as_deref()).filter(|d| *d != title) {
            let _ = write!(reason, ": {details}");
        }
    }
    if reason.is_empty() {
        reason.push_str("WhatsApp reported the message as failed without details");
    }
    reason
}
