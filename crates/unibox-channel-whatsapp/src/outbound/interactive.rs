//! Buttons and quick replies as WhatsApp interactive messages.
//!
//! WhatsApp has no quick-reply chips and no mixed button rows, so:
//!
//! - only postback buttons (or quick replies): up to 3 become reply buttons, 4 to 10 a list
//!   whose rows carry the payloads, more is `InvalidInput`;
//! - exactly one URL button and nothing else: a call-to-action URL button (`cta_url`);
//! - URL and call buttons beside postback buttons (or several URL buttons): the links and
//!   numbers are appended to the text as `Title: target` lines, because WhatsApp would refuse
//!   them; if no postback button remains, the message is sent as text.
//!
//! A tapped reply button or list row comes back as `Content::Postback` with the payload.

use serde_json::{Value, json};
use unibox_core::{Button, ButtonAction, QuickReply, Result};

use super::invalid;

/// The most reply buttons an interactive message has.
pub(crate) const MAX_REPLY_BUTTONS: usize = 3;
/// The most rows of an interactive list.
pub(crate) const MAX_LIST_ROWS: usize = 10;
/// The longest reply-button title, in characters.
pub(crate) const MAX_BUTTON_TITLE_LENGTH: usize = 20;
/// The longest list-row title, in characters.
pub(crate) const MAX_ROW_TITLE_LENGTH: usize = 24;
/// The longest interactive body text, in characters.
pub(crate) const MAX_INTERACTIVE_TEXT_LENGTH: usize = 1024;
/// The longest button or row id (the payload), in characters.
pub(crate) const MAX_PAYLOAD_LENGTH: usize = 256;

/// The label of the button that opens a list.
const LIST_BUTTON_LABEL: &str = "Choose";

/// `Content::Buttons`: the message type (`interactive`, or `text` when only links remain) and its object.
pub(crate) fn buttons(text: &str, buttons: &[Button]) -> Result<(&'static str, Value)> {
    let mut choices = Vec::new();
    let mut links = Vec::new();
    for button in buttons {
        match &button.action {
            ButtonAction::Postback { payload } => choices.push((button.title.as_str(), payload.as_str())),
            ButtonAction::Url { url } => links.push((button.title.as_str(), url.as_str())),
            ButtonAction::Call { phone } => links.push((button.title.as_str(), phone.as_str())),
        }
    }
    let only_url = match (choices.as_slice(), links.as_slice(), buttons) {
        ([], [(title, url)], [Button { action: ButtonAction::Url { .. }, .. }]) => Some((*title, *url)),
        _ => None,
    };
    if let Some((title, url)) = only_url {
        check_body(text)?;
        if title.is_empty() || title.chars().count() > MAX_BUTTON_TITLE_LENGTH {
            return Err(invalid(format!("a WhatsApp URL button title has 1 to {MAX_BUTTON_TITLE_LENGTH} characters")));
        }
        return Ok((
            "interactive",
            json!({
                "type": "cta_url",
                "body": { "text": text },
                "action": { "name": "cta_url", "parameters": { "display_text": title, "url": url } },
            }),
        ));
    }
    let mut text = text.to_owned();
    if !links.is_empty() {
        text.push('\n');
        for (title, target) in &links {
            text.push('\n');
            text.push_str(title);
            text.push_str(": ");
            text.push_str(target);
        }
    }
    if choices.is_empty() {
        if text.trim().is_empty() {
            return Err(invalid("a buttons message needs a text or at least one button"));
        }
        let preview_url = !links.is_empty();
        return Ok(("text", json!({ "body": text, "preview_url": preview_url })));
    }
    Ok(("interactive", choice_message(&text, &choices)?))
}

/// `Content::QuickReplies`: reply buttons or a list.
pub(crate) fn quick_replies(text: &str, replies: &[QuickReply]) -> Result<(&'static str, Value)> {
    let choices: Vec<(&str, &str)> = replies.iter().map(|r| (r.title.as_str(), r.payload.as_str())).collect();
    if choices.is_empty() {
        return Err(invalid("quick replies need at least one reply"));
    }
    Ok(("interactive", choice_message(text, &choices)?))
}

fn check_body(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(invalid("a WhatsApp interactive message needs a body text"));
    }
    if text.chars().count() > MAX_INTERACTIVE_TEXT_LENGTH {
        return Err(invalid(format!(
            "a WhatsApp interactive message's text has at most {MAX_INTERACTIVE_TEXT_LENGTH} characters"
        )));
    }
    Ok(())
}

