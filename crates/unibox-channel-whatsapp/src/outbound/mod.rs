//! Outbound: the JSON body of `POST /{phone-number-id}/messages` for each content kind.
//!
//! | content | WhatsApp message |
//! |---|---|
//! | `Text` | `text` (`preview_url` on when the text has a link) |
//! | `Image`, `Video`, `Audio`, `File`, `Sticker` | `image` / `video` / `audio` / `document` / `sticker` by `link` (a URL) or `id` (an uploaded media id) |
//! | `Location` | `location` |
//! | `ContactCard` | `contacts` with one card |
//! | `Buttons`, `QuickReplies` | `interactive` reply buttons (up to 3), a list (up to 10 rows) or a call-to-action URL button; see the crate docs |
//! | `Template` | `template` with the body parameters as text parameters |
//! | `Reaction` | `reaction` (an empty emoji removes it) |
//! | `Product` | `interactive` single-product message (`action.catalog_id` the number's catalog from `WhatsAppConfigBuilder::catalog`, `action.product_retailer_id` the product id, `body.text` the name when given); `Unsupported` when the number has no catalog configured |
//!
//! Every body has `messaging_product: "whatsapp"`, the recipient (`to` for a phone number or
//! wa_id, `recipient` for a business-scoped user id), `context.message_id` when replying, and
//! `biz_opaque_callback_data` set to unibox's message id, which WhatsApp echoes in the
//! message's statuses.

mod interactive;

use serde_json::{Map, Value, json};
use unibox_core::channel::SendRequest;
use unibox_core::{ContactIdentity, Content, Error, ErrorKind, IdentityKind, Media, MediaSource, Result};

/// The longest caption WhatsApp accepts on an image, video or document, in characters.
pub const MAX_CAPTION_LENGTH: usize = 1024;

pub(crate) fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation("whatsapp.send")
}

/// The recipient field: `("to", wa_id)` or `("recipient", bsuid)`.
fn recipient(identity: &ContactIdentity) -> Result<(&'static str, &str)> {
    if identity.value.is_empty() {
        return Err(invalid("the recipient's WhatsApp id is empty"));
    }
    match identity.kind {
        IdentityKind::WhatsappId | IdentityKind::PhoneNumber => Ok(("to", &identity.value)),
        IdentityKind::BusinessScopedUserId => Ok(("recipient", &identity.value)),
        ref other => Err(invalid(format!(
            "a WhatsApp recipient is a wa_id, a phone number or a business-scoped user id, not {other:?}"
        ))),
    }
}

/// The body that sends `request.content` to `request.recipient`.
/// `catalog` is the Meta catalog the sending number sells from, if one is configured.
pub(crate) fn message_body(request: &SendRequest<'_>, catalog: Option<&str>) -> Result<Value> {
    let (field, to) = recipient(request.recipient)?;
    let (kind, object) = match request.content {
        Content::Product { product_id, name, .. } => {
            ("interactive", product_object(product_id, name.as_deref(), catalog)?)
        }
        other => content_object(other)?,
    };
    let mut body = Map::with_capacity(8);
    body.insert("messaging_product".into(), "whatsapp".into());
    body.insert("recipient_type".into(), "individual".into());
    body.insert(field.into(), to.into());
    body.insert("type".into(), kind.into());
    body.insert(kind.into(), object);
    if let Some(reply_to) = request.reply_to.filter(|id| !id.is_empty()) {
        body.insert("context".into(), json!({ "message_id": reply_to }));
    }
    body.insert("biz_opaque_callback_data".into(), request.message_id.to_string().into());
    Ok(Value::Object(body))
}

/// The body that marks an inbound message (and every earlier one) as read.
pub(crate) fn mark_read_body(message_id: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id })
}

/// The message `type` and its object.
fn content_object(content: &Content) -> Result<(&'static str, Value)> {
    Ok(match content {
        Content::Text { text } => {
            if text.trim().is_empty() {
                return Err(invalid("WhatsApp does not send an empty text"));
            }
            let preview_url = text.contains("https://") || text.contains("http://");
            ("text", json!({ "body": text, "preview_url": preview_url }))
        }
        Content::Image(media) => ("image", media_object(media, true, false)?),
        Content::Video(media) => ("video", media_object(media, true, false)?),
        Content::Audio(media) => ("audio", media_object(media, false, false)?),
        Content::File(media) => ("document", media_object(media, true, true)?),
        Content::Sticker { sticker_id, url, .. } => match url {
            Some(url) => ("sticker", json!({ "link": url.as_str() })),
            None if !sticker_id.is_empty() => ("sticker", json!({ "id": sticker_id })),
            None => return Err(invalid("a sticker needs a media id or a URL")),
        },
        Content::Location { latitude, longitude, name, address } => {
            if !(-90.0..=90.0).contains(latitude) || !(-180.0..=180.0).contains(longitude) {
                return Err(invalid("a location needs a latitude within ±90 and a longitude within ±180"));
            }
            let mut location = json!({ "latitude": latitude, "longitude": longitude });
            if let Some(name) = name {
                location["name"] = name.as_str().into();
            }
            if let Some(address) = address {
                location["address"] = address.as_str().into();
            }
            ("location", location)
        }
        Content::ContactCard { name, phones, emails } => {
            if name.trim().is_empty() {
                return Err(invalid("a contact card needs a name"));
            }
            let card = json!({
                // WhatsApp requires formatted_name and one of first_name / last_name.
                "name": { "formatted_name": name, "first_name": name },
                "phones": phones.iter().map(|phone| json!({ "phone": phone })).collect::<Vec<_>>(),
                "emails": emails.iter().map(|email| json!({ "email": email })).collect::<Vec<_>>(),
            });
            ("contacts", Value::Array(vec![card]))
        }
        Content::Buttons { text, buttons } => interactive::buttons(text, buttons)?,
        Content::QuickReplies { text, replies } => interactive::quick_replies(text, replies)?,
        Content::Template { name, language, parameters } => {
            if name.is_empty() || language.is_empty() {
                return Err(invalid("a template needs its name and language code"));
            }
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !parameters.is_empty() {
                let parameters: Vec<Value> =
                    parameters.iter().map(|text| json!({ "type": "text", "text": text })).collect();
                template["components"] = json!([{ "type": "body", "parameters": parameters }]);
            }
            ("template", template)
        }
        Content::Reaction { target_message_id, emoji } => {
            if target_message_id.is_empty() {
                return Err(invalid("a reaction needs the id of the message it reacts to"));
            }
            ("reaction", json!({ "message_id": target_message_id, "emoji": emoji }))
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the WhatsApp channel cannot send {} content", other.kind().as_str()),
            )
            .with_operation("whatsapp.send"));
        }
    })
}

