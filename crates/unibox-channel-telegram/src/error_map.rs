//! The error table: the Bot API's answers and transport failures, to unibox error kinds with
//! retry hints.
//!
//! Telegram answers `{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked
//! by the user", "parameters": {"retry_after": 34, "migrate_to_chat_id": -100…}}`; `error_code`
//! mirrors the HTTP status. The table is in the crate documentation (`docs.md`, "Errors").
//!
//! Telegram has no idempotency key: a send whose answer is lost may have been delivered, so it
//! is `DeliveryUnknown` and never retried automatically ([`Retry::Persistent`](unibox_core::Retry::Persistent)).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use unibox_core::http::{HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind};

use crate::api::{TransportError, header};

/// Which kind of call failed: the same answer means different things for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// A message send: not idempotent.
    Send,
    /// A call that is safe to repeat (`setWebhook`, `getWebhookInfo`, `setMyCommands`,
    /// `answerCallbackQuery`, ...).
    Query,
}

/// An error answer of the Bot API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_telegram::TelegramApiError;
/// let error = TelegramApiError::from_body(
///     429,
///     br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 34","parameters":{"retry_after":34}}"#,
/// );
/// assert_eq!((error.error_code, error.retry_after), (429, Some(34)));
/// assert!(!error.is_blocked_by_user());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TelegramApiError {
    /// Telegram's `error_code` (the HTTP status when the body has none).
    pub error_code: u16,
    /// Telegram's `description`.
    pub description: String,
    /// `parameters.retry_after`: seconds to wait before calling again (flood control).
    pub retry_after: Option<u64>,
    /// `parameters.migrate_to_chat_id`: the group became this supergroup.
    pub migrate_to_chat_id: Option<i64>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

impl TelegramApiError {
    /// Reads the Bot API's error body; a body that is not Telegram's JSON becomes its status.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let (error_code, description, parameters) = match parsed {
            Some(body) => (body.error_code.unwrap_or(status), body.description, body.parameters),
            None => (status, None, None),
        };
        TelegramApiError {
            error_code,
            description: description.unwrap_or_else(|| format!("HTTP {status}")),
            retry_after: parameters.as_ref().and_then(|p| p.retry_after),
            migrate_to_chat_id: parameters.and_then(|p| p.migrate_to_chat_id),
        }
    }

    /// The Telegram answer behind a unibox error, if it came from the Bot API.
    pub fn of(error: &Error) -> Option<&TelegramApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<TelegramApiError>())
    }

    /// "Forbidden: bot was blocked by the user".
    pub fn is_blocked_by_user(&self) -> bool {
        self.error_code == 403 && self.description.to_ascii_lowercase().contains("blocked by the user")
    }

    fn says(&self, words: &str) -> bool {
        self.description.to_ascii_lowercase().contains(words)
    }
}

impl fmt::Display for TelegramApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Telegram answered {}: {}", self.error_code, self.description)
    }
}

impl std::error::Error for TelegramApiError {}

/// The unibox error for a non-success answer (or `"ok": false`). Sends and other calls map
/// alike: Telegram's error answers mean nothing was done.
pub(crate) fn from_response(response: &HttpResponse) -> Error {
    let mut telegram = TelegramApiError::from_body(response.status().as_u16(), response.body());
    if telegram.retry_after.is_none() {
        // Not documented for the Bot API, but honoured should a proxy in front of it send one.
        telegram.retry_after = header(response, "retry-after").and_then(|v| v.trim().parse().ok());
    }
    from_api_error(telegram)
}

