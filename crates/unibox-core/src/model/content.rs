use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use url::Url;

/// What a message carries. Every platform's message types map onto these; anything a
/// platform sends that has no mapping is kept whole as [`Content::Unsupported`], never dropped.
///
/// ```
/// use unibox_core::{Content, ContentKind};
/// let content = Content::text("Where is my order #1234?");
/// assert_eq!(content.kind(), ContentKind::Text);
/// assert_eq!(content.searchable_text().as_deref(), Some("Where is my order #1234?"));
/// let json = serde_json::to_string(&content).unwrap();
/// assert_eq!(json, r#"{"type":"text","text":"Where is my order #1234?"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A picture.
    Image(Media),
    /// A video.
    Video(Media),
    /// A voice note or audio file.
    Audio(Media),
    /// Any other file (document, PDF, ...).
    File(Media),
    /// A platform sticker.
    Sticker {
        /// The sticker's id on the platform.
        sticker_id: String,
        /// The sticker package (LINE), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        package_id: Option<String>,
        /// A URL to render it, if the platform gives one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<Url>,
    },
    /// A shared location.
    Location {
        /// Latitude in degrees.
        latitude: f64,
        /// Longitude in degrees.
        longitude: f64,
        /// A place name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// A street address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// A shared contact card.
    ContactCard {
        /// The person's name.
        name: String,
        /// Phone numbers.
        #[serde(default)]
        phones: Vec<String>,
        /// E-mail addresses.
        #[serde(default)]
        emails: Vec<String>,
    },
    /// Text with buttons.
    Buttons {
        /// The text above the buttons.
        text: String,
        /// The buttons.
        buttons: Vec<Button>,
    },
    /// Text with quick-reply chips.
    QuickReplies {
        /// The text above the chips.
        text: String,
        /// The chips.
        replies: Vec<QuickReply>,
    },
    /// A pre-approved template (WhatsApp, Messenger utility messages).
    Template {
        /// The template's name.
        name: String,
        /// Its language code (`en_US`, `th`).
        language: String,
        /// Positional body parameters.
        #[serde(default)]
        parameters: Vec<String>,
    },
    /// A button or quick reply the customer tapped.
    Postback {
        /// The button's title as the customer saw it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// The payload the business attached to the button.
        payload: String,
    },
    /// An emoji reaction to another message (outbound; inbound reactions are events).
    Reaction {
        /// The platform message id reacted to.
        target_message_id: String,
        /// The emoji; empty removes the reaction.
        emoji: String,
    },
    /// A product from a catalogue or shop.
    Product {
        /// The platform's product (item) id.
        product_id: String,
        /// The product name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// A link to the product page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<Url>,
    },
    /// A marketplace order.
    Order {
        /// The platform's order id (Shopee `order_sn`, Lazada `order_id`).
        order_id: String,
        /// The order status as the platform names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Something the platform sent that unibox has no mapping for, kept whole.
    Unsupported {
        /// The platform's name for the type (`"ephemeral"`, `"share"`, ...).
        platform_type: String,
        /// The platform's JSON for the message, as received.
        raw: serde_json::Value,
    },
    /// A bot command the customer sent (`/start summer-sale`, `/order 123`): a channel that
    /// recognises commands (Telegram) delivers them as this, so applications route them to
    /// handlers by [`name`](crate::command::Command::name). Other channels' text can be
    /// checked with [`Command::parse`](crate::command::Command::parse).
    Command(crate::command::Command),
}

impl Content {
    /// Plain text content.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text { text: text.into() }
    }

    /// The kind, for capability checks.
    pub fn kind(&self) -> ContentKind {
        match self {
            Content::Text { .. } => ContentKind::Text,
            Content::Image(_) => ContentKind::Image,
            Content::Video(_) => ContentKind::Video,
            Content::Audio(_) => ContentKind::Audio,
            Content::File(_) => ContentKind::File,
            Content::Sticker { .. } => ContentKind::Sticker,
            Content::Location { .. } => ContentKind::Location,
            Content::ContactCard { .. } => ContentKind::ContactCard,
            Content::Buttons { .. } => ContentKind::Buttons,
            Content::QuickReplies { .. } => ContentKind::QuickReplies,
            Content::Template { .. } => ContentKind::Template,
            Content::Postback { .. } => ContentKind::Postback,
            Content::Reaction { .. } => ContentKind::Reaction,
            Content::Product { .. } => ContentKind::Product,
            Content::Order { .. } => ContentKind::Order,
            Content::Unsupported { .. } => ContentKind::Unsupported,
            Content::Command(_) => ContentKind::Command,
        }
    }

    /// The text a person would read, for search and previews; `None` for content without text.
    pub fn searchable_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Content::Text { text } => Some(Cow::Borrowed(text)),
            Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media) => {
                media.caption.as_deref().map(Cow::Borrowed)
            }
            Content::Buttons { text, .. } | Content::QuickReplies { text, .. } => Some(Cow::Borrowed(text)),
            Content::Postback { title, payload } => Some(Cow::Borrowed(title.as_deref().unwrap_or(payload))),
            Content::Location { name, address, .. } => match (name, address) {
                (Some(n), Some(a)) => Some(Cow::Owned(format!("{n} {a}"))),
                (Some(x), None) | (None, Some(x)) => Some(Cow::Borrowed(x)),
                (None, None) => None,
            },
            Content::ContactCard { name, .. } => Some(Cow::Borrowed(name)),
            Content::Product { name, .. } => name.as_deref().map(Cow::Borrowed),
            Content::Template { name, parameters, .. } => Some(Cow::Owned(
                std::iter::once(name.as_str())
                    .chain(parameters.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            Content::Order { order_id, .. } => Some(Cow::Borrowed(order_id)),
            Content::Command(command) => Some(Cow::Owned(command.to_string())),
            Content::Sticker { .. } | Content::Reaction { .. } | Content::Unsupported { .. } => None,
        }
    }

    /// The length of the text a channel limits, in characters (Unicode scalar values).
    pub fn text_length(&self) -> usize {
        match self {
            Content::Text { text } | Content::Buttons { text, .. } | Content::QuickReplies { text, .. } => {
                text.chars().count()
            }
            Content::Image(m) | Content::Video(m) | Content::Audio(m) | Content::File(m) => {
                m.caption.as_ref().map_or(0, |c| c.chars().count())
            }
            _ => 0,
        }
    }
}

