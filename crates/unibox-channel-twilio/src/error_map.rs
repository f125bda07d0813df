//! The error table: Twilio's error codes, HTTP answers and transport failures, to unibox error
//! kinds with retry hints. The same code table describes a failed message in a status callback
//! (`ErrorCode`) and a refused request (`{"code": ..., "message": ..., "more_info": ...,
//! "status": ...}`).
//!
//! Twilio's Messages resource has no idempotency key, so an answer that may have come after
//! Twilio created the message (a timeout, a broken connection, a 500, 502 or 504) is
//! `DeliveryUnknown` and [`Retry::Persistent`](unibox_core::Retry::Persistent): never resent
//! automatically. Only answers Twilio documents as "not processed" (429 / 20429, 503) and a
//! connection that never opened are retried.
//!
//! The table is in the crate documentation (`docs.md`, "Errors").

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use unibox_core::http::{HttpError, HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind};

/// The kind of a Twilio error code, for the codes whose meaning is known; other codes fall back
/// on the HTTP status (for a request) or are `PlatformRejected` (in a status callback).
///
/// ```
/// use unibox_channel_twilio::error_kind_of_code;
/// use unibox_core::ErrorKind;
/// assert_eq!(error_kind_of_code(63016), Some(ErrorKind::MessagingWindowClosed));
/// assert_eq!(error_kind_of_code(21211), Some(ErrorKind::RecipientUnavailable));
/// assert_eq!(error_kind_of_code(20003), Some(ErrorKind::TokenInvalid));
/// assert_eq!(error_kind_of_code(99999), None);
/// ```
pub fn error_kind_of_code(code: u32) -> Option<ErrorKind> {
    Some(match code {
        // Authenticate: the Auth Token or API key was refused.
        20003 => ErrorKind::TokenInvalid,
        // Too many concurrent requests; message queue full; channel or account rate limits.
        20429 | 14107 | 30001 | 63017 | 63018 => ErrorKind::RateLimited,
        // Outside WhatsApp's (or Messenger's) 24-hour window: send a template.
        63016 => ErrorKind::MessagingWindowClosed,
        // Invalid 'To' number; not a mobile number; unsubscribed (STOP); cannot route to it;
        // unreachable, unknown or landline handset; blocked; no WhatsApp user at that address.
        21211 | 21214 | 21217 | 21401 | 21610 | 21612 | 21614 | 30003 | 30004 | 30005 | 30006 | 63003 | 63024 => {
            ErrorKind::RecipientUnavailable
        }
        // The sender is not this account's, not messaging-capable, or lacks the region's permission.
        20404 | 21212 | 21408 | 21606 | 21659 | 21660 | 63007 => ErrorKind::Configuration,
        // The request itself: no body or media, body over 1,600 characters, bad media URL,
        // bad content variables.
        21602 | 21617 | 21619 | 21620 | 21656 | 63021 => ErrorKind::InvalidInput,
        // Unknown error at the carrier: may pass.
        30008 => ErrorKind::PlatformUnavailable,
        // Account suspended or inactive, carrier filtering, unregistered 10DLC, price over the
        // maximum, WhatsApp policy.
        20005 | 30002 | 30007 | 30010 | 30034 | 63013 => ErrorKind::PlatformRejected,
        _ => return None,
    })
}

/// An error answer of Twilio's REST API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_twilio::TwilioApiError;
/// let error = TwilioApiError::from_body(400, br#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#);
/// assert_eq!(error.code, Some(21211));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwilioApiError {
    /// The HTTP status.
    pub status: u16,
    /// Twilio's error code, when the body names one.
    pub code: Option<u32>,
    /// Twilio's message (shortened), or the status.
    pub message: String,
    /// The documentation page of the code.
    pub more_info: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    more_info: Option<String>,
}

/// Twilio's messages quote the request (the numbers); keep them short in errors and logs.
const MAX_MESSAGE_CHARS: usize = 200;

impl TwilioApiError {
    /// Reads Twilio's error body; a body that is not Twilio's JSON becomes its status text.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let (code, message, more_info) = match parsed {
            Some(body) => (body.code, body.message, body.more_info),
            None => (None, None, None),
        };
        let message =
            message.map(|m| m.chars().take(MAX_MESSAGE_CHARS).collect()).unwrap_or_else(|| format!("HTTP {status}"));
        TwilioApiError { status, code, message, more_info }
    }

    /// The Twilio answer behind a unibox error, if it came from Twilio's API.
    pub fn of(error: &Error) -> Option<&TwilioApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<TwilioApiError>())
    }
}

impl fmt::Display for TwilioApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "Twilio answered {} with error {code}: {}", self.status, self.message),
            None => write!(f, "Twilio answered {}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for TwilioApiError {}

/// Which call failed: a GET is safe to repeat, creating a message is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.
    Send,
    /// `GET` of a media URL.
    Media,
}

fn what(call: Call) -> &'static str {
    match call {
        Call::Send => "Twilio refused the message",
        Call::Media => "Twilio refused the media download",
    }
}

