//! A Telegram message's content to unified [`Content`].

use unibox_core::command::Command;
use unibox_core::{Content, Media, MediaSource};

use super::wire::{File, Message, PhotoSize};

/// The content of a message of a kind unibox maps; `None` for every other kind (polls, dice,
/// games, stories, service messages...).
///
/// The checks run in an order that matters: an animation also carries a `document`, a venue
/// also carries a `location`.
pub(crate) fn mapped(message: &Message, bot_username: Option<&str>) -> Option<Content> {
    let caption = || message.caption.clone().filter(|c| !c.is_empty());
    if let Some(text) = &message.text {
        return Some(text_or_command(text, bot_username));
    }
    if let Some(photo) = message.photo.as_deref().and_then(largest) {
        return Some(Content::Image(Media {
            source: MediaSource::PlatformId { id: photo.file_id.clone() },
            mime_type: None,
            caption: caption(),
            file_name: None,
        }));
    }
    if let Some(file) = message.animation.as_ref().or(message.video.as_ref()).or(message.video_note.as_ref()) {
        return Some(Content::Video(media(file, caption())));
    }
    if let Some(file) = message.voice.as_ref().or(message.audio.as_ref()) {
        return Some(Content::Audio(media(file, caption())));
    }
    if let Some(file) = &message.document {
        return Some(Content::File(media(file, caption())));
    }
    if let Some(sticker) = &message.sticker {
        return Some(Content::Sticker {
            sticker_id: sticker.file_id.clone(),
            package_id: sticker.set_name.clone(),
            url: None,
        });
    }
    if let Some(venue) = &message.venue {
        return Some(Content::Location {
            latitude: venue.location.latitude,
            longitude: venue.location.longitude,
            name: Some(venue.title.clone()).filter(|t| !t.is_empty()),
            address: Some(venue.address.clone()).filter(|a| !a.is_empty()),
        });
    }
    if let Some(location) = &message.location {
        return Some(Content::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            name: None,
            address: None,
        });
    }
    if let Some(contact) = &message.contact {
        let name = match &contact.last_name {
            Some(last) if !last.is_empty() => format!("{} {last}", contact.first_name),
            _ => contact.first_name.clone(),
        };
        return Some(Content::ContactCard { name, phones: vec![contact.phone_number.clone()], emails: Vec::new() });
    }
    None
}

/// A message that starts with a command for this bot is [`Content::Command`]; a command
/// addressed to another bot (`/start@other_bot`, when the bot's username is configured) and any
/// other text is [`Content::Text`], whatever entities (bold, links, mentions) it carries.
fn text_or_command(text: &str, bot_username: Option<&str>) -> Content {
    match Command::parse(text) {
        Some(command) if bot_username.is_none_or(|username| command.is_for(username)) => Content::Command(command),
        _ => Content::text(text),
    }
}

/// Telegram sends a photo in several sizes: the largest one (by pixels, then bytes) is the
/// photo; the others are thumbnails.
fn largest(sizes: &[PhotoSize]) -> Option<&PhotoSize> {
    sizes.iter().max_by_key(|size| (u64::from(size.width) * u64::from(size.height), size.file_size.unwrap_or(0)))
}

/// Files stay on Telegram, named by `file_id` (fetched with `getFile` and the bot token).
fn media(file: &File, caption: Option<String>) -> Media {
    Media {
        source: MediaSource::PlatformId { id: file.file_id.clone() },
        mime_type: file.mime_type.clone(),
        caption,
        file_name: file.file_name.clone(),
    }
}
