//! Twilio webhooks to unified events.
//!
//! | webhook | unified event |
//! |---|---|
//! | incoming SMS, MMS or WhatsApp message (`SmsStatus=received`) | `Message`: text; the first medium (`MediaUrl0`, `MediaContentType0`) as image, video, audio or file with `Body` as its caption, each further medium as a message of its own (`{MessageSid}/{n}`); a WhatsApp location; `OriginalRepliedMessageSid` as `reply_to` |
//! | WhatsApp quick-reply button (`ButtonPayload`) | `Postback` with `ButtonText` as the title |
//! | WhatsApp message of another type without text (`MessageType`) | `Message` with `Content::Unsupported` and every parameter |
//! | status callback (`MessageStatus`) queued, accepted, scheduled, sending, sent, delivered, read | `Delivery` with that status |
//! | status callback undelivered, failed, canceled | `Delivery` with `Failed`, the reason naming the `ErrorCode`'s kind |
//! | status callback of another status | `Unsupported` with every parameter |
//!
//! The event id is the `MessageSid` for a message (the same on every redelivery), and
//! `{MessageSid}:{MessageStatus}` for a status callback. The account is the business's address
//! (`To` of a message, `From` of a status callback): `+14155550100` for a number,
//! `whatsapp:+14155238886` for a WhatsApp sender. Twilio's webhooks carry no time, so events
//! are stamped with the time of receipt.

mod message;
mod status;

use std::borrow::Cow;

use unibox_core::{Error, ErrorKind, IdentityKind, InboundEvent, PlatformUser, Result, Timestamp};

use crate::form::{Form, Repeated};

/// The prefix of a WhatsApp address (`whatsapp:+14155238886`).
pub const WHATSAPP_PREFIX: &str = "whatsapp:";

/// The identity kind of a Twilio address that is neither a phone number nor WhatsApp
/// (`messenger:…`, `rcs:…`): the address is kept whole and sent to as it is.
pub const ADDRESS_IDENTITY: &str = "twilio_address";

/// The most media of one message Twilio sends (MMS and WhatsApp); further `MediaUrl{n}` are
/// kept only in an `Unsupported` message's parameters.
pub const MAX_MEDIA: usize = 10;

pub(crate) fn malformed(why: impl Into<Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("twilio.parse")
}

/// A parameter that must be given once at most.
pub(crate) fn field<'f>(form: &'f Form<'_>, name: &'static str) -> Result<Option<&'f str>> {
    form.get(name).map_err(|Repeated(name)| malformed(format!("the Twilio parameter {name} is given twice")))
}

/// A parameter that must be given, once, and not empty.
pub(crate) fn required<'f>(form: &'f Form<'_>, name: &'static str) -> Result<&'f str> {
    field(form, name)?.filter(|v| !v.is_empty()).ok_or_else(|| malformed(format!("the Twilio webhook has no {name}")))
}

/// The customer at a Twilio address: a WhatsApp id (`WaId`, the number without `+`), a phone
/// number in E.164, or another channel's address kept whole.
pub(crate) fn customer(address: &str, wa_id: Option<&str>) -> PlatformUser {
    if let Some(number) = address.strip_prefix(WHATSAPP_PREFIX) {
        let id = wa_id.filter(|w| !w.is_empty()).unwrap_or_else(|| number.trim_start_matches('+'));
        return PlatformUser::new(IdentityKind::WhatsappId, id);
    }
    if address.starts_with('+') || address.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        PlatformUser::new(IdentityKind::PhoneNumber, address)
    } else {
        PlatformUser::new(IdentityKind::Other(ADDRESS_IDENTITY.into()), address)
    }
}

/// The events of a verified webhook body; `json` says it came as JSON (`bodySHA256`).
pub(crate) fn parse(body: &[u8], json: bool, now: Timestamp) -> Result<Vec<InboundEvent>> {
    let form = if json {
        Form::from_json(body).ok_or_else(|| malformed("the Twilio JSON webhook is not a JSON object"))?
    } else {
        Form::parse(body)
    };
    events_of(&form, now)
}

/// The events of a decoded webhook.
pub(crate) fn events_of(form: &Form<'_>, now: Timestamp) -> Result<Vec<InboundEvent>> {
    let status = match field(form, "MessageStatus")? {
        Some(status) => Some(status),
        None => field(form, "SmsStatus")?,
    };
    match status {
        Some(status) if status != "received" => status::parse(form, status, now),
        _ => message::parse(form, now),
    }
}
