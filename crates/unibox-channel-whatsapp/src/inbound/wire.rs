//! The JSON inside a change's value, as WhatsApp sends it, borrowed from the request body.
//! The envelope around it (`object`, `entry[]`, `changes[]`) is the Meta crate's.
//!
//! Strings are [`Str`]: borrowed unless they contain JSON escapes. Arrays whose items may be
//! of a kind unibox does not know (messages, statuses, errors) are kept as raw JSON first, so an
//! unknown item is kept whole as `Unsupported` instead of failing the delivery. Unknown fields
//! are ignored.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use serde_json::value::RawValue;

/// A JSON string borrowed from the body, or owned when it has escapes.
///
/// serde borrows a `Cow<str>` field only when it is not wrapped (an `Option<Cow<str>>` is
/// always copied), and WhatsApp's fields are mostly optional: this type borrows inside an
/// `Option` too, which saves an allocation per field.
#[derive(Default)]
pub(crate) struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(text)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The whole notification read in one pass, every change's value as a messages value. Only
/// valid when every change is of the `messages` or `smb_message_echoes` field (checked after
/// reading, since Meta writes `field` after `value`); otherwise the body is read again
/// through the Meta crate's envelope.
#[derive(Deserialize)]
pub(crate) struct FastNotification<'a> {
    #[serde(borrow)]
    pub(crate) object: Str<'a>,
    #[serde(borrow, default)]
    pub(crate) entry: Vec<FastEntry<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct FastEntry<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Str<'a>,
    #[serde(borrow, default)]
    pub(crate) changes: Vec<FastChange<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct FastChange<'a> {
    #[serde(borrow)]
    pub(crate) field: Str<'a>,
    #[serde(borrow)]
    pub(crate) value: TypedValue<'a>,
}

/// The value of a `messages` (or `smb_message_echoes`) change, read in one pass.
#[derive(Deserialize)]
pub(crate) struct TypedValue<'a> {
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    pub(crate) contacts: Vec<Profile<'a>>,
    #[serde(borrow, default)]
    pub(crate) messages: Vec<Message<'a>>,
    #[serde(borrow, default)]
    pub(crate) message_echoes: Vec<Message<'a>>,
    #[serde(borrow, default)]
    pub(crate) statuses: Vec<Status<'a>>,
    #[serde(borrow, default)]
    pub(crate) errors: Vec<&'a RawValue>,
}

/// The same value with its items kept raw, for a value [`TypedValue`] could not read: each
/// item is then read on its own, and one odd item does not spoil the others.
#[derive(Deserialize)]
pub(crate) struct RawItemsValue<'a> {
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    pub(crate) contacts: Vec<Profile<'a>>,
    #[serde(borrow, default)]
    pub(crate) messages: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) message_echoes: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) statuses: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) errors: Vec<&'a RawValue>,
}

/// The business number the change is about.
#[derive(Deserialize)]
pub(crate) struct Metadata<'a> {
    #[serde(borrow, default)]
    pub(crate) phone_number_id: Option<Str<'a>>,
}

/// The sender's WhatsApp profile: `{"profile": {"name"}, "wa_id", "user_id"}`.
#[derive(Deserialize)]
pub(crate) struct Profile<'a> {
    #[serde(borrow, default)]
    pub(crate) profile: Option<ProfileName<'a>>,
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Str<'a>>,
    /// The business-scoped user id (BSUID), for users known by it.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct ProfileName<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
}

/// Anything with a `timestamp` (the value of changes other than `messages`).
#[derive(Deserialize)]
pub(crate) struct Stamped<'a> {
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Metadata<'a>>,
}

/// One message, inbound (`messages[]`) or an echo of one the business sent from the WhatsApp
/// Business app (`message_echoes[]`), or the new version inside an edit. Only the content object
/// named by `type` is present; those objects are boxed so a message stays small (one is
/// present at a time).
#[derive(Deserialize)]
pub(crate) struct Message<'a> {
    #[serde(borrow, default)]
    pub(crate) from: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) from_user_id: Option<Str<'a>>,
    /// Echoes: the customer's number.
    #[serde(borrow, default)]
    pub(crate) to: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) to_user_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Str<'a>>,
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) context: Option<Context<'a>>,
    #[serde(borrow, default)]
    pub(crate) referral: Option<Box<Referral<'a>>>,
    #[serde(borrow, default)]
    pub(crate) text: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(crate) image: Option<Box<Media<'a>>>,
    #[serde(borrow, default)]
    pub(crate) video: Option<Box<Media<'a>>>,
    #[serde(borrow, default)]
    pub(crate) audio: Option<Box<Media<'a>>>,
    #[serde(borrow, default)]
    pub(crate) document: Option<Box<Media<'a>>>,
    #[serde(borrow, default)]
    pub(crate) sticker: Option<Box<Media<'a>>>,
    #[serde(borrow, default)]
    pub(crate) location: Option<Box<Location<'a>>>,
    #[serde(borrow, default)]
    pub(crate) contacts: Option<Vec<ContactCard<'a>>>,
    #[serde(borrow, default)]
    pub(crate) interactive: Option<Box<Interactive<'a>>>,
    #[serde(borrow, default)]
    pub(crate) button: Option<Box<TemplateButton<'a>>>,
    #[serde(borrow, default)]
    pub(crate) order: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) edit: Option<Box<Edit<'a>>>,
    #[serde(borrow, default)]
    pub(crate) revoke: Option<Revoke<'a>>,
    #[serde(borrow, default)]
    pub(crate) reaction: Option<Box<Reaction<'a>>>,
    #[serde(borrow, default)]
    pub(crate) system: Option<Box<System<'a>>>,
}

