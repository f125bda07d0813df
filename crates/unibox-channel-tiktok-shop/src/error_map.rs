//! The error table: every answer TikTok Shop's API can give, to unibox error kinds with retry
//! hints.
//!
//! TikTok Shop answers `{"code": 0, "message": "Success", "request_id": "…", "data": {…}}`;
//! any other `code` is an error, often with a matching HTTP status (401 for a bad signature,
//! 429 when throttled).
//!
//! | answer | send | repeatable call (token, shops, mark read) |
//! |---|---|---|
//! | `code` 0 | the data | the data |
//! | 105002 (expired credentials), 36009004 (invalid token) | `TokenInvalid` | `TokenInvalid` |
//! | 36009002 (too many requests) or HTTP 429 | `RateLimited`, temporary | same |
//! | 45101004 (the daily send quota of 10,000) | `RateLimited`, not retried automatically (the quota returns the next day) | — |
//! | 45111012 (coupon cards over 0.5 QPS) | `RateLimited`, temporary, 2 s | — |
//! | 45109001 (a conversation rule blocks sending) | `MessagingWindowClosed` | — |
//! | 45102007 (no permission for the conversation) | `RecipientUnavailable` | — |
//! | 45101006 (sensitive content) | `PlatformRejected` | — |
//! | 106001 (invalid sign), 106013 (no `shop_cipher`), 36009033 (IP not allowed), 36009009 (invalid path) | `Configuration` | same |
//! | 105005 (scope missing), 10006402 (permission denied) | `PermissionDenied` | same |
//! | 36009007 (timeout) | `DeliveryUnknown`, not retried automatically | `PlatformUnavailable`, temporary |
//! | any other code | `PlatformRejected` | same |
//! | HTTP 5xx, bodies that are not TikTok Shop's JSON | as `unibox_channel_marketplace::transport::from_status` | same |
//! | no connection / timeout | `PlatformUnavailable` temporary / `DeliveryUnknown` | `PlatformUnavailable`, temporary |

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::http::HttpResponse;
use unibox_core::{Error, ErrorKind};

const PLATFORM: &str = "TikTok Shop";

/// An error answer of TikTok Shop's API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_tiktok_shop::TikTokShopApiError;
/// let error = TikTokShopApiError::from_body(br#"{"code":36009002,"message":"Too many requests","request_id":"2024111907065001","data":null}"#).unwrap();
/// assert_eq!(error.code, 36009002);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TikTokShopApiError {
    /// TikTok Shop's code.
    pub code: i64,
    /// Its message.
    pub message: String,
    /// The request id, for TikTok Shop's support.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

impl TikTokShopApiError {
    /// TikTok Shop's error in `body`; `None` for a success or a body that is not its JSON.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let envelope: Envelope<'_> = serde_json::from_slice(body).ok()?;
        let code = envelope.code.filter(|c| *c != 0)?;
        Some(TikTokShopApiError {
            code,
            message: envelope.message.unwrap_or_default(),
            request_id: envelope.request_id,
        })
    }

    /// The TikTok Shop answer behind a unibox error, if it came from the API.
    pub fn of(error: &Error) -> Option<&TikTokShopApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<TikTokShopApiError>())
    }
}

impl fmt::Display for TikTokShopApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TikTok Shop answered {}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for TikTokShopApiError {}

fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The data of a successful answer to `call`, or the error the table gives.
pub(crate) fn data_of(call: Call, response: &HttpResponse) -> Result<serde_json::Value, Error> {
    let status = response.status().as_u16();
    let envelope: Option<Envelope<'_>> = serde_json::from_slice(response.body()).ok();
    match envelope.and_then(|e| Some((e.code?, e))) {
        Some((0, envelope)) if response.status().is_success() => {
            Ok(envelope.data.and_then(|d| serde_json::from_str(d.get()).ok()).unwrap_or(serde_json::Value::Null))
        }
        Some((code, envelope)) if code != 0 => {
            let error = TikTokShopApiError {
                code,
                message: envelope.message.unwrap_or_default(),
                request_id: envelope.request_id,
            };
            Err(from_api_error(call, error, status, retry_after(response)))
        }
        _ if response.status().is_success() => Err(transport::unreadable_answer(PLATFORM, call)),
        _ => Err(transport::from_status(PLATFORM, call, status, retry_after(response))),
    }
}