/// The `interactive` object of a single-product message: the product `product_id` (its
/// `retailer_id`, the id unibox's catalog keeps for Meta products) of `catalog`.
fn product_object(product_id: &str, name: Option<&str>, catalog: Option<&str>) -> Result<Value> {
    let Some(catalog) = catalog else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "a WhatsApp product message names the number's catalog: configure it with WhatsAppConfigBuilder::catalog",
        )
        .with_operation("whatsapp.send"));
    };
    if product_id.trim().is_empty() {
        return Err(invalid("a product message needs the product's id (its retailer_id in the catalog)"));
    }
    let mut object = json!({
        "type": "product",
        "action": { "catalog_id": catalog, "product_retailer_id": product_id },
    });
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        if name.chars().count() > MAX_INTERACTIVE_BODY {
            return Err(invalid(format!("a product message's body is at most {MAX_INTERACTIVE_BODY} characters")));
        }
        object["body"] = json!({ "text": name });
    }
    Ok(object)
}

/// The longest body of an interactive message WhatsApp accepts, in characters.
const MAX_INTERACTIVE_BODY: usize = 1024;

/// `{"link": url}` or `{"id": media_id}`, with the caption and file name where WhatsApp takes them.
fn media_object(media: &Media, takes_caption: bool, takes_file_name: bool) -> Result<Value> {
    let mut object = match &media.source {
        MediaSource::Url { url } => json!({ "link": url.as_str() }),
        MediaSource::PlatformId { id } if !id.is_empty() => json!({ "id": id }),
        MediaSource::PlatformId { .. } => return Err(invalid("the media id is empty")),
    };
    if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
        if !takes_caption {
            return Err(invalid("WhatsApp audio messages have no caption: send the text separately"));
        }
        if caption.chars().count() > MAX_CAPTION_LENGTH {
            return Err(invalid(format!("a WhatsApp caption has at most {MAX_CAPTION_LENGTH} characters")));
        }
        object["caption"] = caption.into();
    }
    if takes_file_name && let Some(file_name) = media.file_name.as_deref().filter(|f| !f.is_empty()) {
        object["filename"] = file_name.into();
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use unibox_core::{ChannelAccount, ChannelKind, MessageId, Timestamp};

    use super::*;

    fn body(content: &Content, identity: IdentityKind, reply_to: Option<&str>) -> Result<Value> {
        let account = ChannelAccount::new(
            "acme".parse().unwrap(),
            "wa".parse().unwrap(),
            ChannelKind::WHATSAPP,
            "106540352242922",
            Timestamp::from_unix_seconds(0),
        );
        let recipient = ContactIdentity { account: account.id, kind: identity, value: "16505551234".into() };
        let request = SendRequest::new(&account, &recipient, content, MessageId::new()).with_reply_to(reply_to);
        message_body(&request, None)
    }

    #[test]
    fn a_reply_carries_the_quoted_message_and_a_bsuid_goes_to_recipient() {
        let sent =
            body(&Content::text("See https://acme.example/t/1"), IdentityKind::BusinessScopedUserId, Some("wamid.Q"))
                .unwrap();
        assert_eq!(sent["recipient"], "16505551234");
        assert!(sent.get("to").is_none());
        assert_eq!(sent["context"]["message_id"], "wamid.Q");
        assert_eq!(sent["text"]["preview_url"], true);
        assert_eq!(sent["messaging_product"], "whatsapp");
    }

    #[test]
    fn audio_captions_and_unknown_recipients_are_refused_before_any_call() {
        let mut media = Media::from_url("https://cdn.example.com/a.ogg".parse().unwrap());
        media.caption = Some("listen".into());
        assert_eq!(
            body(&Content::Audio(media), IdentityKind::WhatsappId, None).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let err = body(&Content::text("hi"), IdentityKind::LineUserId, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = body(&Content::Postback { title: None, payload: "X".into() }, IdentityKind::WhatsappId, None);
        assert_eq!(err.unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
