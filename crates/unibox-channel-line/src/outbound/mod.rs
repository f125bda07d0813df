//! Unified content to LINE message objects, and the reply-or-push send.
//!
//! | content | LINE messages |
//! |---|---|
//! | `Text` | `{"type":"text","text":…}` (1–5,000 characters) |
//! | `Image` at an `https` URL | `{"type":"image","originalContentUrl":…,"previewImageUrl":…}` (the same URL for both), then the caption as a text message |
//! | `Sticker` with its package id | `{"type":"sticker","packageId":…,"stickerId":…}` |
//! | `Location` | `{"type":"location","title":…,"address":…,"latitude":…,"longitude":…}` (LINE requires a title and an address: the name, else "Location"; the address, else the name, else the coordinates) |
//!
//! Everything else is `Unsupported` before any call. One request carries 1 to 5 messages.

mod send;

use serde_json::{Value, json};
use unibox_core::{Content, Error, ErrorKind, Media, MediaSource, Result};

/// The longest text message LINE accepts, in characters.
pub const MAX_TEXT_LENGTH: usize = 5000;

/// The most message objects one reply or push may carry.
pub const MAX_MESSAGES_PER_REQUEST: usize = 5;

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation("line.send")
}

fn text(text: &str) -> Result<Value> {
    let length = text.chars().count();
    if length == 0 {
        return Err(invalid("a LINE text message cannot be empty"));
    }
    if length > MAX_TEXT_LENGTH {
        return Err(invalid(format!(
            "a LINE text message has at most {MAX_TEXT_LENGTH} characters; this one has {length}"
        )));
    }
    Ok(json!({"type": "text", "text": text}))
}

fn image(media: &Media) -> Result<Vec<Value>> {
    let url = match &media.source {
        MediaSource::Url { url } if url.scheme() == "https" => url,
        MediaSource::Url { .. } => return Err(invalid("LINE fetches images over HTTPS only: give an https URL")),
        MediaSource::PlatformId { .. } => {
            return Err(Error::new(ErrorKind::Unsupported, "LINE sends images by HTTPS URL, not by a media id")
                .with_operation("line.send"));
        }
    };
    let mut messages =
        vec![json!({"type": "image", "originalContentUrl": url.as_str(), "previewImageUrl": url.as_str()})];
    if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
        messages.push(text(caption)?);
    }
    Ok(messages)
}

/// The message objects of `content`: 1 to [`MAX_MESSAGES_PER_REQUEST`].
pub(crate) fn messages(content: &Content) -> Result<Vec<Value>> {
    let messages = match content {
        Content::Text { text: body } => vec![text(body)?],
        Content::Image(media) => image(media)?,
        Content::Sticker { sticker_id, package_id: Some(package_id), .. } => {
            vec![json!({"type": "sticker", "packageId": package_id, "stickerId": sticker_id})]
        }
        Content::Sticker { package_id: None, .. } => {
            return Err(invalid("a LINE sticker needs its package id as well as its sticker id"));
        }
        Content::Location { latitude, longitude, name, address } => {
            let title = name.clone().unwrap_or_else(|| "Location".to_owned());
            let address =
                address.clone().or_else(|| name.clone()).unwrap_or_else(|| format!("{latitude}, {longitude}"));
            vec![
                json!({"type": "location", "title": title, "address": address, "latitude": latitude, "longitude": longitude}),
            ]
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the LINE channel does not send {} content", other.kind().as_str()),
            )
            .with_operation("line.send"));
        }
    };
    debug_assert!((1..=MAX_MESSAGES_PER_REQUEST).contains(&messages.len()));
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use unibox_core::{ContentKind, Media};

    use super::*;

    #[test]
    fn an_image_with_a_caption_is_two_messages() {
        let mut media = Media::from_url("https://cdn.example.com/p/TH-20931.jpg".parse().unwrap());
        media.caption = Some("Your parcel".into());
        let messages = messages(&Content::Image(media)).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["previewImageUrl"], "https://cdn.example.com/p/TH-20931.jpg");
        assert_eq!(messages[1], json!({"type": "text", "text": "Your parcel"}));
    }

    #[test]
    fn plain_http_images_and_long_texts_are_refused_before_any_call() {
        let http = Content::Image(Media::from_url("http://cdn.example.com/a.jpg".parse().unwrap()));
        assert_eq!(messages(&http).unwrap_err().kind(), ErrorKind::InvalidInput);
        let long: String = "ก".repeat(MAX_TEXT_LENGTH + 1);
        assert_eq!(messages(&Content::text(long)).unwrap_err().kind(), ErrorKind::InvalidInput);
        assert!(messages(&Content::text("ก".repeat(MAX_TEXT_LENGTH))).is_ok());
        let card = contact_card();
        assert_eq!(messages(&card).unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(card.kind(), ContentKind::ContactCard);
    }

    fn contact_card() -> Content {
        Content::ContactCard { name: "Acme Support".into(), phones: vec!["+6621234567".into()], emails: vec![] }
    }
}
