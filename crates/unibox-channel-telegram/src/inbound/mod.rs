//! Telegram updates to unified events.
//!
//! | update | unified event |
//! |---|---|
//! | `message`, `channel_post`, `business_message` with text, photo, animation, video, video note, voice, audio, document, sticker, venue, location or contact | `Message`; text starting with a bot command is `Content::Command` |
//! | the same with another content kind (poll, dice, game, story, ...) | `Message` with `Content::Unsupported` and the message JSON |
//! | a service message (members joined or left, title changed, pinned, ...) | `Unsupported` with the service field's name and the update JSON |
//! | a message with `migrate_to_chat_id` or `migrate_from_chat_id` | `CustomerIdChanged`: the group's conversation continues under the supergroup's id |
//! | `edited_message`, `edited_channel_post`, `edited_business_message` | `Edit` |
//! | `callback_query` with `data` | `Message` with `Content::Postback` (the tapped button's text as title), platform id `callback:<id>`, replying to the button's message |
//! | `my_chat_member` in a private chat: `kicked` / back to `member` | `Unfollow` (the user blocked the bot) / `Follow` (unblocked) |
//! | `deleted_business_messages` | one `Unsend` per message |
//! | `message_reaction` | `Reaction` (the first emoji, `None` when removed) |
//! | anything else (`inline_query`, `poll`, `chat_member`, `my_chat_member` in groups, ...) | `Unsupported` with the update's field name and the update JSON |
//!
//! The event id is `update_id` (the same on every redelivery; an update that becomes several
//! events gives `update_id:index`). The account is the bot's id. The customer is the chat: the
//! user in a private chat (`TelegramUserId`), the group, supergroup or channel otherwise
//! (`TelegramChatId`), and a business account's chat with a user is
//! `Other("telegram_business_chat")` with `<business_connection_id>:<chat_id>`, which is what a
//! send to it needs. Message ids are unique per chat only, so a platform message id is
//! `<customer id>:<message_id>`.

mod content;
mod wire;

use serde_json::Value;
use unibox_core::{
    Content, Direction, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Result,
    Timestamp,
};

use wire::{Chat, Message, Update};

/// The identity kind of a chat between a user and a business account connected to the bot:
/// `<business_connection_id>:<chat_id>`.
pub const BUSINESS_CHAT_IDENTITY: &str = "telegram_business_chat";

/// The prefix of the platform message id of a callback query (`callback:<callback_query_id>`).
pub(crate) const CALLBACK_PREFIX: &str = "callback:";

/// Message fields that say nothing about the message's kind.
const COMMON_FIELDS: &[&str] = &[
    "message_id",
    "message_thread_id",
    "from",
    "sender_chat",
    "sender_boost_count",
    "sender_business_bot",
    "date",
    "edit_date",
    "business_connection_id",
    "chat",
    "forward_origin",
    "is_topic_message",
    "is_automatic_forward",
    "reply_to_message",
    "external_reply",
    "quote",
    "reply_to_story",
    "via_bot",
    "has_protected_content",
    "is_from_offline",
    "media_group_id",
    "author_signature",
    "entities",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "link_preview_options",
    "effect_id",
    "reply_markup",
];

/// Message fields that make it a service message (something happened in the chat) rather than
/// something a person wrote.
const SERVICE_FIELDS: &[&str] = &[
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
    "message_auto_delete_timer_changed",
    "pinned_message",
    "successful_payment",
    "refunded_payment",
    "users_shared",
    "chat_shared",
    "connected_website",
    "write_access_allowed",
    "passport_data",
    "proximity_alert_triggered",
    "boost_added",
    "chat_background_set",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "giveaway_created",
    "giveaway_completed",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
];

fn malformed(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("telegram.parse")
}

/// What parsing needs to know about the bot.
pub(crate) struct Bot<'a> {
    /// The bot's id: every event's account.
    pub(crate) id: &'a str,
    /// The bot's username, to tell commands for other bots apart.
    pub(crate) username: Option<&'a str>,
}

