//! The JSON inside a change's value, as WhatsApp sends it, borrowed from the request body.
//! The envelope around it (`object`, `entry[]`, `changes[]`) is the Meta crate's.
//!
//! Strings are `Cow<str>`: borrowed unless they contain JSON escapes. Arrays whose items may be
//! of a kind unibox does not know (messages, statuses, errors) are kept as raw JSON first, so an
//! unknown item is kept whole as `Unsupported` instead of failing the delivery. Unknown fields
//! are ignored.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

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
    pub(crate) phone_number_id: Option<Cow<'a, str>>,
}

/// The sender's WhatsApp profile: `{"profile": {"name"}, "wa_id", "user_id"}`.
#[derive(Deserialize)]
pub(crate) struct Profile<'a> {
    #[serde(borrow, default)]
    pub(crate) profile: Option<ProfileName<'a>>,
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Cow<'a, str>>,
    /// The business-scoped user id (BSUID), for users known by it.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(crate) struct ProfileName<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Option<Cow<'a, str>>,
}

/// Anything with a `timestamp` (the value of changes other than `messages`).
#[derive(Deserialize)]
pub(crate) struct Stamped<'a> {
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Metadata<'a>>,
}

/// One message, inbound (`messages[]`) or an echo of one the business sent from the WhatsApp
/// Business app (`message_echoes[]`), or the new version inside an edit. Only the content object
/// named by `type` is present.
#[derive(Deserialize)]
pub(crate) struct Message<'a> {
    #[serde(borrow, default)]
    pub(crate) from: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) from_user_id: Option<Cow<'a, str>>,
    /// Echoes: the customer's number.
    #[serde(borrow, default)]
    pub(crate) to: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) to_user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) context: Option<Context<'a>>,
    #[serde(borrow, default)]
    pub(crate) referral: Option<Referral<'a>>,
    #[serde(borrow, default)]
    pub(crate) text: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(crate) image: Option<Media<'a>>,
    #[serde(borrow, default)]
    pub(crate) video: Option<Media<'a>>,
    #[serde(borrow, default)]
    pub(crate) audio: Option<Media<'a>>,
    #[serde(borrow, default)]
    pub(crate) document: Option<Media<'a>>,
    #[serde(borrow, default)]
    pub(crate) sticker: Option<Media<'a>>,
    #[serde(borrow, default)]
    pub(crate) location: Option<Location<'a>>,
    #[serde(borrow, default)]
    pub(crate) contacts: Option<Vec<ContactCard<'a>>>,
    #[serde(borrow, default)]
    pub(crate) interactive: Option<Interactive<'a>>,
    #[serde(borrow, default)]
    pub(crate) button: Option<TemplateButton<'a>>,
    #[serde(borrow, default)]
    pub(crate) order: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) edit: Option<Edit<'a>>,
    #[serde(borrow, default)]
    pub(crate) revoke: Option<Revoke<'a>>,
    #[serde(borrow, default)]
    pub(crate) reaction: Option<Reaction<'a>>,
    #[serde(borrow, default)]
    pub(crate) system: Option<System<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Text<'a> {
    #[serde(borrow, default)]
    pub(crate) body: Cow<'a, str>,
}

/// A media reference: `{id, mime_type, sha256, caption?, filename?, voice?, animated?}`.
#[derive(Deserialize)]
pub(crate) struct Media<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) mime_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) caption: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) filename: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(crate) struct Location<'a> {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    #[serde(borrow, default)]
    pub(crate) name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) address: Option<Cow<'a, str>>,
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
    pub(crate) formatted_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) first_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) last_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(crate) struct CardPhone<'a> {
    #[serde(borrow, default)]
    pub(crate) phone: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub(crate) struct CardEmail<'a> {
    #[serde(borrow, default)]
    pub(crate) email: Option<Cow<'a, str>>,
}

/// An answer to an interactive message: `{"type": "button_reply" | "list_reply" | ..., ...}`.
#[derive(Deserialize)]
pub(crate) struct Interactive<'a> {
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) button_reply: Option<Choice<'a>>,
    #[serde(borrow, default)]
    pub(crate) list_reply: Option<Choice<'a>>,
}

/// The button or list row the customer chose: the id the business gave it, and its title.
#[derive(Deserialize)]
pub(crate) struct Choice<'a> {
    #[serde(borrow)]
    pub(crate) id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) title: Option<Cow<'a, str>>,
}

/// A template's quick-reply button tapped: `{"payload", "text"}`.
#[derive(Deserialize)]
pub(crate) struct TemplateButton<'a> {
    #[serde(borrow, default)]
    pub(crate) payload: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) text: Option<Cow<'a, str>>,
}

/// `{"message_id", "emoji"}`; an empty or missing emoji removes the reaction.
#[derive(Deserialize)]
pub(crate) struct Reaction<'a> {
    #[serde(borrow)]
    pub(crate) message_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) emoji: Option<Cow<'a, str>>,
}

/// The reply context: the quoted message's id.
#[derive(Deserialize)]
pub(crate) struct Context<'a> {
    #[serde(borrow, default)]
    pub(crate) id: Option<Cow<'a, str>>,
}

/// A click-to-WhatsApp ad or post the customer came from.
#[derive(Deserialize)]
pub(crate) struct Referral<'a> {
    #[serde(borrow, default)]
    pub(crate) source_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) source_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) source_url: Option<Cow<'a, str>>,
}

/// `{"original_message_id", "message": {"type", ...}}`.
#[derive(Deserialize)]
pub(crate) struct Edit<'a> {
    #[serde(borrow)]
    pub(crate) original_message_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) message: &'a RawValue,
}

#[derive(Deserialize)]
pub(crate) struct Revoke<'a> {
    #[serde(borrow)]
    pub(crate) original_message_id: Cow<'a, str>,
}

/// A system notice: `{"type": "user_changed_number" | ..., "body", ...}`.
#[derive(Deserialize)]
pub(crate) struct System<'a> {
    #[serde(borrow, rename = "type", default)]
    pub(crate) kind: Option<Cow<'a, str>>,
}

/// `statuses[]`: what happened to a message the business sent.
#[derive(Deserialize)]
pub(crate) struct Status<'a> {
    #[serde(borrow)]
    pub(crate) id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) status: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) timestamp: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) recipient_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) recipient_user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) errors: Vec<ErrorDetail<'a>>,
}

/// One error of a failed status or of `value.errors[]`.
#[derive(Deserialize)]
pub(crate) struct ErrorDetail<'a> {
    #[serde(default)]
    pub(crate) code: Option<i64>,
    #[serde(borrow, default)]
    pub(crate) title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) error_data: Option<ErrorData<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorData<'a> {
    #[serde(borrow, default)]
    pub(crate) details: Option<Cow<'a, str>>,
}
