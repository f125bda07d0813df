//! The send: a reply while a fresh reply token of the chat is held, otherwise a push carrying
//! the message's `X-Line-Retry-Key`.
//!
//! - A message pushed once is pushed on every retry, with the same key, never switched to a
//!   reply (a reply has no key and could deliver it twice). LINE answers a retry of an accepted
//!   push with 409 and the original `sentMessages`: that is the message sent once, a success.
//! - A reply LINE refuses with `400 Invalid reply token` (expired, used, from a redelivery), or
//!   that could not connect, falls back to a push in the same call.
//! - A reply whose answer is lost (timeout, broken connection, 5xx) is `DeliveryUnknown` and not
//!   retried automatically; see the error table.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::http::{HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind, Result};

use crate::api::{ACCEPTED_REQUEST_ID_HEADER, LineApi, REQUEST_ID_HEADER, header};
use crate::error_map::{self, Call};
use crate::{LineChannel, retry_key};

const OPERATION: &str = "line.send";

/// `{"sentMessages": [{"id": "…", "quoteToken": "…"}]}`, also in a 409's body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    #[serde(default)]
    sent_messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    #[serde(default)]
    id: String,
}

/// The id of the first message LINE says it sent, else the request id LINE names in `headers`.
fn sent_id(response: &HttpResponse, request_id_headers: &[&str]) -> Option<String> {
    serde_json::from_slice::<Sent>(response.body())
        .ok()
        .and_then(|sent| sent.sent_messages.into_iter().map(|m| m.id).find(|id| !id.is_empty()))
        .or_else(|| request_id_headers.iter().find_map(|name| header(response, name)).map(str::to_owned))
}

fn accepted_without_id(call: Call) -> Error {
    let error = Error::new(
        ErrorKind::DeliveryUnknown,
        "LINE accepted the request but named no sent message: check before resending",
    )
    .with_operation(OPERATION);
    if call == Call::Reply { error.persistent() } else { error }
}

/// What a reply attempt came to.
enum Replied {
    Sent(SendReceipt),
    /// The token cannot be used (or nothing was sent): push instead.
    Push,
}

impl LineChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let bot = request.account.platform_account_id.as_str();
        if !self.modes.of(bot).can_send() {
            return Err(Error::new(
                ErrorKind::PlatformRejected,
                "the LINE channel is in standby mode (another module channel holds the chats): it must not send",
            )
            .with_operation(OPERATION)
            .with_context("account", request.account.id));
        }
        let api = self.api(OPERATION)?;
        let token = request.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no channel access token is stored for this LINE account: store the long-lived token or let the vault issue one",
            )
            .with_operation(OPERATION)
            .with_context("account", request.account.id)
        })?;
        let to = request.recipient.value.as_str();
        if to.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the LINE recipient id is empty").with_operation(OPERATION));
        }
        let messages = crate::outbound::messages(request.content)?;
        if !self.pushed.contains(request.message_id)
            && let Some(reply_token) = self.replies.take(bot, to, self.clock.now(), self.config.reply_window)
            && let Replied::Sent(receipt) = reply(api, token, &reply_token, &messages).await?
        {
            return Ok(receipt);
        }
        self.pushed.insert(request.message_id);
        push(api, token, to, &messages, &retry_key(request.message_id)).await
    }
}

async fn reply(api: &LineApi, token: &SecretString, reply_token: &SecretString, messages: &[Value]) -> Result<Replied> {
    use secrecy::ExposeSecret;
    let body = json!({"replyToken": reply_token.expose_secret(), "messages": messages});
    let response = match api.post_json("v2/bot/message/reply", token, &body, None).await {
        Ok(response) => response,
        Err(error) if error.kind() == HttpErrorKind::Connect => return Ok(Replied::Push),
        Err(error) => return Err(error_map::from_transport(Call::Reply, error).with_operation(OPERATION)),
    };
    if response.status().is_success() {
        return match sent_id(&response, &[REQUEST_ID_HEADER]) {
            Some(id) => Ok(Replied::Sent(SendReceipt::new(id).replied_with_token())),
            None => Err(accepted_without_id(Call::Reply)),
        };
    }
    let line = error_map::api_error(&response);
    if line.is_invalid_reply_token() {
        return Ok(Replied::Push);
    }
    Err(error_map::honour_retry_after(error_map::from_api_error(Call::Reply, line), &response)
        .with_operation(OPERATION))
}

async fn push(api: &LineApi, token: &SecretString, to: &str, messages: &[Value], key: &str) -> Result<SendReceipt> {
    let body = json!({"to": to, "messages": messages});
    let response = api
        .post_json("v2/bot/message/push", token, &body, Some(key))
        .await
        .map_err(|e| error_map::from_transport(Call::Push, e).with_operation(OPERATION))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return sent_id(&response, &[REQUEST_ID_HEADER])
            .map(SendReceipt::new)
            .ok_or_else(|| accepted_without_id(Call::Push));
    }
    if status == 409 {
        // "The retry key is already accepted": an earlier attempt went through; LINE repeats its
        // sentMessages (or names the accepted request).
        return sent_id(&response, &[ACCEPTED_REQUEST_ID_HEADER, REQUEST_ID_HEADER])
            .map(SendReceipt::new)
            .ok_or_else(|| accepted_without_id(Call::Push));
    }
    Err(error_map::from_response(Call::Push, &response).with_operation(OPERATION))
}
