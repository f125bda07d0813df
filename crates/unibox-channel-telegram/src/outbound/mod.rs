//! Unified content to Bot API calls.
//!
//! | content | call |
//! |---|---|
//! | `Text` | `sendMessage`, split into parts of at most 4,096 UTF-16 code units (at a line break or space when one is near) |
//! | `Image` / `Video` / `File` | `sendPhoto` / `sendVideo` / `sendDocument` with the URL or `file_id`, and the caption (at most 1,024 UTF-16 code units) |
//! | `Audio` | `sendVoice` for `audio/ogg` (a voice note), else `sendAudio` |
//! | `Sticker` | `sendSticker` with the sticker's `file_id` |
//! | `Location` | `sendVenue` when it has a name and an address, else `sendLocation` |
//! | `ContactCard` | `sendContact` with the first phone number |
//! | `Buttons` | `sendMessage` with an inline keyboard, one button a row: postbacks as `callback_data` (1–64 bytes), links as `url` |
//!
//! Everything else (quick replies, templates, call buttons) is refused before any call.
//! Formatted text (entities or a parse mode) is [`FormattedText`], sent with
//! [`TelegramChannel::send_text`](crate::TelegramChannel::send_text). A
//! business chat's calls carry its `business_connection_id`; `reply_to` becomes
//! `reply_parameters` on the first call.

mod formatted;
mod split;

use serde_json::{Map, Value, json};
use unibox_core::{ButtonAction, ContactIdentity, Content, Error, ErrorKind, IdentityKind, Media, MediaSource, Result};

pub use formatted::{FormattedText, MessageEntity, ParseMode};
pub use split::utf16_length;

use crate::inbound::BUSINESS_CHAT_IDENTITY;

/// The longest text one message carries, in UTF-16 code units; longer texts are sent in parts.
pub const MAX_TEXT_LENGTH: usize = 4096;

/// The longest media caption, in UTF-16 code units.
pub const MAX_CAPTION_LENGTH: usize = 1024;

/// The most bytes of `callback_data` a button carries.
pub const MAX_CALLBACK_DATA_BYTES: usize = 64;

const OPERATION: &str = "telegram.send";

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation(OPERATION)
}

/// One Bot API call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: &'static str,
    pub(crate) body: Value,
}

/// Where a send goes: a chat id, and the business connection for a business account's chat.
#[derive(Debug)]
pub(crate) struct Chat {
    pub(crate) chat_id: i64,
    pub(crate) business_connection_id: Option<String>,
}

impl Chat {
    /// The chat of a contact identity the channel produced.
    pub(crate) fn of(identity: &ContactIdentity) -> Result<Chat> {
        let chat_id = |text: &str| {
            text.parse::<i64>()
                .map_err(|_| invalid(format!("a Telegram chat id is an integer, not {:?}", truncate(text))))
        };
        match &identity.kind {
            IdentityKind::TelegramUserId | IdentityKind::TelegramChatId => {
                Ok(Chat { chat_id: chat_id(&identity.value)?, business_connection_id: None })
            }
            IdentityKind::Other(kind) if kind == BUSINESS_CHAT_IDENTITY => {
                let (connection, chat) = identity
                    .value
                    .rsplit_once(':')
                    .filter(|(connection, _)| !connection.is_empty())
                    .ok_or_else(|| invalid("a Telegram business chat is <business_connection_id>:<chat_id>"))?;
                Ok(Chat { chat_id: chat_id(chat)?, business_connection_id: Some(connection.to_owned()) })
            }
            other => Err(invalid(format!("the Telegram channel cannot send to a {other:?} identity"))),
        }
    }

    fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("chat_id".into(), self.chat_id.into());
        if let Some(connection) = &self.business_connection_id {
            fields.insert("business_connection_id".into(), connection.clone().into());
        }
        fields
    }
}

fn truncate(text: &str) -> &str {
    text.char_indices().nth(40).map_or(text, |(at, _)| &text[..at])
}