/// Parses one verified update. `now` dates the updates Telegram gives no date (callback queries).
pub(crate) fn parse(body: &[u8], bot: &Bot<'_>, now: Timestamp) -> Result<Vec<InboundEvent>> {
    match serde_json::from_slice::<Update>(body) {
        Ok(update) => Ok(Reader { bot, now, body, update_id: update.update_id }.update(&update)),
        Err(_) => kept_whole(body, bot),
    }
}

/// An update whose known fields do not have the types Telegram documents: kept whole, if it is
/// an update at all (an object with an integer `update_id`).
fn kept_whole(body: &[u8], bot: &Bot<'_>) -> Result<Vec<InboundEvent>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| malformed(format!("a Telegram update is a JSON object: {e}")))?;
    let update_id = value
        .get("update_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("a Telegram update has an integer update_id"))?;
    let platform_type = update_type(&value);
    Ok(vec![InboundEvent {
        id: update_id.to_string(),
        account: bot.id.to_owned(),
        occurred_at: date_of(&value).unwrap_or(Timestamp::UNIX_EPOCH),
        kind: EventKind::Unsupported { platform_type, raw: value },
    }])
}

/// The name of the update's object (`message`, `inline_query`, ...).
fn update_type(update: &Value) -> String {
    update
        .as_object()
        .and_then(|fields| fields.keys().find(|key| *key != "update_id").cloned())
        .unwrap_or_else(|| "update".to_owned())
}

/// The `date` of the update's object, if it has one.
fn date_of(update: &Value) -> Option<Timestamp> {
    let fields = update.as_object()?;
    fields.values().find_map(|object| object.get("date")?.as_i64()).map(Timestamp::from_unix_seconds)
}

struct Reader<'a> {
    bot: &'a Bot<'a>,
    now: Timestamp,
    body: &'a [u8],
    update_id: i64,
}

