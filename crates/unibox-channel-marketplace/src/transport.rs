//! The rows of the Lazada and TikTok Shop error tables that do not depend on the platform:
//! requests that got no answer, and HTTP statuses whose body says nothing more.
//!
//! Neither platform deduplicates a send by an idempotency key, so a send that may have gone
//! through is `DeliveryUnknown` and not retried automatically ([`Retry::Persistent`]); a
//! request known not to have left is temporary.
//!
//! [`Retry::Persistent`]: unibox_core::Retry::Persistent

use std::time::Duration;

use unibox_core::http::{HttpError, HttpErrorKind};
use unibox_core::{Error, ErrorKind};

/// What kind of call failed: the same failure means different things for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Sending a message: not idempotent on either platform.
    Send,
    /// A call that is safe to repeat (token exchange and refresh, marking read, reads).
    Repeatable,
}

/// The error for a request to `platform` (`"Lazada"`) that got no answer.
///
/// ```
/// use unibox_channel_marketplace::transport::{Call, from_transport};
/// use unibox_core::ErrorKind;
/// use unibox_core::http::{HttpError, HttpErrorKind};
/// let timeout = from_transport("Lazada", Call::Send, HttpError::new(HttpErrorKind::Timeout, "timed out"));
/// assert_eq!(timeout.kind(), ErrorKind::DeliveryUnknown);
/// let refused = from_transport("Lazada", Call::Send, HttpError::new(HttpErrorKind::Connect, "refused"));
/// assert!(refused.is_temporary());
/// ```
pub fn from_transport(platform: &str, call: Call, error: HttpError) -> Error {
    let mapped = match (error.kind(), call) {
        (HttpErrorKind::Connect, _) => {
            Error::new(ErrorKind::PlatformUnavailable, format!("could not connect to {platform}; nothing was sent"))
                .temporary()
        }
        (HttpErrorKind::InvalidRequest, _) => Error::new(
            ErrorKind::Configuration,
            format!("the request to {platform} could not be built (check the API base URL)"),
        ),
        (_, Call::Repeatable) => Error::new(
            ErrorKind::PlatformUnavailable,
            format!("{platform} did not answer in time; asking again is safe"),
        )
        .temporary(),
        (_, Call::Send) => Error::new(
            ErrorKind::DeliveryUnknown,
            format!("{platform} did not answer the send in time: it may have been delivered, check before resending"),
        )
        .persistent(),
    };
    mapped.with_source(error)
}

/// The error for an HTTP status that the platform's body does not explain further
/// (an HTML error page from a gateway, an empty body): 429 throttled (temporary, waiting
/// `retry_after` when given), 502/503/504 unavailable (temporary), another 5xx on a send
/// `DeliveryUnknown` (it may have been processed), 401/403 `TokenInvalid`, anything else
/// `PlatformRejected`.
///
/// ```
/// use unibox_channel_marketplace::transport::{Call, from_status};
/// use unibox_core::ErrorKind;
/// assert!(from_status("TikTok Shop", Call::Send, 503, None).is_temporary());
/// assert_eq!(from_status("TikTok Shop", Call::Send, 429, None).kind(), ErrorKind::RateLimited);
/// assert_eq!(from_status("TikTok Shop", Call::Send, 500, None).kind(), ErrorKind::DeliveryUnknown);
/// ```
pub fn from_status(platform: &str, call: Call, status: u16, retry_after: Option<Duration>) -> Error {
    let error = match (status, call) {
        (429, _) => {
            let error =
                Error::new(ErrorKind::RateLimited, format!("{platform} is throttling this shop (HTTP 429)")).temporary();
            match retry_after {
                Some(delay) => error.with_retry_after(delay),
                None => error,
            }
        }
        (502..=504, _) | (500..=599, Call::Repeatable) => {
            Error::new(ErrorKind::PlatformUnavailable, format!("{platform} is unavailable (HTTP {status})")).temporary()
        }
        (500..=599, Call::Send) => Error::new(
            ErrorKind::DeliveryUnknown,
            format!("{platform} failed while sending (HTTP {status}): the message may have been delivered, check before resending"),
        )
        .persistent(),
        (401 | 403, _) => Error::new(
            ErrorKind::TokenInvalid,
            format!("{platform} refused the credentials (HTTP {status}): reauthorize the shop"),
        ),
        _ => Error::new(ErrorKind::PlatformRejected, format!("{platform} answered HTTP {status}")),
    };
    error.with_context("status", status)
}

/// The error for a success status whose body is not the platform's JSON.
///
/// ```
/// let error = unibox_channel_marketplace::transport::unreadable_answer("Lazada", unibox_channel_marketplace::transport::Call::Send);
/// assert_eq!(error.kind(), unibox_core::ErrorKind::DeliveryUnknown);
/// ```
pub fn unreadable_answer(platform: &str, call: Call) -> Error {
    match call {
        Call::Send => Error::new(
            ErrorKind::DeliveryUnknown,
            format!("{platform} answered the send with an unreadable body: check before resending"),
        )
        .persistent(),
        Call::Repeatable => {
            Error::new(ErrorKind::PlatformUnavailable, format!("{platform} answered with an unreadable body"))
                .temporary()
        }
    }
}