/// The calls that send `content` to `chat`, replying to Telegram message `reply_to` (in the same
/// chat) if given.
pub(crate) fn calls(content: &Content, chat: &Chat, reply_to: Option<i64>) -> Result<Vec<Call>> {
    let call = |method: &'static str, extra: Value| {
        let mut body = chat.fields();
        if let Value::Object(extra) = extra {
            body.extend(extra);
        }
        Call { method, body: Value::Object(body) }
    };
    let mut calls = match content {
        Content::Text { text } => {
            if text.trim().is_empty() {
                return Err(invalid("a Telegram text message cannot be empty"));
            }
            split::split(text, MAX_TEXT_LENGTH)
                .into_iter()
                .map(|part| call("sendMessage", json!({"text": part})))
                .collect()
        }
        Content::Image(media) => vec![call("sendPhoto", media_fields("photo", media)?)],
        Content::Video(media) => vec![call("sendVideo", media_fields("video", media)?)],
        Content::File(media) => vec![call("sendDocument", media_fields("document", media)?)],
        Content::Audio(media) if media.mime_type.as_deref().is_some_and(|m| m.starts_with("audio/ogg")) => {
            vec![call("sendVoice", media_fields("voice", media)?)]
        }
        Content::Audio(media) => vec![call("sendAudio", media_fields("audio", media)?)],
        Content::Sticker { sticker_id, .. } => vec![call("sendSticker", json!({"sticker": sticker_id}))],
        Content::Location { latitude, longitude, name: Some(name), address: Some(address) } => vec![call(
            "sendVenue",
            json!({"latitude": latitude, "longitude": longitude, "title": name, "address": address}),
        )],
        Content::Location { latitude, longitude, .. } => {
            vec![call("sendLocation", json!({"latitude": latitude, "longitude": longitude}))]
        }
        Content::ContactCard { name, phones, .. } => {
            let phone = phones.first().ok_or_else(|| invalid("a Telegram contact needs a phone number"))?;
            vec![call("sendContact", json!({"phone_number": phone, "first_name": name}))]
        }
        Content::Buttons { text, buttons } => {
            check_length("a message with buttons", text, MAX_TEXT_LENGTH)?;
            let rows = buttons.iter().map(|button| button_json(&button.title, &button.action).map(|b| vec![b]));
            let keyboard = rows.collect::<Result<Vec<_>>>()?;
            vec![call("sendMessage", json!({"text": text, "reply_markup": {"inline_keyboard": keyboard}}))]
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the Telegram channel does not send {} content", other.kind().as_str()),
            )
            .with_operation(OPERATION));
        }
    };
    if let (Some(message_id), Some(first)) = (reply_to, calls.first_mut())
        && let Value::Object(body) = &mut first.body
    {
        body.insert("reply_parameters".into(), json!({"message_id": message_id, "allow_sending_without_reply": true}));
    }
    Ok(calls)
}

pub(crate) fn check_length(what: &str, text: &str, limit: usize) -> Result<()> {
    let length = utf16_length(text);
    if length > limit {
        return Err(invalid(format!(
            "{what} has at most {limit} UTF-16 code units on Telegram; this one has {length}"
        )));
    }
    Ok(())
}

/// `{"<field>": url or file_id, "caption"?: …}`.
fn media_fields(field: &str, media: &Media) -> Result<Value> {
    let source = match &media.source {
        MediaSource::Url { url } if matches!(url.scheme(), "https" | "http") => url.as_str().to_owned(),
        MediaSource::Url { .. } => return Err(invalid("Telegram fetches media over HTTP(S) only")),
        MediaSource::PlatformId { id } => id.clone(),
    };
    let mut fields = Map::new();
    fields.insert(field.to_owned(), source.into());
    if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
        check_length("a caption", caption, MAX_CAPTION_LENGTH)?;
        fields.insert("caption".into(), caption.into());
    }
    Ok(Value::Object(fields))
}

