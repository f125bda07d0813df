//! Formatted text: the unified `Content::Text` is plain, so formatting is Telegram's own, sent
//! with [`TelegramChannel::send_text`](crate::TelegramChannel::send_text) either as entities
//! (offsets in UTF-16 code units, which survive splitting) or as a parse mode (markup, which
//! does not).

use serde::Serialize;
use serde_json::{Value, json};
use unibox_core::{Error, ErrorKind, Result};

use super::split::{split, utf16_length};
use super::{Call, Chat, MAX_TEXT_LENGTH};

/// Telegram's markup languages for `parse_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseMode {
    /// `<b>bold</b>`, `<a href="…">links</a>`, ...
    Html,
    /// `*bold*`, `[links](…)`, with Telegram's escaping rules.
    MarkdownV2,
}

impl ParseMode {
    fn as_str(self) -> &'static str {
        match self {
            ParseMode::Html => "HTML",
            ParseMode::MarkdownV2 => "MarkdownV2",
        }
    }
}

/// One formatted span: its type (`bold`, `italic`, `text_link`, `code`, `pre`, ...), where it
/// starts and how long it is, both in UTF-16 code units.
///
/// ```
/// use unibox_channel_telegram::MessageEntity;
/// let link = MessageEntity::new("text_link", 6, 5).with_url("https://acme.example/t/1");
/// # let _ = link;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MessageEntity {
    /// The entity type, as Telegram names it.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it starts, in UTF-16 code units.
    pub offset: usize,
    /// How long it is, in UTF-16 code units.
    pub length: usize,
    /// The link of a `text_link`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The language of a `pre` block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl MessageEntity {
    /// An entity of `kind` over `length` UTF-16 code units from `offset`.
    pub fn new(kind: impl Into<String>, offset: usize, length: usize) -> Self {
        MessageEntity { kind: kind.into(), offset, length, url: None, language: None }
    }

    /// The link of a `text_link`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The language of a `pre` block.
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
}

/// Text with Telegram formatting.
///
/// ```
/// use unibox_channel_telegram::{FormattedText, MessageEntity, ParseMode};
/// let entities = FormattedText::with_entities("Order TH-20931 shipped", vec![MessageEntity::new("bold", 6, 8)]);
/// let markup = FormattedText::with_parse_mode("Order <b>TH-20931</b> shipped", ParseMode::Html);
/// # let _ = (entities, markup);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormattedText {
    text: String,
    format: Format,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Format {
    Entities(Vec<MessageEntity>),
    ParseMode(ParseMode),
}

impl FormattedText {
    /// Text formatted by entities. Longer than 4,096 UTF-16 code units, it is sent in parts and
    /// each entity goes with the part (or parts) it covers.
    pub fn with_entities(text: impl Into<String>, entities: Vec<MessageEntity>) -> Self {
        FormattedText { text: text.into(), format: Format::Entities(entities) }
    }

    /// Text in a markup language. Markup cannot be cut safely, so it is sent as one message:
    /// longer than 4,096 UTF-16 code units (markup included) is refused.
    pub fn with_parse_mode(text: impl Into<String>, mode: ParseMode) -> Self {
        FormattedText { text: text.into(), format: Format::ParseMode(mode) }
    }

    /// The `sendMessage` calls.
    pub(crate) fn calls(&self, chat: &Chat) -> Result<Vec<Call>> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidInput, message).with_operation("telegram.send");
        if self.text.trim().is_empty() {
            return Err(invalid("a Telegram text message cannot be empty".into()));
        }
        let call = |extra: Value| {
            let mut body = chat.fields();
            if let Value::Object(extra) = extra {
                body.extend(extra);
            }
            Call { method: "sendMessage", body: Value::Object(body) }
        };
        match &self.format {
            Format::ParseMode(mode) => {
                let length = utf16_length(&self.text);
                if length > MAX_TEXT_LENGTH {
                    return Err(invalid(format!(
                        "a text with a parse mode is sent as one message of at most {MAX_TEXT_LENGTH} UTF-16 code units \
                         (markup cannot be split safely); this one has {length}: use entities to send it in parts"
                    )));
                }
                Ok(vec![call(json!({"text": self.text, "parse_mode": mode.as_str()}))])
            }
            Format::Entities(entities) => {
                let mut start = 0;
                let mut calls = Vec::new();
                for part in split(&self.text, MAX_TEXT_LENGTH) {
                    let end = start + utf16_length(part);
                    let clipped: Vec<MessageEntity> = entities
                        .iter()
                        .filter(|e| e.offset < end && e.offset + e.length > start)
                        .map(|e| {
                            let from = e.offset.max(start);
                            let to = (e.offset + e.length).min(end);
                            MessageEntity { offset: from - start, length: to - from, ..e.clone() }
                        })
                        .collect();
                    let mut fields = json!({"text": part});
                    if !clipped.is_empty() {
                        fields["entities"] = serde_json::to_value(&clipped).unwrap_or(Value::Null);
                    }
                    calls.push(call(fields));
                    start = end;
                }
                Ok(calls)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat() -> Chat {
        Chat { chat_id: 1111111, business_connection_id: None }
    }

    #[test]
    fn entities_follow_their_part_and_one_crossing_the_cut_is_in_both() {
        // Two paragraphs of 3,000 units: the cut is after the first line break.
        let first = format!("{}\n", "a".repeat(2999));
        let text = format!("{first}{}", "b".repeat(3000));
        let entities = vec![
            MessageEntity::new("bold", 0, 4),
            MessageEntity::new("italic", 2990, 20),
            MessageEntity::new("text_link", 3100, 10).with_url("https://acme.example/t/1"),
        ];
        let calls = FormattedText::with_entities(text, entities).calls(&chat()).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0].body["entities"],
            json!([{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2990, "length": 10}])
        );
        assert_eq!(
            calls[1].body["entities"],
            json!([{"type": "italic", "offset": 0, "length": 10}, {"type": "text_link", "offset": 100, "length": 10, "url": "https://acme.example/t/1"}])
        );
    }

    #[test]
    fn a_parse_mode_is_one_message_and_too_long_markup_is_refused() {
        let calls = FormattedText::with_parse_mode("<b>TH-20931</b> shipped", ParseMode::Html).calls(&chat()).unwrap();
        assert_eq!(calls[0].body["parse_mode"], "HTML");
        let long = FormattedText::with_parse_mode("a".repeat(MAX_TEXT_LENGTH + 1), ParseMode::MarkdownV2);
        assert_eq!(long.calls(&chat()).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