/// The unibox error for a Telegram error answer.
pub(crate) fn from_api_error(telegram: TelegramApiError) -> Error {
    let code = telegram.error_code;
    let said = telegram.description.clone();
    let (kind, message) = match code {
        400 if telegram.migrate_to_chat_id.is_some() => (
            ErrorKind::PlatformRejected,
            "the group became a supergroup: the conversation moves to the supergroup's id when Telegram's \
             migration update arrives; send again then"
                .to_owned(),
        ),
        400 if telegram.says("chat not found")
            || telegram.says("peer_id_invalid")
            || telegram.says("user not found") =>
        {
            (ErrorKind::RecipientUnavailable, format!("Telegram does not know this chat: {said}"))
        }
        400 => (ErrorKind::PlatformRejected, format!("Telegram refused the request: {said}")),
        401 => (
            ErrorKind::TokenInvalid,
            "Telegram refused the bot token (revoked or wrong): get the current one from @BotFather".to_owned(),
        ),
        // The Bot API answers 404 to a URL whose token is malformed or unknown.
        404 => (
            ErrorKind::TokenInvalid,
            "Telegram does not know this bot token (404): check the token, or the API base URL".to_owned(),
        ),
        403 if telegram.is_blocked_by_user() => (
            ErrorKind::RecipientUnavailable,
            "the user blocked the bot: nothing can be sent until they unblock it".to_owned(),
        ),
        403 => (ErrorKind::RecipientUnavailable, format!("Telegram does not let the bot write to this chat: {said}")),
        409 => (ErrorKind::Conflict, format!("Telegram reports a conflict: {said}")),
        413 => (ErrorKind::InvalidInput, format!("the request is larger than Telegram accepts: {said}")),
        429 => (ErrorKind::RateLimited, format!("Telegram's flood control is throttling the bot: {said}")),
        500..=599 => (ErrorKind::PlatformUnavailable, format!("the Bot API is unavailable ({code}): {said}")),
        _ => (ErrorKind::PlatformRejected, format!("Telegram answered {code}: {said}")),
    };
    let mapped = Error::new(kind, message).with_context("error_code", code);
    let mapped = match telegram.migrate_to_chat_id {
        Some(chat) => mapped.with_context("migrate_to_chat_id", chat),
        None => mapped,
    };
    let mapped = match (kind, telegram.retry_after) {
        (ErrorKind::RateLimited, Some(seconds)) => mapped.with_retry_after(Duration::from_secs(seconds)),
        (ErrorKind::RateLimited | ErrorKind::PlatformUnavailable, _) => mapped.temporary(),
        _ => mapped,
    };
    mapped.with_source(telegram)
}

/// The unibox error for a request that got no answer.
pub(crate) fn from_transport(call: Call, error: TransportError) -> Error {
    let mapped = match (error.kind, call) {
        (HttpErrorKind::Connect, _) => {
            Error::new(ErrorKind::PlatformUnavailable, "could not connect to the Bot API; nothing was sent").temporary()
        }
        (HttpErrorKind::InvalidRequest, _) => {
            Error::new(ErrorKind::Configuration, "the Bot API request could not be built (check the API base URL)")
        }
        (_, Call::Query) => {
            Error::new(ErrorKind::PlatformUnavailable, "the Bot API did not answer in time; asking again is safe")
                .temporary()
        }
        (_, Call::Send) => Error::new(
            ErrorKind::DeliveryUnknown,
            "the Bot API did not answer the send: it may have been delivered, check before resending",
        )
        .persistent(),
    };
    mapped.with_source(error)
}

#[cfg(test)]
mod tests {
    use unibox_core::Retry;

    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        http::Response::builder().status(status).body(bytes::Bytes::from(body.to_owned())).unwrap()
    }

    fn send(status: u16, body: &str) -> Error {
        from_response(&answer(status, body))
    }

    #[test]
    fn the_table_maps_telegram_answers() {
        let flood = send(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 34","parameters":{"retry_after":34}}"#,
        );
        assert_eq!(flood.kind(), ErrorKind::RateLimited);
        assert_eq!(flood.retry(), Retry::Temporary { after: Some(Duration::from_secs(34)) });
        let blocked =
            send(403, r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#);
        assert_eq!(blocked.kind(), ErrorKind::RecipientUnavailable);
        assert!(!blocked.is_temporary());
        let kicked =
            send(403, r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}"#);
        assert_eq!(kicked.kind(), ErrorKind::RecipientUnavailable);
        assert_eq!(
            send(401, r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#).kind(),
            ErrorKind::TokenInvalid
        );
        assert_eq!(
            send(404, r#"{"ok":false,"error_code":404,"description":"Not Found"}"#).kind(),
            ErrorKind::TokenInvalid
        );
        let missing = send(400, r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#);
        assert_eq!(missing.kind(), ErrorKind::RecipientUnavailable);
        let empty = send(400, r#"{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}"#);
        assert_eq!((empty.kind(), empty.retry()), (ErrorKind::PlatformRejected, Retry::Permanent));
        assert!(send(502, "<html>Bad Gateway</html>").is_temporary());
    }

    #[test]
    fn a_migrated_group_names_the_supergroup() {
        let error = send(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}"#,
        );
        assert_eq!(error.kind(), ErrorKind::PlatformRejected);
        assert_eq!(TelegramApiError::of(&error).and_then(|t| t.migrate_to_chat_id), Some(-1001234567890));
        assert!(error.context().iter().any(|(k, v)| *k == "migrate_to_chat_id" && v == "-1001234567890"));
    }

    #[test]
    fn lost_answers_depend_on_the_call() {
        let timeout = || TransportError { kind: HttpErrorKind::Timeout, text: "timed out".into() };
        let send = from_transport(Call::Send, timeout());
        assert_eq!((send.kind(), send.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
        assert!(from_transport(Call::Query, timeout()).is_temporary());
        let refused =
            from_transport(Call::Send, TransportError { kind: HttpErrorKind::Connect, text: "refused".into() });
        assert_eq!(refused.kind(), ErrorKind::PlatformUnavailable);
        assert!(refused.is_temporary());
    }
}
