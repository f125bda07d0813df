//! The error table: LINE's HTTP answers and transport failures, to unibox error kinds with
//! retry hints.
//!
//! LINE's errors carry no machine-readable code, only the status and a message
//! (`{"message": "...", "details": [{"message": "...", "property": "..."}]}`; token issuance
//! answers `{"error": "...", "error_description": "..."}`). No `Retry-After` is sent.
//!
//! The table is in the crate documentation (`docs.md`, "Errors").
//!
//! "Not retried automatically" is [`Retry::Persistent`](unibox_core::Retry::Persistent): a reply
//! carries no retry key, so after an ambiguous failure a person checks before anything is
//! resent, even though the channel declares `idempotent_send` for its pushes.

use std::fmt;

use serde::Deserialize;
use unibox_core::http::{HttpError, HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind};

use crate::api::{REQUEST_ID_HEADER, header};

/// Which call failed: the same answer means different things for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `POST /v2/bot/message/reply`: no retry key.
    Reply,
    /// `POST /v2/bot/message/push` with `X-Line-Retry-Key`.
    Push,
    /// A channel access token request.
    Token,
    /// `GET /v2/bot/message/{id}/content` on the content host: safe to repeat.
    Content,
    /// `GET /v2/bot/profile/{userId}` or a group summary: safe to repeat; `404` means LINE
    /// will not describe the user (blocked, not a friend).
    Profile,
}

/// An error answer of LINE's API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_line::LineApiError;
/// let error = LineApiError::from_body(400, br#"{"message":"Invalid reply token"}"#);
/// assert_eq!(error.message, "Invalid reply token");
/// assert!(error.is_invalid_reply_token());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineApiError {
    /// The HTTP status.
    pub status: u16,
    /// LINE's message (or the token API's `error_description` / `error`).
    pub message: String,
    /// The details, as `property: message`.
    pub details: Vec<String>,
    /// The `X-Line-Request-Id` of the failed request, for LINE's support.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Vec<Detail>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    property: Option<String>,
}

impl LineApiError {
    /// Reads LINE's error body; a body that is not LINE's JSON becomes its status text.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let (message, details) = match parsed {
            Some(body) => {
                let message =
                    body.message.or(body.error_description).or(body.error).unwrap_or_else(|| format!("HTTP {status}"));
                let details = body
                    .details
                    .into_iter()
                    .map(|d| match (d.property, d.message) {
                        (Some(property), Some(message)) => format!("{property}: {message}"),
                        (None, Some(text)) | (Some(text), None) => text,
                        (None, None) => String::new(),
                    })
                    .filter(|d| !d.is_empty())
                    .collect();
                (message, details)
            }
            None => (format!("HTTP {status}"), Vec::new()),
        };
        LineApiError { status, message, details, request_id: None }
    }

    /// The LINE answer behind a unibox error, if it came from LINE's API.
    pub fn of(error: &Error) -> Option<&LineApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<LineApiError>())
    }

    /// LINE's answer to a reply whose token is expired, used or unknown.
    pub fn is_invalid_reply_token(&self) -> bool {
        self.status == 400 && self.message.to_ascii_lowercase().contains("invalid reply token")
    }

    /// LINE's answer once the plan's monthly message quota is used up.
    pub fn is_monthly_limit(&self) -> bool {
        self.status == 429 && self.message.to_ascii_lowercase().contains("monthly limit")
    }

    fn of_response(response: &HttpResponse) -> Self {
        let mut error = Self::from_body(response.status().as_u16(), response.body());
        error.request_id = header(response, REQUEST_ID_HEADER).map(str::to_owned);
        error
    }
}