/// The unibox error for TikTok Shop's error answer to `call`.
pub(crate) fn from_api_error(call: Call, error: TikTokShopApiError, status: u16, delay: Option<Duration>) -> Error {
    let said = format!("{} {}", error.code, error.message);
    let mapped = match error.code {
        105002 | 36009004 => Error::new(
            ErrorKind::TokenInvalid,
            format!("TikTok Shop refused the access token ({said}): refresh it, or have the seller authorize again"),
        ),
        36009002 => {
            let error =
                Error::new(ErrorKind::RateLimited, format!("TikTok Shop is throttling this shop: {said}")).temporary();
            match delay {
                Some(delay) => error.with_retry_after(delay),
                None => error,
            }
        }
        45101004 => Error::new(
            ErrorKind::RateLimited,
            "the shop's daily quota of 10,000 Customer Service messages is used up; it returns tomorrow",
        )
        .persistent(),
        45111012 => Error::new(ErrorKind::RateLimited, format!("coupon cards are limited to one every 2 s: {said}"))
            .temporary()
            .with_retry_after(Duration::from_secs(2)),
        45109001 => Error::new(
            ErrorKind::MessagingWindowClosed,
            format!("TikTok Shop's conversation rules do not allow sending now (closed, or older than 7 days): {said}"),
        ),
        45102007 => Error::new(
            ErrorKind::RecipientUnavailable,
            format!("the shop has no permission for this conversation: {said}"),
        ),
        106001 | 106013 | 36009033 | 36009009 => Error::new(
            ErrorKind::Configuration,
            format!(
                "TikTok Shop refused the app's call ({said}): check the app secret, the shop_cipher, the allowed IPs and the API host"
            ),
        ),
        105005 | 10006402 => Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "the app lacks the permission (scope) for this call; the Customer Service API needs approval: {said}"
            ),
        ),
        36009007 => match call {
            Call::Send => Error::new(
                ErrorKind::DeliveryUnknown,
                "TikTok Shop timed out while sending: the message may have been delivered, check before resending",
            )
            .persistent(),
            Call::Repeatable => {
                Error::new(ErrorKind::PlatformUnavailable, format!("TikTok Shop timed out: {said}")).temporary()
            }
        },
        _ if status == 429 => {
            let error =
                Error::new(ErrorKind::RateLimited, format!("TikTok Shop is throttling this shop: {said}")).temporary();
            match delay {
                Some(delay) => error.with_retry_after(delay),
                None => error,
            }
        }
        _ if status >= 500 => transport::from_status(PLATFORM, call, status, delay),
        _ => Error::new(ErrorKind::PlatformRejected, format!("TikTok Shop refused the request: {said}")),
    };
    mapped.with_context("code", error.code).with_source(error)
}

#[cfg(test)]
mod tests {
    use unibox_core::Retry;

    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        http::Response::builder().status(status).body(bytes::Bytes::from(body.to_owned())).unwrap()
    }

    fn error(call: Call, status: u16, code: i64) -> Error {
        let body = format!(r#"{{"code":{code},"message":"m","request_id":"2024111907065001","data":null}}"#);
        data_of(call, &answer(status, &body)).unwrap_err()
    }

    #[test]
    fn every_row_of_the_table() {
        assert_eq!(error(Call::Send, 401, 105002).kind(), ErrorKind::TokenInvalid);
        assert_eq!(error(Call::Send, 200, 36009004).kind(), ErrorKind::TokenInvalid);
        let throttled = error(Call::Send, 429, 36009002);
        assert_eq!((throttled.kind(), throttled.is_temporary()), (ErrorKind::RateLimited, true));
        let quota = error(Call::Send, 200, 45101004);
        assert_eq!((quota.kind(), quota.retry()), (ErrorKind::RateLimited, Retry::Persistent));
        assert_eq!(error(Call::Send, 200, 45109001).kind(), ErrorKind::MessagingWindowClosed);
        assert_eq!(error(Call::Send, 200, 45102007).kind(), ErrorKind::RecipientUnavailable);
        assert_eq!(error(Call::Send, 401, 106001).kind(), ErrorKind::Configuration);
        assert_eq!(error(Call::Send, 200, 106013).kind(), ErrorKind::Configuration);
        assert_eq!(error(Call::Send, 200, 105005).kind(), ErrorKind::PermissionDenied);
        assert_eq!(error(Call::Send, 200, 36009007).kind(), ErrorKind::DeliveryUnknown);
        assert!(error(Call::Repeatable, 200, 36009007).is_temporary());
        assert_eq!(error(Call::Send, 200, 45101006).kind(), ErrorKind::PlatformRejected);
        assert_eq!(error(Call::Send, 429, 99999).kind(), ErrorKind::RateLimited);
        assert!(error(Call::Send, 503, 99999).is_temporary());
        assert_eq!(TikTokShopApiError::of(&error(Call::Send, 200, 45101006)).unwrap().code, 45101006);
    }

    #[test]
    fn bodies_that_are_not_the_envelope_use_the_shared_rows() {
        assert!(data_of(Call::Send, &answer(503, "busy")).unwrap_err().is_temporary());
        assert_eq!(data_of(Call::Send, &answer(200, "<html>")).unwrap_err().kind(), ErrorKind::DeliveryUnknown);
        let data = data_of(
            Call::Send,
            &answer(200, r#"{"code":0,"message":"Success","data":{"message_id":"7494560109732334261"}}"#),
        )
        .unwrap();
        assert_eq!(data["message_id"], "7494560109732334261");
    }
}
