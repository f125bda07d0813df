//! Telegram's `Update` JSON as it arrives (<https://core.telegram.org/bots/api#update>), only the
//! fields unibox reads. Optional fields are optional here too, so updates Telegram extends later
//! still parse; unknown fields are ignored.

use serde::Deserialize;

/// One update: `update_id` and at most one of the objects below.
#[derive(Deserialize)]
pub(crate) struct Update {
    pub(crate) update_id: i64,
    #[serde(default)]
    pub(crate) message: Option<Message>,
    #[serde(default)]
    pub(crate) edited_message: Option<Message>,
    #[serde(default)]
    pub(crate) channel_post: Option<Message>,
    #[serde(default)]
    pub(crate) edited_channel_post: Option<Message>,
    #[serde(default)]
    pub(crate) business_message: Option<Message>,
    #[serde(default)]
    pub(crate) edited_business_message: Option<Message>,
    #[serde(default)]
    pub(crate) deleted_business_messages: Option<DeletedBusinessMessages>,
    #[serde(default)]
    pub(crate) callback_query: Option<CallbackQuery>,
    #[serde(default)]
    pub(crate) my_chat_member: Option<ChatMemberUpdated>,
    #[serde(default)]
    pub(crate) message_reaction: Option<MessageReaction>,
}

#[derive(Deserialize)]
pub(crate) struct User {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) first_name: Option<String>,
    #[serde(default)]
    pub(crate) last_name: Option<String>,
    #[serde(default)]
    pub(crate) username: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Chat {
    pub(crate) id: i64,
    /// `private`, `group`, `supergroup` or `channel` (missing in the oldest sample updates,
    /// which were private chats).
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) first_name: Option<String>,
    #[serde(default)]
    pub(crate) last_name: Option<String>,
    #[serde(default)]
    pub(crate) username: Option<String>,
}

/// A message, with the fields of every content kind unibox maps.
#[derive(Deserialize)]
pub(crate) struct Message {
    pub(crate) message_id: i64,
    #[serde(default)]
    pub(crate) from: Option<User>,
    pub(crate) chat: Chat,
    #[serde(default)]
    pub(crate) date: Option<i64>,
    #[serde(default)]
    pub(crate) edit_date: Option<i64>,
    #[serde(default)]
    pub(crate) business_connection_id: Option<String>,
    #[serde(default)]
    pub(crate) reply_to_message: Option<MessageRef>,
    #[serde(default)]
    pub(crate) text: Option<String>,
    #[serde(default)]
    pub(crate) caption: Option<String>,
    #[serde(default)]
    pub(crate) photo: Option<Vec<PhotoSize>>,
    #[serde(default)]
    pub(crate) animation: Option<File>,
    #[serde(default)]
    pub(crate) document: Option<File>,
    #[serde(default)]
    pub(crate) audio: Option<File>,
    #[serde(default)]
    pub(crate) voice: Option<File>,
    #[serde(default)]
    pub(crate) video: Option<File>,
    #[serde(default)]
    pub(crate) video_note: Option<File>,
    #[serde(default)]
    pub(crate) sticker: Option<Sticker>,
    #[serde(default)]
    pub(crate) venue: Option<Venue>,
    #[serde(default)]
    pub(crate) location: Option<Location>,
    #[serde(default)]
    pub(crate) contact: Option<Contact>,
    #[serde(default)]
    pub(crate) migrate_to_chat_id: Option<i64>,
    #[serde(default)]
    pub(crate) migrate_from_chat_id: Option<i64>,
    #[serde(default)]
    pub(crate) reply_markup: Option<InlineKeyboardMarkup>,
}

/// The replied-to message: only its id is read.
#[derive(Deserialize)]
pub(crate) struct MessageRef {
    pub(crate) message_id: i64,
}

#[derive(Deserialize)]
pub(crate) struct PhotoSize {
    pub(crate) file_id: String,
    #[serde(default)]
    pub(crate) width: u32,
    #[serde(default)]
    pub(crate) height: u32,
    #[serde(default)]
    pub(crate) file_size: Option<u64>,
}

/// Document, audio, voice, video, video note and animation share these fields.
#[derive(Deserialize)]
pub(crate) struct File {
    pub(crate) file_id: String,
    #[serde(default)]
    pub(crate) file_name: Option<String>,
    #[serde(default)]
    pub(crate) mime_type: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Sticker {
    pub(crate) file_id: String,
    #[serde(default)]
    pub(crate) set_name: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Location {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
}

#[derive(Deserialize)]
pub(crate) struct Venue {
    pub(crate) location: Location,
    pub(crate) title: String,
    pub(crate) address: String,
}

#[derive(Deserialize)]
pub(crate) struct Contact {
    pub(crate) phone_number: String,
    pub(crate) first_name: String,
    #[serde(default)]
    pub(crate) last_name: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct InlineKeyboardMarkup {
    #[serde(default)]
    pub(crate) inline_keyboard: Vec<Vec<InlineKeyboardButton>>,
}

#[derive(Deserialize)]
pub(crate) struct InlineKeyboardButton {
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) callback_data: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    pub(crate) id: String,
    pub(crate) from: User,
    /// Absent when the message is too old, or for buttons of inline-mode messages.
    #[serde(default)]
    pub(crate) message: Option<Message>,
    #[serde(default)]
    pub(crate) data: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ChatMemberUpdated {
    pub(crate) chat: Chat,
    pub(crate) from: User,
    #[serde(default)]
    pub(crate) date: Option<i64>,
    pub(crate) old_chat_member: ChatMember,
    pub(crate) new_chat_member: ChatMember,
}

#[derive(Deserialize)]
pub(crate) struct ChatMember {
    pub(crate) status: String,
}

#[derive(Deserialize)]
pub(crate) struct DeletedBusinessMessages {
    pub(crate) business_connection_id: String,
    pub(crate) chat: Chat,
    pub(crate) message_ids: Vec<i64>,
}

#[derive(Deserialize)]
pub(crate) struct MessageReaction {
    pub(crate) chat: Chat,
    pub(crate) message_id: i64,
    #[serde(default)]
    pub(crate) user: Option<User>,
    #[serde(default)]
    pub(crate) date: Option<i64>,
    #[serde(default)]
    pub(crate) new_reaction: Vec<ReactionType>,
}

/// `{"type": "emoji", "emoji": "👍"}`, or a custom emoji or paid reaction (no `emoji`).
#[derive(Deserialize)]
pub(crate) struct ReactionType {
    #[serde(default)]
    pub(crate) emoji: Option<String>,
}
