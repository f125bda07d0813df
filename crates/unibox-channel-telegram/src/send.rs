//! The send: the calls of [`outbound::calls`](crate::outbound), one after the other, with the
//! bot token from the token store (else the configured one).
//!
//! A text longer than one message is several calls. If a later part fails, the earlier ones
//! were delivered: the error says how many and is never retried automatically (a retry would
//! repeat them).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::http::HttpResponse;
use unibox_core::{ContactIdentity, Error, ErrorKind, Result};

use crate::error_map::{self, Call};
use crate::inbound::key;
use crate::outbound::{self, Chat};
use crate::{BotToken, FormattedText, TelegramChannel};

const OPERATION: &str = "telegram.send";

/// `{"ok": true, "result": {"message_id": …, …}}`.
#[derive(Deserialize)]
struct Sent {
    ok: bool,
    #[serde(default)]
    result: Option<serde_json::Value>,
}

/// The sent message of a send call's answer (`result`), with its `message_id`; the error of a
/// refused call; `DeliveryUnknown` (never retried) when Telegram accepted the call but its
/// answer names no message.
pub(crate) fn read_sent(response: &HttpResponse, method: &'static str) -> Result<(i64, serde_json::Value)> {
    if !response.status().is_success() {
        return Err(error_map::from_response(response).with_context("method", method));
    }
    match serde_json::from_slice::<Sent>(response.body()) {
        Ok(Sent { ok: true, result: Some(result) }) if result["message_id"].is_i64() => {
            Ok((result["message_id"].as_i64().unwrap_or_default(), result))
        }
        Ok(Sent { ok: false, .. }) => Err(error_map::from_response(response).with_context("method", method)),
        _ => Err(Error::new(
            ErrorKind::DeliveryUnknown,
            "Telegram accepted the message but its answer names no message id: check before resending",
        )
        .persistent()
        .with_context("method", method)),
    }
}

impl TelegramChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.api(OPERATION)?;
        let stored;
        let token = match request.access_token {
            Some(token) => {
                stored = self.stored_token(token)?;
                &stored
            }
            None => &self.config.bot_token,
        };
        let chat = Chat::of(request.recipient)?;
        let reply_to = reply_to_in(request.recipient, request.reply_to);
        let calls = outbound::calls(request.content, &chat, reply_to)?;
        self.send_calls(token, &calls, request.recipient)
            .await
            .map_err(|e| e.with_context("account", request.account.id))
    }

    /// Sends Telegram-formatted text (entities or a parse mode) to a chat the channel produced
    /// (`to` is the customer's identity on the bot's account), with the configured bot token:
    /// for bot flows that need formatting the unified `Content::Text` does not carry. Texts with
    /// entities longer than 4,096 UTF-16 code units are sent in parts, each with its entities;
    /// the receipt names the first part. It maps errors like [`Channel::send`](unibox_core::Channel::send).
    ///
    /// ```no_run
    /// # async fn show(channel: &unibox_channel_telegram::TelegramChannel, to: &unibox_core::ContactIdentity) -> unibox_core::Result<()> {
    /// use unibox_channel_telegram::{FormattedText, ParseMode};
    /// let text = FormattedText::with_parse_mode("Order <b>TH-20931</b> shipped", ParseMode::Html);
    /// let receipt = channel.send_text(to, &text, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_text(
        &self,
        to: &ContactIdentity,
        text: &FormattedText,
        reply_to: Option<&str>,
    ) -> Result<SendReceipt> {
        let chat = Chat::of(to)?;
        let mut calls = text.calls(&chat)?;
        if let (Some(message_id), Some(first)) = (reply_to_in(to, reply_to), calls.first_mut()) {
            first.body["reply_parameters"] = json!({"message_id": message_id, "allow_sending_without_reply": true});
        }
        self.send_calls(&self.config.bot_token, &calls, to).await
    }

    /// Makes the calls in order; the receipt names the first message.
    async fn send_calls(
        &self,
        token: &BotToken,
        calls: &[outbound::Call],
        to: &ContactIdentity,
    ) -> Result<SendReceipt> {
        let api = self.api(OPERATION)?;
        let total = calls.len();
        let mut first = None;
        for (index, call) in calls.iter().enumerate() {
            let sent = self.send_one(api, token, call).await.map_err(|error| {
                let error = error.with_operation(OPERATION);
                if index == 0 {
                    error
                } else {
                    // Earlier parts went out: resending would repeat them.
                    error.with_context("delivered_parts", format!("{index} of {total}")).persistent()
                }
            })?;
            first.get_or_insert(sent);
        }
        let message_id = first.ok_or_else(|| Error::new(ErrorKind::InvalidInput, "nothing to send"))?;
        Ok(SendReceipt::new(key(&to.value, message_id)))
    }

    /// The token the token store holds for the account: it must be this bot's.
    pub(crate) fn stored_token(&self, token: &SecretString) -> Result<BotToken> {
        let token = BotToken::new(SecretString::from(token.expose_secret().to_owned()))
            .map_err(|_| Error::new(ErrorKind::TokenInvalid, "the stored Telegram bot token is malformed"))?;
        if token.bot_id() != self.config.bot_id() {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "the stored Telegram bot token belongs to bot {}, but this channel is bot {}",
                    token.bot_id(),
                    self.config.bot_id()
                ),
            )
            .with_operation(OPERATION));
        }
        Ok(token)
    }

    async fn send_one(&self, api: &crate::api::BotApi, token: &BotToken, call: &outbound::Call) -> Result<i64> {
        let response = api
            .call(token, call.method, &call.body)
            .await
            .map_err(|e| error_map::from_transport(Call::Send, e).with_context("method", call.method))?;
        read_sent(&response, call.method).map(|(message_id, _)| message_id)
    }
}

/// The Telegram message id of `reply_to` when it names a message of `to`'s chat
/// (`<customer id>:<message_id>`); replies to other chats' messages are dropped.
pub(crate) fn reply_to_in(to: &ContactIdentity, reply_to: Option<&str>) -> Option<i64> {
    reply_to?.strip_prefix(to.value.as_str())?.strip_prefix(':')?.parse().ok()
}