/// The kind of a [`Content`], without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is named after the Content variant it stands for
pub enum ContentKind {
    Text,
    Image,
    Video,
    Audio,
    File,
    Sticker,
    Location,
    ContactCard,
    Buttons,
    QuickReplies,
    Template,
    Postback,
    Reaction,
    Product,
    Order,
    Unsupported,
    Command,
}

impl ContentKind {
    /// Every kind.
    pub const ALL: [ContentKind; 17] = [
        ContentKind::Text,
        ContentKind::Image,
        ContentKind::Video,
        ContentKind::Audio,
        ContentKind::File,
        ContentKind::Sticker,
        ContentKind::Location,
        ContentKind::ContactCard,
        ContentKind::Buttons,
        ContentKind::QuickReplies,
        ContentKind::Template,
        ContentKind::Postback,
        ContentKind::Reaction,
        ContentKind::Product,
        ContentKind::Order,
        ContentKind::Unsupported,
        ContentKind::Command,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Text => "text",
            ContentKind::Image => "image",
            ContentKind::Video => "video",
            ContentKind::Audio => "audio",
            ContentKind::File => "file",
            ContentKind::Sticker => "sticker",
            ContentKind::Location => "location",
            ContentKind::ContactCard => "contact_card",
            ContentKind::Buttons => "buttons",
            ContentKind::QuickReplies => "quick_replies",
            ContentKind::Template => "template",
            ContentKind::Postback => "postback",
            ContentKind::Reaction => "reaction",
            ContentKind::Product => "product",
            ContentKind::Order => "order",
            ContentKind::Unsupported => "unsupported",
            ContentKind::Command => "command",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of content kinds, as a channel declares what it can send.
///
/// ```
/// use unibox_core::{ContentKind, ContentKinds};
/// let kinds = ContentKinds::of(&[ContentKind::Text, ContentKind::Image]);
/// assert!(kinds.contains(ContentKind::Image));
/// assert!(!kinds.contains(ContentKind::Template));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ContentKinds(u32);

impl ContentKinds {
    /// No kinds.
    pub const NONE: ContentKinds = ContentKinds(0);

    /// The set of the given kinds.
    pub fn of(kinds: &[ContentKind]) -> Self {
        ContentKinds(kinds.iter().fold(0, |bits, kind| bits | kind.bit()))
    }

    /// Every kind.
    pub fn all() -> Self {
        Self::of(&ContentKind::ALL)
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: ContentKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set with `kind` added.
    pub fn with(self, kind: ContentKind) -> Self {
        ContentKinds(self.0 | kind.bit())
    }

    /// The kinds in the set.
    pub fn iter(self) -> impl Iterator<Item = ContentKind> {
        ContentKind::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

impl std::fmt::Debug for ContentKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter().map(ContentKind::as_str)).finish()
    }
}

/// A picture, video, audio clip or file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Where to get the bytes.
    pub source: MediaSource,
    /// The MIME type, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// A caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The original file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

impl Media {
    /// Media at a URL, without caption or type.
    pub fn from_url(url: Url) -> Self {
        Media { source: MediaSource::Url { url }, mime_type: None, caption: None, file_name: None }
    }
}

/// Where media bytes live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaSource {
    /// A URL that can be fetched (it may need the channel's token).
    Url {
        /// The URL.
        url: Url,
    },
    /// A platform media id, resolved through the channel's media download call.
    PlatformId {
        /// The id (WhatsApp media id, LINE message id, Telegram file_id).
        id: String,
    },
}

/// A button under a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// The label.
    pub title: String,
    /// What tapping it does.
    pub action: ButtonAction,
}

/// What a button does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ButtonAction {
    /// Sends a postback with this payload.
    Postback {
        /// The payload.
        payload: String,
    },
    /// Opens a web page.
    Url {
        /// The page.
        url: Url,
    },
    /// Starts a phone call.
    Call {
        /// The number, E.164.
        phone: String,
    },
}

/// A quick-reply chip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    /// The label.
    pub title: String,
    /// The payload sent back when tapped.
    pub payload: String,
}