fn check_choice(title: &str, payload: &str, max_title: usize, what: &str) -> Result<()> {
    if title.is_empty() || title.chars().count() > max_title {
        return Err(invalid(format!(
            "a WhatsApp {what} title has 1 to {max_title} characters, {title:?} does not fit"
        )));
    }
    if payload.is_empty() || payload.chars().count() > MAX_PAYLOAD_LENGTH {
        return Err(invalid(format!("a WhatsApp {what} payload has 1 to {MAX_PAYLOAD_LENGTH} characters")));
    }
    Ok(())
}

/// `(title, payload)` choices as reply buttons (up to 3) or a list (up to 10).
fn choice_message(text: &str, choices: &[(&str, &str)]) -> Result<Value> {
    check_body(text)?;
    if choices.len() <= MAX_REPLY_BUTTONS {
        let mut buttons = Vec::with_capacity(choices.len());
        for (title, payload) in choices {
            check_choice(title, payload, MAX_BUTTON_TITLE_LENGTH, "reply button")?;
            buttons.push(json!({ "type": "reply", "reply": { "id": payload, "title": title } }));
        }
        return Ok(json!({ "type": "button", "body": { "text": text }, "action": { "buttons": buttons } }));
    }
    if choices.len() > MAX_LIST_ROWS {
        return Err(invalid(format!(
            "WhatsApp offers at most {MAX_LIST_ROWS} choices in one message; {} were given",
            choices.len()
        )));
    }
    let mut rows = Vec::with_capacity(choices.len());
    for (title, payload) in choices {
        check_choice(title, payload, MAX_ROW_TITLE_LENGTH, "list row")?;
        rows.push(json!({ "id": payload, "title": title }));
    }
    Ok(json!({
        "type": "list",
        "body": { "text": text },
        "action": { "button": LIST_BUTTON_LABEL, "sections": [{ "rows": rows }] },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postback(title: &str, payload: &str) -> Button {
        Button { title: title.into(), action: ButtonAction::Postback { payload: payload.into() } }
    }

    fn link(title: &str, url: &str) -> Button {
        Button { title: title.into(), action: ButtonAction::Url { url: url.parse().unwrap() } }
    }

    #[test]
    fn up_to_three_postbacks_are_reply_buttons_and_more_a_list() {
        let (kind, object) = buttons("Solved?", &[postback("Yes", "CSAT_YES"), postback("No", "CSAT_NO")]).unwrap();
        assert_eq!(kind, "interactive");
        assert_eq!(object["type"], "button");
        assert_eq!(object["action"]["buttons"][1]["reply"]["id"], "CSAT_NO");
        let many: Vec<QuickReply> =
            (1..=5).map(|n| QuickReply { title: format!("Size {n}"), payload: format!("SIZE_{n}") }).collect();
        let (_, object) = quick_replies("Which size?", &many).unwrap();
        assert_eq!(object["type"], "list");
        assert_eq!(object["action"]["sections"][0]["rows"][4]["id"], "SIZE_5");
        let too_many: Vec<QuickReply> =
            (1..=11).map(|n| QuickReply { title: format!("{n}"), payload: format!("{n}") }).collect();
        assert!(quick_replies("Pick", &too_many).is_err());
    }

    #[test]
    fn a_single_url_is_a_call_to_action_and_mixed_links_move_into_the_text() {
        let (_, object) = buttons("Track it", &[link("Track order", "https://acme.example/t/1")]).unwrap();
        assert_eq!(object["type"], "cta_url");
        assert_eq!(object["action"]["parameters"]["url"], "https://acme.example/t/1");
        let (kind, object) =
            buttons("Solved?", &[postback("Yes", "CSAT_YES"), link("Track order", "https://acme.example/t/1")])
                .unwrap();
        assert_eq!(kind, "interactive");
        assert_eq!(object["body"]["text"], "Solved?\n\nTrack order: https://acme.example/t/1");
        let (kind, object) =
            buttons("Links", &[link("A", "https://a.example/"), link("B", "https://b.example/")]).unwrap();
        assert_eq!(kind, "text");
        assert!(object["body"].as_str().unwrap().ends_with("B: https://b.example/"));
    }

    #[test]
    fn titles_longer_than_whatsapp_allows_are_refused() {
        let err = buttons("Pick", &[postback("A title far too long for a button", "X")]).unwrap_err();
        assert!(err.message().contains("20"));
    }
}