impl Reader<'_> {
    fn update(&self, update: &Update) -> Vec<InboundEvent> {
        let kind = if let Some(message) = &update.message {
            self.message(message, "message")
        } else if let Some(message) = &update.channel_post {
            self.message(message, "channel_post")
        } else if let Some(message) = &update.business_message {
            self.message(message, "business_message")
        } else if let Some(message) = &update.edited_message {
            self.edit(message, "edited_message")
        } else if let Some(message) = &update.edited_channel_post {
            self.edit(message, "edited_channel_post")
        } else if let Some(message) = &update.edited_business_message {
            self.edit(message, "edited_business_message")
        } else if let Some(query) = &update.callback_query {
            self.callback_query(query)
        } else if let Some(member) = &update.my_chat_member {
            self.my_chat_member(member)
        } else if let Some(reaction) = &update.message_reaction {
            self.reaction(reaction)
        } else if let Some(deleted) = &update.deleted_business_messages {
            return self.deleted(deleted);
        } else {
            None
        };
        let (kind, occurred_at) = kind.unwrap_or_else(|| self.whole_update());
        vec![self.event(self.update_id.to_string(), occurred_at, kind)]
    }

    fn event(&self, id: String, occurred_at: Timestamp, kind: EventKind) -> InboundEvent {
        InboundEvent { id, account: self.bot.id.to_owned(), occurred_at, kind }
    }

    /// The whole update as JSON (it parsed once, so this succeeds).
    fn raw(&self) -> Value {
        serde_json::from_slice(self.body).unwrap_or(Value::Null)
    }

    fn whole_update(&self) -> (EventKind, Timestamp) {
        let raw = self.raw();
        let occurred_at = date_of(&raw).unwrap_or(self.now);
        (EventKind::Unsupported { platform_type: update_type(&raw), raw }, occurred_at)
    }

    /// The message object of the update, as JSON, under `field`.
    fn raw_message(&self, field: &str) -> Value {
        let mut raw = self.raw();
        raw.get_mut(field).map(Value::take).unwrap_or(Value::Null)
    }

    fn message(&self, message: &Message, field: &str) -> Option<(EventKind, Timestamp)> {
        let at = message.date.map_or(self.now, Timestamp::from_unix_seconds);
        let customer = customer(&message.chat, message.business_connection_id.as_deref());
        if let Some(to) = message.migrate_to_chat_id {
            let supergroup = PlatformUser { id: to.to_string(), ..customer.clone() };
            let kind = EventKind::CustomerIdChanged { customer: supergroup, previous_id: customer.id };
            return Some((kind, at));
        }
        if let Some(from) = message.migrate_from_chat_id {
            return Some((EventKind::CustomerIdChanged { customer, previous_id: from.to_string() }, at));
        }
        let content = match content::mapped(message, self.bot.username) {
            Some(content) => content,
            None => {
                let raw = self.raw_message(field);
                let kind = message_kind(&raw);
                if SERVICE_FIELDS.contains(&kind.as_str()) {
                    return Some((EventKind::Unsupported { platform_type: kind, raw: self.raw() }, at));
                }
                Content::Unsupported { platform_type: kind, raw }
            }
        };
        // In a private chat (a business chat too) the chat is the other person: anything else
        // there is the business writing.
        let direction = match &message.from {
            Some(from) if message.business_connection_id.is_some() && from.id != message.chat.id => Direction::Outbound,
            _ => Direction::Inbound,
        };
        let mut inbound = InboundMessage::inbound(customer, message_key(&message.chat, message), content);
        inbound.direction = direction;
        inbound.reply_to = message.reply_to_message.as_ref().map(|reply| key(&inbound.customer.id, reply.message_id));
        Some((EventKind::Message(inbound), at))
    }

    fn edit(&self, message: &Message, field: &str) -> Option<(EventKind, Timestamp)> {
        let at = message.edit_date.or(message.date).map_or(self.now, Timestamp::from_unix_seconds);
        let customer = customer(&message.chat, message.business_connection_id.as_deref());
        let content = content::mapped(message, self.bot.username).unwrap_or_else(|| {
            let raw = self.raw_message(field);
            Content::Unsupported { platform_type: message_kind(&raw), raw }
        });
        let message_id = message_key(&message.chat, message);
        Some((EventKind::Edit { customer, message_id, content }, at))
    }

    fn callback_query(&self, query: &wire::CallbackQuery) -> Option<(EventKind, Timestamp)> {
        // A game button sends `game_short_name` instead of data: kept whole.
        let payload = query.data.clone()?;
        let (customer, reply_to, title) = match &query.message {
            Some(message) => {
                let customer = customer(&message.chat, message.business_connection_id.as_deref());
                let title = message.reply_markup.as_ref().and_then(|markup| {
                    markup
                        .inline_keyboard
                        .iter()
                        .flatten()
                        .find(|button| button.callback_data.as_deref() == Some(payload.as_str()))
                        .map(|button| button.text.clone())
                });
                (customer, Some(message_key(&message.chat, message)), title)
            }
            None => (user(&query.from), None, None),
        };
        let mut inbound = InboundMessage::inbound(
            customer,
            format!("{CALLBACK_PREFIX}{}", query.id),
            Content::Postback { title, payload },
        );
        inbound.reply_to = reply_to;
        Some((EventKind::Message(inbound), self.now))
    }

    fn my_chat_member(&self, member: &wire::ChatMemberUpdated) -> Option<(EventKind, Timestamp)> {
        if member.chat.kind.as_deref() != Some("private") {
            return None;
        }
        let at = member.date.map_or(self.now, Timestamp::from_unix_seconds);
        let customer = user(&member.from);
        match (member.old_chat_member.status.as_str(), member.new_chat_member.status.as_str()) {
            (_, "kicked") => Some((EventKind::Unfollow { customer }, at)),
            ("kicked", "member") => Some((EventKind::Follow { customer }, at)),
            _ => None,
        }
    }

    fn reaction(&self, reaction: &wire::MessageReaction) -> Option<(EventKind, Timestamp)> {
        let at = reaction.date.map_or(self.now, Timestamp::from_unix_seconds);
        let chat = customer(&reaction.chat, None);
        let message_id = key(&chat.id, reaction.message_id);
        // In a group, reactions are per person: the reacting user, not the group.
        let customer = reaction.user.as_ref().map_or(chat, user);
        let emoji = reaction.new_reaction.iter().find_map(|r| r.emoji.clone());
        Some((EventKind::Reaction { customer, message_id, emoji }, at))
    }

    fn deleted(&self, deleted: &wire::DeletedBusinessMessages) -> Vec<InboundEvent> {
        let customer = customer(&deleted.chat, Some(&deleted.business_connection_id));
        if deleted.message_ids.is_empty() {
            let (kind, at) = self.whole_update();
            return vec![self.event(self.update_id.to_string(), at, kind)];
        }
        deleted
            .message_ids
            .iter()
            .enumerate()
            .map(|(index, id)| {
                let kind = EventKind::Unsend { customer: customer.clone(), message_id: key(&customer.id, *id) };
                self.event(format!("{}:{index}", self.update_id), self.now, kind)
            })
            .collect()
    }
}

