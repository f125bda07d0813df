//! Bot commands (`/start summer-sale`, `/order 123`, `/help@acme_bot`): one parser for every
//! text channel, so an application routes commands the same way whichever platform they came
//! from.
//!
//! A channel that recognises a command delivers it as [`Content::Command`](crate::Content::Command)
//! (Telegram does); any other channel's text can be checked with [`Command::parse`].
//!
//! ```
//! use unibox_core::command::Command;
//! use unibox_core::Content;
//!
//! fn route(content: &Content) -> &'static str {
//!     match content {
//!         Content::Command(command) if command.name == "start" => "welcome",
//!         Content::Command(command) if command.name == "order" => "order status",
//!         Content::Command(_) => "unknown command",
//!         _ => "a person reads it",
//!     }
//! }
//! let command = Command::parse("/order 123").unwrap();
//! assert_eq!(route(&Content::Command(command)), "order status");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest command name, in characters (Telegram's limit).
pub const MAX_COMMAND_NAME_LENGTH: usize = 32;

/// A command typed at the start of a message: `/` and a name of ASCII letters, digits and
/// underscores, optionally `@` and the bot's username, then the arguments.
///
/// ```
/// use unibox_core::command::Command;
/// let command = Command::parse("/Start@Acme_Bot  summer-sale ").unwrap();
/// assert_eq!(command.name, "start");
/// assert_eq!(command.bot.as_deref(), Some("Acme_Bot"));
/// assert_eq!(command.arguments, "summer-sale");
/// assert!(command.is_for("@acme_bot") && !command.is_for("other_bot"));
/// assert_eq!(command.to_string(), "/start@Acme_Bot summer-sale");
/// assert_eq!(Command::parse("/path/to/file"), None);
/// assert_eq!(Command::parse("hello /start"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Command {
    /// The name without the slash, lowercased (`start`, `order`).
    pub name: String,
    /// What follows the command, trimmed; empty when nothing does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
    /// The bot the command names (`acme_bot` in `/help@acme_bot`, as typed), used in group
    /// chats with several bots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
}

impl Command {
    /// A command with these arguments, addressed to no bot in particular.
    pub fn new(name: impl Into<String>, arguments: impl Into<String>) -> Self {
        Command { name: name.into().to_ascii_lowercase(), arguments: arguments.into(), bot: None }
    }

    /// The command at the start of `text`, if it begins with one. The name is 1 to
    /// [`MAX_COMMAND_NAME_LENGTH`] ASCII letters, digits or underscores, and must be followed by
    /// the end of the text, whitespace, or `@` and a bot username.
    pub fn parse(text: &str) -> Option<Command> {
        let rest = text.strip_prefix('/')?;
        let name_end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() || name.len() > MAX_COMMAND_NAME_LENGTH {
            return None;
        }
        let mut rest = &rest[name_end..];
        let mut bot = None;
        if let Some(after_at) = rest.strip_prefix('@') {
            let bot_end = after_at.find(|c: char| !is_word(c)).unwrap_or(after_at.len());
            if bot_end == 0 {
                return None;
            }
            bot = Some(after_at[..bot_end].to_owned());
            rest = &after_at[bot_end..];
        }
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return None;
        }
        Some(Command { name: name.to_ascii_lowercase(), arguments: rest.trim().to_owned(), bot })
    }

    /// Whether the command is for the bot `username` (with or without `@`): it names no bot,
    /// or names this one (usernames compare case-insensitively).
    pub fn is_for(&self, username: &str) -> bool {
        let username = username.strip_prefix('@').unwrap_or(username);
        self.bot.as_deref().is_none_or(|bot| bot.eq_ignore_ascii_case(username))
    }

    /// The arguments split at whitespace (`/order 123 express` → `123`, `express`).
    pub fn argument_list(&self) -> impl Iterator<Item = &str> {
        self.arguments.split_whitespace()
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.name)?;
        if let Some(bot) = &self.bot {
            write!(f, "@{bot}")?;
        }
        if !self.arguments.is_empty() {
            write!(f, " {}", self.arguments)?;
        }
        Ok(())
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_payloads_bots_and_newlines() {
        let start = Command::parse("/start ref_2024-summer").unwrap();
        assert_eq!((start.name.as_str(), start.arguments.as_str(), start.bot), ("start", "ref_2024-summer", None));
        let order = Command::parse("/order@acme_shop_bot 123\nexpress please").unwrap();
        assert_eq!(order.bot.as_deref(), Some("acme_shop_bot"));
        assert_eq!(order.argument_list().collect::<Vec<_>>(), ["123", "express", "please"]);
        assert_eq!(Command::parse("/help").unwrap(), Command::new("help", ""));
    }

    #[test]
    fn text_that_only_looks_like_a_command_is_not_one() {
        for text in ["", "/", "/ start", "start", " /start", "/start@", "/start@ x", "/a-b", "/ä", "/x/y", "/start,now"]
        {
            assert_eq!(Command::parse(text), None, "{text:?}");
        }
        assert!(Command::parse(&format!("/{}", "a".repeat(MAX_COMMAND_NAME_LENGTH))).is_some());
        assert!(Command::parse(&format!("/{}", "a".repeat(MAX_COMMAND_NAME_LENGTH + 1))).is_none());
    }

    #[test]
    fn serialized_commands_leave_out_what_is_empty() {
        let json = serde_json::to_string(&Command::new("start", "")).unwrap();
        assert_eq!(json, r#"{"name":"start"}"#);
        let back: Command = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Command::new("start", ""));
    }
}
