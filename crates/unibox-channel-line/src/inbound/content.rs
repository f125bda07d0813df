//! A LINE message object to unified [`Content`].

use serde_json::value::RawValue;
use unibox_core::{Content, Media, MediaSource};
use url::Url;

use super::wire::Message;

/// The content of a message; a type unibox has no mapping for, or one missing what its type
/// requires, is `Unsupported` with the message's JSON.
pub(crate) fn content(message: &Message, raw: &RawValue) -> Content {
    mapped(message).unwrap_or_else(|| unsupported(&message.kind, raw))
}

pub(crate) fn unsupported(kind: &str, raw: &RawValue) -> Content {
    Content::Unsupported { platform_type: kind.to_owned(), raw: super::value(raw) }
}

/// The content of a message of a type unibox maps, with what its type requires.
pub(crate) fn mapped(message: &Message) -> Option<Content> {
    Some(match message.kind.as_str() {
        "text" => Content::text(message.text.clone()?),
        "image" => Content::Image(media(message)),
        "video" => Content::Video(media(message)),
        "audio" => Content::Audio(media(message)),
        "file" => Content::File(Media { file_name: message.file_name.clone(), ..media(message) }),
        "location" => Content::Location {
            latitude: message.latitude?,
            longitude: message.longitude?,
            name: message.title.clone().filter(|t| !t.is_empty()),
            address: message.address.clone().filter(|a| !a.is_empty()),
        },
        "sticker" => Content::Sticker {
            sticker_id: message.sticker_id.clone()?,
            package_id: message.package_id.clone(),
            url: None,
        },
        _ => return None,
    })
}

/// Media on LINE's servers are named by the message id (fetched with the channel token from
/// `GET api-data.line.me/v2/bot/message/{id}/content`); external ones by their URL.
fn media(message: &Message) -> Media {
    let external = message
        .content_provider
        .as_ref()
        .filter(|provider| provider.kind == "external")
        .and_then(|provider| provider.original_content_url.as_deref())
        .and_then(|url| Url::parse(url).ok());
    let source = match external {
        Some(url) => MediaSource::Url { url },
        None => MediaSource::PlatformId { id: message.id.clone() },
    };
    Media { source, mime_type: None, caption: None, file_name: None }
}
