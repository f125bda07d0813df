//! Incoming messages: SMS, MMS and WhatsApp.

use unibox_core::{Content, EventKind, InboundEvent, InboundMessage, Media, MediaSource, Result, Timestamp};
use url::Url;

use super::{MAX_MEDIA, customer, field, malformed, required};
use crate::form::Form;

/// The content of one medium, by its MIME type.
fn medium(url: Url, content_type: Option<&str>, caption: Option<&str>) -> Content {
    let media = Media {
        source: MediaSource::Url { url },
        mime_type: content_type.map(str::to_owned),
        caption: caption.map(str::to_owned),
        file_name: None,
    };
    match content_type.and_then(|t| t.split('/').next()) {
        Some("image") => Content::Image(media),
        Some("video") => Content::Video(media),
        Some("audio") => Content::Audio(media),
        _ => Content::File(media),
    }
}

/// A medium's URL and MIME type.
type Medium = (Url, Option<String>);

/// `MediaUrl{n}` and `MediaContentType{n}` for n below `NumMedia`; `None` when a URL is missing
/// or not a URL (the message is then kept whole).
fn media(form: &Form<'_>) -> Result<Option<Vec<Medium>>> {
    let count = match field(form, "NumMedia")? {
        None | Some("") => 0,
        Some(text) => text.trim().parse::<usize>().map_err(|_| malformed("NumMedia is not a number"))?,
    };
    if count > MAX_MEDIA {
        return Ok(None);
    }
    let mut media = Vec::with_capacity(count);
    for n in 0..count {
        let url = form.get(&format!("MediaUrl{n}")).ok().flatten().and_then(|u| Url::parse(u).ok());
        let Some(url) = url else { return Ok(None) };
        let content_type = form.get(&format!("MediaContentType{n}")).ok().flatten().map(str::to_owned);
        media.push((url, content_type));
    }
    Ok(Some(media))
}

fn coordinate(form: &Form<'_>, name: &'static str) -> Result<Option<f64>> {
    Ok(field(form, name)?.and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite()))
}

pub(super) fn parse(form: &Form<'_>, now: Timestamp) -> Result<Vec<InboundEvent>> {
    let sid = match field(form, "MessageSid")? {
        Some(sid) if !sid.is_empty() => sid,
        _ => match field(form, "SmsMessageSid")? {
            Some(sid) if !sid.is_empty() => sid,
            _ => required(form, "SmsSid")?,
        },
    };
    let account = required(form, "To")?;
    let mut from = customer(required(form, "From")?, field(form, "WaId")?);
    if let Some(name) = field(form, "ProfileName")?.filter(|n| !n.is_empty()) {
        from = from.with_name(name);
    }
    let body = field(form, "Body")?.unwrap_or("");
    let caption = Some(body).filter(|b| !b.is_empty());
    let reply_to = field(form, "OriginalRepliedMessageSid")?.filter(|r| !r.is_empty()).map(str::to_owned);
    let event = |id: String, kind: EventKind| InboundEvent { id, account: account.to_owned(), occurred_at: now, kind };
    let message = |id: &str, content: Content| {
        let mut message = InboundMessage::inbound(from.clone(), id, content);
        message.reply_to = reply_to.clone();
        EventKind::Message(message)
    };

    let Some(media) = media(form)? else {
        let content = Content::Unsupported { platform_type: "media".into(), raw: form.to_json() };
        return Ok(vec![event(sid.to_owned(), message(sid, content))]);
    };
    if !media.is_empty() {
        let mut events = Vec::with_capacity(media.len());
        for (n, (url, content_type)) in media.into_iter().enumerate() {
            // The caption goes with the first medium; each further one is a message of its own.
            let (id, caption) = if n == 0 { (sid.to_owned(), caption) } else { (format!("{sid}/{n}"), None) };
            let content = medium(url, content_type.as_deref(), caption);
            events.push(event(id.clone(), message(&id, content)));
        }
        return Ok(events);
    }
    if let (Some(latitude), Some(longitude)) = (coordinate(form, "Latitude")?, coordinate(form, "Longitude")?) {
        let name = field(form, "Label")?.filter(|l| !l.is_empty()).map(str::to_owned);
        let address = field(form, "Address")?.filter(|a| !a.is_empty()).map(str::to_owned);
        return Ok(vec![event(sid.to_owned(), message(sid, Content::Location { latitude, longitude, name, address }))]);
    }
    if let Some(payload) = field(form, "ButtonPayload")?.filter(|p| !p.is_empty()) {
        let title = field(form, "ButtonText")?.filter(|t| !t.is_empty()).map(str::to_owned);
        return Ok(vec![event(
            sid.to_owned(),
            EventKind::Postback { customer: from, payload: payload.to_owned(), title },
        )]);
    }
    let message_type = field(form, "MessageType")?.unwrap_or("text");
    let content = if body.is_empty() && !matches!(message_type, "text" | "") {
        Content::Unsupported { platform_type: message_type.to_owned(), raw: form.to_json() }
    } else {
        Content::text(body)
    };
    Ok(vec![event(sid.to_owned(), message(sid, content))])
}