fn button_json(title: &str, action: &ButtonAction) -> Result<Value> {
    match action {
        ButtonAction::Postback { payload } => {
            if payload.is_empty() || payload.len() > MAX_CALLBACK_DATA_BYTES {
                return Err(invalid(format!(
                    "a Telegram button's payload (callback_data) is 1 to {MAX_CALLBACK_DATA_BYTES} bytes; this one has {}",
                    payload.len()
                )));
            }
            Ok(json!({"text": title, "callback_data": payload}))
        }
        ButtonAction::Url { url } => Ok(json!({"text": title, "url": url.as_str()})),
        ButtonAction::Call { .. } => {
            Err(invalid("Telegram buttons cannot start a phone call: send the number as text or a contact"))
        }
    }
}

#[cfg(test)]
mod tests {
    use unibox_core::{Button, ChannelAccountId};

    use super::*;

    fn private() -> Chat {
        Chat { chat_id: 1111111, business_connection_id: None }
    }

    #[test]
    fn a_long_text_is_several_send_message_calls_and_only_the_first_replies() {
        let text = "สวัสดีครับ ".repeat(800); // 8,800 UTF-16 units
        let calls = calls(&Content::text(text.clone()), &private(), Some(1365)).unwrap();
        assert_eq!(calls.len(), 3);
        assert!(calls.iter().all(|c| c.method == "sendMessage" && c.body["chat_id"] == 1111111));
        assert_eq!(calls[0].body["reply_parameters"]["message_id"], 1365);
        assert!(calls[1].body.get("reply_parameters").is_none());
        let joined: String = calls.iter().map(|c| c.body["text"].as_str().unwrap()).collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn buttons_become_an_inline_keyboard() {
        let content = Content::Buttons {
            text: "Was your problem solved?".into(),
            buttons: vec![
                Button { title: "Yes".into(), action: ButtonAction::Postback { payload: "CSAT_YES".into() } },
                Button {
                    title: "Track".into(),
                    action: ButtonAction::Url { url: "https://acme.example/t/1".parse().unwrap() },
                },
            ],
        };
        let calls = calls(&content, &private(), None).unwrap();
        assert_eq!(
            calls[0].body["reply_markup"],
            json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "CSAT_YES"}], [{"text": "Track", "url": "https://acme.example/t/1"}]]})
        );
        let long = Content::Buttons {
            text: "?".into(),
            buttons: vec![Button { title: "x".into(), action: ButtonAction::Postback { payload: "p".repeat(65) } }],
        };
        assert_eq!(super::calls(&long, &private(), None).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn business_chats_carry_their_connection() {
        let identity = ContactIdentity {
            account: ChannelAccountId::new(),
            kind: IdentityKind::Other(BUSINESS_CHAT_IDENTITY.into()),
            value: "BCon4AAA:1:5551234".into(),
        };
        let chat = Chat::of(&identity).unwrap();
        assert_eq!((chat.chat_id, chat.business_connection_id.as_deref()), (5551234, Some("BCon4AAA:1")));
        let calls = calls(&Content::text("hi"), &chat, None).unwrap();
        assert_eq!(calls[0].body["business_connection_id"], "BCon4AAA:1");
        let wrong = ContactIdentity { value: "abc".into(), kind: IdentityKind::TelegramUserId, ..identity };
        assert_eq!(Chat::of(&wrong).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn empty_texts_long_captions_and_templates_are_refused() {
        assert_eq!(calls(&Content::text("  "), &private(), None).unwrap_err().kind(), ErrorKind::InvalidInput);
        let mut media = Media::from_url("https://cdn.example.com/a.jpg".parse().unwrap());
        media.caption = Some("x".repeat(MAX_CAPTION_LENGTH + 1));
        assert_eq!(calls(&Content::Image(media), &private(), None).unwrap_err().kind(), ErrorKind::InvalidInput);
        let template = Content::Template { name: "t".into(), language: "en".into(), parameters: vec![] };
        assert_eq!(calls(&template, &private(), None).unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