impl fmt::Display for LineApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LINE answered {}: {}", self.status, self.message)?;
        if !self.details.is_empty() {
            write!(f, " ({})", self.details.join("; "))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for LineApiError {}

/// The LINE error of a non-success answer.
pub(crate) fn api_error(response: &HttpResponse) -> LineApiError {
    LineApiError::of_response(response)
}

/// The unibox error for a non-success answer to `call`.
pub(crate) fn from_api_error(call: Call, error: LineApiError) -> Error {
    let status = error.status;
    let said = error.message.clone();
    let (kind, message) = match (status, call) {
        (400 | 401, Call::Token) => (
            ErrorKind::TokenInvalid,
            format!(
                "LINE refused to issue a channel access token ({said}): check the channel id, secret or assertion key"
            ),
        ),
        (400, _) => (ErrorKind::PlatformRejected, format!("LINE refused the message: {said}")),
        (401, _) => (
            ErrorKind::TokenInvalid,
            "LINE refused the channel access token (expired, revoked or wrong): issue a new one".to_owned(),
        ),
        (403, _) => (
            ErrorKind::PlatformRejected,
            format!("LINE does not allow this channel to call the API (plan or permission): {said}"),
        ),
        (404, Call::Token) => (ErrorKind::Configuration, format!("LINE has no such token endpoint: {said}")),
        (404, Call::Content) => (
            ErrorKind::NotFound,
            format!("LINE has no content for this message (expired, or not a media message): {said}"),
        ),
        (404, _) => (ErrorKind::RecipientUnavailable, format!("LINE does not know the recipient: {said}")),
        (409, _) => (ErrorKind::Conflict, format!("LINE reports a conflict: {said}")),
        (413, _) => (ErrorKind::InvalidInput, "the request is larger than LINE accepts (2 MB)".to_owned()),
        (429, _) if error.is_monthly_limit() => (
            ErrorKind::RateLimited,
            "the LINE plan's monthly message quota is used up: upgrade the plan or wait for next month".to_owned(),
        ),
        (429, _) => (ErrorKind::RateLimited, format!("LINE is throttling this channel: {said}")),
        (500..=599, Call::Reply) => (
            ErrorKind::DeliveryUnknown,
            format!("LINE failed while replying ({status}): the reply may have been delivered, check before resending"),
        ),
        (500..=599, _) => (ErrorKind::PlatformUnavailable, format!("LINE is unavailable ({status}): {said}")),
        _ => (ErrorKind::PlatformRejected, format!("LINE answered {status}: {said}")),
    };
    let mapped = Error::new(kind, message).with_context("status", status);
    let mapped = match (kind, call) {
        // A reply carries no retry key: never resend it automatically.
        (ErrorKind::DeliveryUnknown, Call::Reply) => mapped.persistent(),
        // The quota comes back next month, not after a backoff.
        (ErrorKind::RateLimited, _) if error.is_monthly_limit() => mapped.permanent(),
        (ErrorKind::RateLimited | ErrorKind::PlatformUnavailable, _) => mapped.temporary(),
        _ => mapped,
    };
    mapped.with_source(error)
}

/// The unibox error for a non-success answer to `call`.
pub(crate) fn from_response(call: Call, response: &HttpResponse) -> Error {
    honour_retry_after(from_api_error(call, api_error(response)), response)
}

/// LINE documents no `Retry-After`; should an answer carry one (seconds), a temporary error
/// waits at least that long.
pub(crate) fn honour_retry_after(error: Error, response: &HttpResponse) -> Error {
    let delay = header(response, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    match delay {
        Some(seconds) if error.is_temporary() => error.with_retry_after(std::time::Duration::from_secs(seconds)),
        _ => error,
    }
}

/// The unibox error for a request that got no answer.
pub(crate) fn from_transport(call: Call, error: HttpError) -> Error {
    let mapped = match (error.kind(), call) {
        (HttpErrorKind::Connect, _) => {
            Error::new(ErrorKind::PlatformUnavailable, "could not connect to LINE; nothing was sent").temporary()
        }
        (HttpErrorKind::InvalidRequest, _) => {
            Error::new(ErrorKind::Configuration, "the request to LINE could not be built (check the API base URL)")
        }
        (_, Call::Token | Call::Content | Call::Profile) => {
            Error::new(ErrorKind::PlatformUnavailable, "LINE did not answer in time; asking again is safe").temporary()
        }
        (_, Call::Reply) => Error::new(
            ErrorKind::DeliveryUnknown,
            "LINE did not answer the reply in time: it may have been delivered, check before resending",
        )
        .persistent(),
        (_, _) => Error::new(
            ErrorKind::DeliveryUnknown,
            "LINE did not answer the push in time; resending with the same X-Line-Retry-Key is safe",
        ),
    };
    mapped.with_source(error)
}

#[cfg(test)]
mod tests {
    use unibox_core::Retry;

    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .header("x-line-request-id", "8b6b4e1c-2f0e-4b8a-9c4e-2d7f1a3b5c6d")
            .body(bytes::Bytes::from(body.to_owned()))
            .unwrap()
    }

    #[test]
    fn the_table_maps_statuses_per_call() {
        let push = |status, body: &str| from_response(Call::Push, &answer(status, body));
        let reply = |status, body: &str| from_response(Call::Reply, &answer(status, body));
        assert_eq!(push(401, r#"{"message":"Authentication failed"}"#).kind(), ErrorKind::TokenInvalid);
        let throttled = push(429, r#"{"message":"Too Many Requests"}"#);
        assert_eq!(throttled.kind(), ErrorKind::RateLimited);
        assert_eq!(throttled.retry(), Retry::Temporary { after: None });
        let quota = push(429, r#"{"message":"You have reached your monthly limit."}"#);
        assert_eq!(quota.kind(), ErrorKind::RateLimited);
        assert!(!quota.is_temporary());
        assert!(push(500, r#"{"message":"Internal error"}"#).is_temporary());
        let ambiguous = reply(500, r#"{"message":"Internal error"}"#);
        assert_eq!(ambiguous.kind(), ErrorKind::DeliveryUnknown);
        assert_eq!(ambiguous.retry(), Retry::Persistent);
        assert_eq!(push(413, "").kind(), ErrorKind::InvalidInput);
        let token = from_response(Call::Token, &answer(400, r#"{"error":"invalid_client","error_description":"bad"}"#));
        assert_eq!(token.kind(), ErrorKind::TokenInvalid);
    }

    #[test]
    fn a_retry_after_header_is_honoured_if_line_ever_sends_one() {
        let mut throttled = answer(429, r#"{"message":"Too Many Requests"}"#);
        throttled.headers_mut().insert("retry-after", http::HeaderValue::from_static("7"));
        let error = from_response(Call::Push, &throttled);
        assert_eq!(error.retry(), Retry::Temporary { after: Some(std::time::Duration::from_secs(7)) });
        let mut refused = answer(401, r#"{"message":"Authentication failed"}"#);
        refused.headers_mut().insert("retry-after", http::HeaderValue::from_static("7"));
        assert_eq!(from_response(Call::Push, &refused).retry(), Retry::Permanent);
    }

    #[test]
    fn the_line_error_is_kept_as_the_source() {
        let error = from_response(
            Call::Push,
            &answer(
                400,
                r#"{"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]}"#,
            ),
        );
        let line = LineApiError::of(&error).expect("the LINE error");
        assert_eq!(line.details, vec!["messages[0].text: May not be empty".to_owned()]);
        assert_eq!(line.request_id.as_deref(), Some("8b6b4e1c-2f0e-4b8a-9c4e-2d7f1a3b5c6d"));
        assert!(error.to_string().contains("May not be empty"));
    }

    #[test]
    fn transport_failures_depend_on_the_call() {
        let timeout = || HttpError::new(HttpErrorKind::Timeout, "timed out");
        assert_eq!(from_transport(Call::Reply, timeout()).retry(), Retry::Persistent);
        let push = from_transport(Call::Push, timeout());
        assert_eq!(push.kind(), ErrorKind::DeliveryUnknown);
        assert_ne!(push.retry(), Retry::Persistent);
        let refused = from_transport(Call::Push, HttpError::new(HttpErrorKind::Connect, "refused"));
        assert_eq!(refused.kind(), ErrorKind::PlatformUnavailable);
        assert!(refused.is_temporary());
    }
}