/// The unibox error for a non-success answer to `call`.
pub(crate) fn from_response(call: Call, response: &HttpResponse) -> Error {
    let status = response.status().as_u16();
    let twilio = TwilioApiError::from_body(status, response.body());
    let said = &twilio.message;
    let by_code = twilio.code.and_then(error_kind_of_code);
    let kind = match (by_code, status) {
        // Media Twilio no longer keeps (deleted, or expired from the media store).
        (_, 404) if call == Call::Media => ErrorKind::NotFound,
        (Some(kind), _) => kind,
        (None, 401) => ErrorKind::TokenInvalid,
        (None, 404) => ErrorKind::Configuration,
        (None, 429) => ErrorKind::RateLimited,
        (None, 503) => ErrorKind::PlatformUnavailable,
        (None, 500..=599) if call == Call::Media => ErrorKind::PlatformUnavailable,
        // Twilio may have created the message before failing: no idempotency key to resend with.
        (None, 500..=599) => ErrorKind::DeliveryUnknown,
        (None, _) => ErrorKind::PlatformRejected,
    };
    let message = match kind {
        ErrorKind::TokenInvalid => {
            format!("Twilio refused the credentials (Auth Token or API key): store valid ones for this number ({said})")
        }
        ErrorKind::RateLimited => format!("Twilio is throttling this account: {said}"),
        ErrorKind::MessagingWindowClosed => format!(
            "the WhatsApp 24-hour window is closed: send an approved Content Template (ContentSid) instead ({said})"
        ),
        ErrorKind::RecipientUnavailable => format!("Twilio cannot deliver to this recipient: {said}"),
        ErrorKind::Configuration => format!("check the Account SID, the sender and its permissions: {said}"),
        ErrorKind::DeliveryUnknown => format!(
            "Twilio failed ({status}) after receiving the message: it may have been sent, check the Messages log \
             before resending"
        ),
        ErrorKind::PlatformUnavailable => format!("Twilio is unavailable ({status}): {said}"),
        _ => format!("{}: {said}", what(call)),
    };
    let mut error = Error::new(kind, message).with_context("status", status);
    if let Some(code) = twilio.code {
        error = error.with_context("twilio_code", code);
    }
    error = match kind {
        ErrorKind::DeliveryUnknown => error.persistent(),
        ErrorKind::RateLimited | ErrorKind::PlatformUnavailable => {
            let error = error.temporary();
            match retry_after(response) {
                Some(delay) => error.with_retry_after(delay),
                None => error,
            }
        }
        _ => error,
    };
    error.with_source(twilio)
}

/// `Retry-After` in seconds.
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The unibox error for a request that got no answer.
pub(crate) fn from_transport(call: Call, error: HttpError) -> Error {
    let mapped = match (error.kind(), call) {
        (HttpErrorKind::Connect, _) => {
            Error::new(ErrorKind::PlatformUnavailable, "could not connect to Twilio; nothing was sent").temporary()
        }
        (HttpErrorKind::InvalidRequest, _) => {
            Error::new(ErrorKind::Configuration, "the request to Twilio could not be built (check the API base URL)")
        }
        (_, Call::Media) => {
            Error::new(ErrorKind::PlatformUnavailable, "Twilio did not answer the media download; asking again is safe")
                .temporary()
        }
        (_, Call::Send) => Error::new(
            ErrorKind::DeliveryUnknown,
            "Twilio did not answer after the message was sent: it may have been created, check the Messages log \
             before resending (Twilio has no idempotency key)",
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

    fn twilio(status: u16, code: u32) -> Error {
        let body = format!(
            r#"{{"code": {code}, "message": "m", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
        );
        from_response(Call::Send, &answer(status, &body))
    }

    #[test]
    fn codes_win_over_statuses() {
        assert_eq!(twilio(400, 63016).kind(), ErrorKind::MessagingWindowClosed);
        assert_eq!(twilio(400, 21211).kind(), ErrorKind::RecipientUnavailable);
        assert_eq!(twilio(401, 20003).kind(), ErrorKind::TokenInvalid);
        assert_eq!(twilio(400, 21617).kind(), ErrorKind::InvalidInput);
        assert_eq!(twilio(400, 21606).kind(), ErrorKind::Configuration);
        assert_eq!(twilio(400, 12345).kind(), ErrorKind::PlatformRejected);
        let throttled = twilio(429, 20429);
        assert_eq!(throttled.retry(), Retry::Temporary { after: None });
    }

    #[test]
    fn ambiguous_server_errors_are_unknown_and_never_retried() {
        for status in [500, 502, 504] {
            let error = from_response(Call::Send, &answer(status, ""));
            assert_eq!((error.kind(), error.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent), "{status}");
        }
        let unavailable = from_response(Call::Send, &answer(503, ""));
        assert_eq!(unavailable.kind(), ErrorKind::PlatformUnavailable);
        assert!(unavailable.is_temporary());
        assert!(from_response(Call::Media, &answer(500, "")).is_temporary());
    }

    #[test]
    fn transport_failures_depend_on_whether_anything_was_sent() {
        let timeout = from_transport(Call::Send, HttpError::new(HttpErrorKind::Timeout, "timed out"));
        assert_eq!((timeout.kind(), timeout.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
        let refused = from_transport(Call::Send, HttpError::new(HttpErrorKind::Connect, "refused"));
        assert_eq!(refused.kind(), ErrorKind::PlatformUnavailable);
        assert!(refused.is_temporary());
        assert!(from_transport(Call::Media, HttpError::new(HttpErrorKind::Timeout, "t")).is_temporary());
    }

    #[test]
    fn long_messages_are_shortened() {
        let long = format!(r#"{{"code": 21211, "message": "{}"}}"#, "x".repeat(1000));
        assert_eq!(TwilioApiError::from_body(400, long.as_bytes()).message.len(), MAX_MESSAGE_CHARS);
    }
}
