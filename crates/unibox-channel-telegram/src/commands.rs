//! The bot's command menu (`setMyCommands`) and answers to button taps (`answerCallbackQuery`).

use serde_json::json;
use unibox_core::{Error, ErrorKind, Result};

use crate::TelegramChannel;
use crate::inbound::CALLBACK_PREFIX;

/// A command in the bot's menu: what users see when they type `/`.
///
/// ```
/// use unibox_channel_telegram::BotCommand;
/// let order = BotCommand::new("order", "Track an order: /order 123").unwrap();
/// assert!(BotCommand::new("Order-Status", "bad name").is_err());
/// # let _ = order;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotCommand {
    command: String,
    description: String,
}

impl BotCommand {
    /// A command: 1 to 32 lowercase letters, digits and underscores, and a description of 1 to
    /// 256 characters (Telegram's rules).
    pub fn new(command: impl Into<String>, description: impl Into<String>) -> Result<Self> {
        let command = command.into();
        let description = description.into();
        let name_ok = (1..=32).contains(&command.len())
            && command.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("a Telegram command is 1 to 32 lowercase letters, digits and _, not {command:?}"),
            ));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a Telegram command description is 1 to 256 characters"));
        }
        Ok(BotCommand { command, description })
    }

    /// The command, without `/`.
    pub fn command(&self) -> &str {
        &self.command
    }
}

/// The callback query id in the platform message id of a tapped button (`callback:<id>`), as
/// stored for the `Content::Postback` message of a callback query.
///
/// ```
/// assert_eq!(unibox_channel_telegram::callback_query_id("callback:4382bfdwdsb323b2d9"), Some("4382bfdwdsb323b2d9"));
/// assert_eq!(unibox_channel_telegram::callback_query_id("1111111:1365"), None);
/// ```
pub fn callback_query_id(platform_message_id: &str) -> Option<&str> {
    platform_message_id.strip_prefix(CALLBACK_PREFIX).filter(|id| !id.is_empty())
}

impl TelegramChannel {
    /// Sets the command menu for every chat (replacing the previous one); an empty list removes
    /// it. `language_code` (`"th"`, `"en"`) sets the menu for users with that language.
    pub async fn set_my_commands(&self, commands: &[BotCommand], language_code: Option<&str>) -> Result<()> {
        if commands.len() > 100 {
            return Err(Error::new(ErrorKind::InvalidInput, "Telegram accepts at most 100 commands"));
        }
        let commands: Vec<_> =
            commands.iter().map(|c| json!({"command": c.command, "description": c.description})).collect();
        let mut body = json!({ "commands": commands });
        if let Some(language) = language_code {
            body["language_code"] = language.into();
        }
        self.query("setMyCommands", &body, "telegram.commands.set").await.map(drop)
    }

    /// Answers a button tap, which stops the button's loading indicator: `text` (up to 200
    /// characters) shows as a notification, or as an alert with `show_alert`. Telegram expects
    /// an answer to every callback query, within seconds.
    ///
    /// `callback_query` is the callback query id, or the platform message id of its postback
    /// message (`callback:<id>`).
    pub async fn answer_callback_query(
        &self,
        callback_query: &str,
        text: Option<&str>,
        show_alert: bool,
    ) -> Result<()> {
        let id = callback_query_id(callback_query).unwrap_or(callback_query);
        if id.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the callback query id is empty"));
        }
        let mut body = json!({"callback_query_id": id, "show_alert": show_alert});
        if let Some(text) = text {
            body["text"] = text.into();
        }
        self.query("answerCallbackQuery", &body, "telegram.callback.answer").await.map(drop)
    }
}
