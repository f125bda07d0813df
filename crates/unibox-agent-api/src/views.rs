//! The JSON shapes of the API's answers. They are the API's own, so the core types can
//! change without changing what clients read.

use serde::Serialize;
use std::collections::BTreeMap;

use unibox_core::profiles::{FETCHED_AT_ATTRIBUTE, NAME_ATTRIBUTE, PICTURE_ATTRIBUTE, STATUS_ATTRIBUTE};
use unibox_core::session::{SecondFactor, Session};
use unibox_core::workflow::ContactProfile;
use unibox_core::{
    Author, ChannelAccount, ContactIdentity, Content, DeliveryStatus, Direction, InternalNote, Message, Reaction,
    Timestamp,
};

/// A message: its content kind and content, and where its delivery stands.
#[derive(Serialize)]
pub(crate) struct MessageView<'a> {
    pub(crate) id: String,
    pub(crate) conversation: String,
    pub(crate) direction: Direction,
    pub(crate) author: &'a Author,
    /// The content kind (`text`, `image`, `sticker`, `location`, `buttons`, ...).
    pub(crate) kind: &'static str,
    pub(crate) content: &'a Content,
    /// The searchable text, when the content has one: a preview line.
    pub(crate) text: Option<String>,
    pub(crate) delivery: &'a DeliveryStatus,
    pub(crate) platform_message_id: Option<&'a str>,
    pub(crate) sent_at: Timestamp,
    pub(crate) edited_at: Option<Timestamp>,
    pub(crate) unsent_at: Option<Timestamp>,
    pub(crate) reactions: &'a [Reaction],
}

impl<'a> MessageView<'a> {
    pub(crate) fn of(message: &'a Message) -> Self {
        MessageView {
            id: message.id.to_string(),
            conversation: message.conversation.to_string(),
            direction: message.direction,
            author: &message.author,
            kind: message.content.kind().as_str(),
            content: &message.content,
            text: message.content.searchable_text().map(|t| t.into_owned()),
            delivery: &message.delivery,
            platform_message_id: message.platform_message_id.as_deref(),
            sent_at: message.sent_at,
            edited_at: message.edited_at,
            unsent_at: message.unsent_at,
            reactions: &message.reactions,
        }
    }
}

/// An internal note: never sent to the customer.
#[derive(Serialize)]
pub(crate) struct NoteView<'a> {
    pub(crate) id: String,
    pub(crate) conversation: String,
    pub(crate) author: &'a str,
    pub(crate) body: &'a str,
    pub(crate) created_at: Timestamp,
}

impl<'a> NoteView<'a> {
    pub(crate) fn of(note: &'a InternalNote) -> Self {
        NoteView {
            id: note.id.to_string(),
            conversation: note.conversation.to_string(),
            author: note.author.as_str(),
            body: &note.body,
            created_at: note.created_at,
        }
    }
}

/// A channel account.
#[derive(Serialize)]
pub(crate) struct AccountView<'a> {
    pub(crate) id: String,
    pub(crate) channel: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) name: &'a str,
}

impl<'a> AccountView<'a> {
    pub(crate) fn of(account: &'a ChannelAccount) -> Self {
        AccountView {
            id: account.id.to_string(),
            channel: account.channel.as_str(),
            kind: account.kind.as_str(),
            name: &account.display_name,
        }
    }
}

/// A session, without its token.
#[derive(Serialize)]
pub(crate) struct SessionView<'a> {
    pub(crate) id: String,
    pub(crate) tenant: &'a str,
    pub(crate) user: &'a str,
    pub(crate) role: &'static str,
    pub(crate) created_at: Timestamp,
    pub(crate) last_active_at: Timestamp,
    pub(crate) idle_expires_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    /// `not_required`, `pending` or `verified`.
    pub(crate) second_factor: &'static str,
}

impl<'a> SessionView<'a> {
    pub(crate) fn of(session: &'a Session) -> Self {
        SessionView {
            id: session.id.to_string(),
            tenant: session.tenant.as_str(),
            user: session.user.as_str(),
            role: session.role.as_str(),
            created_at: session.created_at,
            last_active_at: session.last_active_at,
            idle_expires_at: session.idle_expires_at,
            expires_at: session.expires_at,
            second_factor: match session.second_factor {
                SecondFactor::NotRequired => "not_required",
                SecondFactor::Pending { .. } => "pending",
                SecondFactor::Verified { .. } => "verified",
            },
        }
    }
}

/// A contact: their name and picture, what their platforms said about them, their
/// identities and the attributes the team recorded.
#[derive(Serialize)]
pub(crate) struct ContactView<'a> {
    pub(crate) id: String,
    pub(crate) name: Option<&'a str>,
    /// The platform's picture (an `http(s)` URL), as in the inbox rows.
    pub(crate) avatar_url: Option<String>,
    /// The name the platform reported (the team may have chosen another `name`).
    pub(crate) platform_name: Option<&'a str>,
    /// When the platform profile was last asked for.
    pub(crate) profile_fetched_at: Option<Timestamp>,
    /// `unavailable` when the platform would not describe the contact (they blocked the bot).
    pub(crate) profile_status: Option<&'a str>,
    pub(crate) created_at: Timestamp,
    pub(crate) identities: &'a [ContactIdentity],
    /// The attributes the team recorded (the platform's own are the fields above).
    pub(crate) attributes: BTreeMap<&'a str, &'a str>,
}

impl<'a> ContactView<'a> {
    pub(crate) fn of(profile: &'a ContactProfile) -> Self {
        let attribute = |name: &str| profile.attributes.get(name).map(String::as_str);
        ContactView {
            id: profile.contact.id.to_string(),
            name: profile.contact.display_name.as_deref(),
            avatar_url: attribute(PICTURE_ATTRIBUTE).map(str::to_owned).and_then(crate::rows::avatar_url),
            platform_name: attribute(NAME_ATTRIBUTE),
            profile_fetched_at: attribute(FETCHED_AT_ATTRIBUTE)
                .and_then(|at| at.parse::<i64>().ok())
                .map(Timestamp::from_unix_millis),
            profile_status: attribute(STATUS_ATTRIBUTE),
            created_at: profile.contact.created_at,
            identities: &profile.contact.identities,
            attributes: profile
                .attributes
                .iter()
                .filter(|(name, _)| !name.starts_with("platform."))
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
        }
    }
}