/// The field of a message that names its kind: a service field if it has one
/// (`new_chat_members`, ...), else the first field that is not common to all messages (`poll`,
/// `dice`, ...).
fn message_kind(raw: &Value) -> String {
    let Some(fields) = raw.as_object() else { return "message".to_owned() };
    let service = fields.keys().find(|key| SERVICE_FIELDS.contains(&key.as_str()));
    service
        .or_else(|| fields.keys().find(|key| !COMMON_FIELDS.contains(&key.as_str())))
        .cloned()
        .unwrap_or_else(|| "message".to_owned())
}

/// The customer of a chat: the user of a private chat, the group, supergroup or channel
/// otherwise, and a business chat when the message came through a business connection.
pub(crate) fn customer(chat: &Chat, business_connection: Option<&str>) -> PlatformUser {
    let private = chat.kind.as_deref().is_none_or(|kind| kind == "private");
    let (kind, id) = match business_connection {
        Some(connection) => (IdentityKind::Other(BUSINESS_CHAT_IDENTITY.into()), format!("{connection}:{}", chat.id)),
        None if private => (IdentityKind::TelegramUserId, chat.id.to_string()),
        None => (IdentityKind::TelegramChatId, chat.id.to_string()),
    };
    let name = if private {
        full_name(chat.first_name.as_deref(), chat.last_name.as_deref()).or_else(|| chat.username.clone())
    } else {
        chat.title.clone()
    };
    PlatformUser { kind, id, display_name: name.filter(|n| !n.is_empty()) }
}

fn user(user: &wire::User) -> PlatformUser {
    let name = full_name(user.first_name.as_deref(), user.last_name.as_deref()).or_else(|| user.username.clone());
    PlatformUser { kind: IdentityKind::TelegramUserId, id: user.id.to_string(), display_name: name }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first.filter(|f| !f.is_empty()), last.filter(|l| !l.is_empty())) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(name), None) | (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// A message's platform id: Telegram's message ids are unique per chat only.
fn message_key(chat: &Chat, message: &Message) -> String {
    key(&customer_id(chat, message.business_connection_id.as_deref()), message.message_id)
}

fn customer_id(chat: &Chat, business_connection: Option<&str>) -> String {
    match business_connection {
        Some(connection) => format!("{connection}:{}", chat.id),
        None => chat.id.to_string(),
    }
}

/// `<customer id>:<message_id>`.
pub(crate) fn key(customer_id: &str, message_id: i64) -> String {
    format!("{customer_id}:{message_id}")
}