#[derive(Deserialize)]
pub(crate) struct Text<'a> {
    #[serde(borrow, default)]
    pub(crate) body: Str<'a>,
}

/// A media reference: `{id, mime_type, sha256, caption?, filename?, voice?, animated?}`.
#[derive(Deserialize)]
pub(crate) struct Media<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) mime_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) caption: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) filename: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Location<'a> {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) address: Option<Str<'a>>,
}

/// A shared contact card.
#[derive(Deserialize)]
pub(crate) struct ContactCard<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Option<CardName<'a>>,
    #[serde(borrow, default)]
    pub(crate) phones: Vec<CardPhone<'a>>,
    #[serde(borrow, default)]
    pub(crate) emails: Vec<CardEmail<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct CardName<'a> {
    #[serde(borrow, default)]
    pub(crate) formatted_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) first_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) last_name: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct CardPhone<'a> {
    #[serde(borrow, default)]
    pub(crate) phone: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct CardEmail<'a> {
    #[serde(borrow, default)]
    pub(crate) email: Option<Str<'a>>,
}

/// An answer to an interactive message: `{"type": "button_reply" | "list_reply" | ..., ...}`.
#[derive(Deserialize)]
pub(crate) struct Interactive<'a> {
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) button_reply: Option<Choice<'a>>,
    #[serde(borrow, default)]
    pub(crate) list_reply: Option<Choice<'a>>,
}

/// The button or list row the customer chose: the id the business gave it, and its title.
#[derive(Deserialize)]
pub(crate) struct Choice<'a> {
    #[serde(borrow)]
    pub(crate) id: Str<'a>,
    #[serde(borrow, default)]
    pub(crate) title: Option<Str<'a>>,
}

/// A template's quick-reply button tapped: `{"payload", "text"}`.
#[derive(Deserialize)]
pub(crate) struct TemplateButton<'a> {
    #[serde(borrow, default)]
    pub(crate) payload: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) text: Option<Str<'a>>,
}

/// `{"message_id", "emoji"}`; an empty or missing emoji removes the reaction.
#[derive(Deserialize)]
pub(crate) struct Reaction<'a> {
    #[serde(borrow)]
    pub(crate) message_id: Str<'a>,
    #[serde(borrow, default)]
    pub(crate) emoji: Option<Str<'a>>,
}

/// The reply context: the quoted message's id.
#[derive(Deserialize)]
pub(crate) struct Context<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
}

/// A click-to-WhatsApp ad or post the customer came from.
#[derive(Deserialize)]
pub(crate) struct Referral<'a> {
    #[serde(borrow, default)]
    pub(crate) source_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) source_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) source_url: Option<Str<'a>>,
}

/// `{"original_message_id", "message": {"type", ...}}`.
#[derive(Deserialize)]
pub(crate) struct Edit<'a> {
    #[serde(borrow)]
    pub(crate) original_message_id: Str<'a>,
    #[serde(borrow)]
    pub(crate) message: &'a RawValue,
}

#[derive(Deserialize)]
pub(crate) struct Revoke<'a> {
    #[serde(borrow)]
    pub(crate) original_message_id: Str<'a>,
}

/// A system notice: `{"type": "user_changed_number" | ..., "body", ...}`.
#[derive(Deserialize)]
pub(crate) struct System<'a> {
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// `statuses[]`: what happened to a message the business sent.
#[derive(Deserialize)]
pub(crate) struct Status<'a> {
    #[serde(borrow)]
    pub(crate) id: Str<'a>,
    #[serde(borrow)]
    pub(crate) status: Str<'a>,
    #[serde(borrow)]
    pub(crate) timestamp: Str<'a>,
    #[serde(borrow, default)]
    pub(crate) recipient_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) recipient_user_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) errors: Vec<ErrorDetail<'a>>,
    #[serde(borrow, default)]
    pub(crate) biz_opaque_callback_data: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) conversation: Option<Box<StatusConversation<'a>>>,
    #[serde(borrow, default)]
    pub(crate) pricing: Option<Box<Pricing<'a>>>,
}

/// The conversation (billing window) a status belongs to.
#[derive(Deserialize)]
pub(crate) struct StatusConversation<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) expiration_timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) origin: Option<Origin<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Origin<'a> {
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// `{"billable", "pricing_model", "category"}`.
#[derive(Deserialize)]
pub(crate) struct Pricing<'a> {
    #[serde(default)]
    pub(crate) billable: Option<bool>,
    #[serde(borrow, default)]
    pub(crate) pricing_model: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) category: Option<Str<'a>>,
}

/// One error of a failed status or of `value.errors[]`.
#[derive(Deserialize)]
pub(crate) struct ErrorDetail<'a> {
    #[serde(default)]
    pub(crate) code: Option<i64>,
    #[serde(borrow, default)]
    pub(crate) title: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) message: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(crate) error_data: Option<ErrorData<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorData<'a> {
    #[serde(borrow, default)]
    pub(crate) details: Option<Str<'a>>,
}
