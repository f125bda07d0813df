//! The error table: every answer Lazada's API can give, to unibox error kinds with retry hints.
//!
//! Lazada answers most errors with HTTP 200 and a body
//! `{"type": "ISV" | "ISP" | "SYSTEM", "code": "IllegalAccessToken", "message": "…", "request_id": "…"}`;
//! success is `{"code": "0", "data": {…}, "request_id": "…"}`. The IM API can also answer
//! `"code": "0"` with `"success": false` and its own `err_code` / `err_message`.
//!
//! | answer | send | repeatable call (token, mark read) |
//! |---|---|---|
//! | `code` `0` (and `success` not false) | the data | the data |
//! | `IllegalAccessToken`, `MissingAccessToken`, `AccessDenied`-style token codes | `TokenInvalid` | `TokenInvalid` |
//! | `IllegalRefreshToken` | — | `TokenInvalid` (the seller must authorize again) |
//! | `InvalidCode` | — | `InvalidInput` (a used or expired authorization code) |
//! | `AUTH_TYPE_UNSUPPORTED` | — | `Unsupported` (a Service Market app: no refresh) |
//! | `ApiCallLimit`, `AppCallLimit` | `RateLimited`, temporary, waiting the ban Lazada states (1 s) | same |
//! | `IncompleteSignature`, `InvalidSignature`, `InvalidAppKey`, `AppKeyNotExist`, `InvalidApiPath` | `Configuration` | same |
//! | `MissingParameter`, `InvalidParameter`, `E0xx` | `InvalidInput` | same |
//! | `ServiceTimeout` | `DeliveryUnknown`, not retried automatically | `PlatformUnavailable`, temporary |
//! | `success: false` with `err_code` | `PlatformRejected` with Lazada's message | same |
//! | any other code | `PlatformRejected` | same |
//! | HTTP 429 / 5xx / other non-2xx | as `unibox_channel_marketplace::transport::from_status` | same |
//! | no connection / timeout | `PlatformUnavailable` temporary / `DeliveryUnknown` | `PlatformUnavailable`, temporary |

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::http::HttpResponse;
use unibox_core::{Error, ErrorKind};

const PLATFORM: &str = "Lazada";

/// An error answer of Lazada's API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_lazada::LazadaApiError;
/// let error = LazadaApiError::from_body(br#"{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired","request_id":"0ba2887315178178017221014"}"#).unwrap();
/// assert_eq!(error.code, "IllegalAccessToken");
/// assert_eq!(error.request_id.as_deref(), Some("0ba2887315178178017221014"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LazadaApiError {
    /// Lazada's code (`IllegalAccessToken`), or the IM API's `err_code`.
    pub code: String,
    /// `ISV` (the caller's error), `ISP` (the service's) or `SYSTEM`, when given.
    pub category: Option<String>,
    /// Lazada's message.
    pub message: String,
    /// The request id, for Lazada's support.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    code: Id,
    #[serde(default, rename = "type")]
    category: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    err_code: Id,
    #[serde(default)]
    err_message: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

impl LazadaApiError {
    /// Lazada's error in `body`; `None` when the body is a success or not Lazada's JSON.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let envelope: Envelope<'_> = serde_json::from_slice(body).ok()?;
        match outcome(envelope) {
            Outcome::Failed(error) => Some(error),
            Outcome::Succeeded(_) | Outcome::Unreadable => None,
        }
    }

    /// The Lazada answer behind a unibox error, if it came from Lazada's API.
    pub fn of(error: &Error) -> Option<&LazadaApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<LazadaApiError>())
    }

    /// How long Lazada says an `ApiCallLimit` ban lasts ("this ban will last 1 seconds").
    fn ban(&self) -> Duration {
        let seconds = self
            .message
            .split("last")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1);
        Duration::from_secs(seconds.clamp(1, 3600))
    }
}

impl fmt::Display for LazadaApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lazada answered {}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for LazadaApiError {}

enum Outcome<'a> {
    Succeeded(Option<&'a RawValue>),
    Failed(LazadaApiError),
    Unreadable,
}

fn outcome(envelope: Envelope<'_>) -> Outcome<'_> {
    let Some(code) = envelope.code.0 else { return Outcome::Unreadable };
    if code != "0" {
        return Outcome::Failed(LazadaApiError {
            code,
            category: envelope.category,
            message: envelope.message.unwrap_or_default(),
            request_id: envelope.request_id,
        });
    }
    if envelope.success == Some(false) {
        return Outcome::Failed(LazadaApiError {
            code: envelope.err_code.0.unwrap_or_else(|| "IM_FAILED".to_owned()),
            category: None,
            message: envelope.err_message.or(envelope.message).unwrap_or_default(),
            request_id: envelope.request_id,
        });
    }
    Outcome::Succeeded(envelope.data)
}

/// The data of a successful answer to `call`, or the error the table gives.
pub(crate) fn data_of(call: Call, response: &HttpResponse) -> Result<serde_json::Value, Error> {
    let status = response.status().as_u16();
    let envelope: Option<Envelope<'_>> = serde_json::from_slice(response.body()).ok();
    let Some(envelope) = envelope else {
        return Err(if response.status().is_success() {
            transport::unreadable_answer(PLATFORM, call)
        } else {
            transport::from_status(PLATFORM, call, status, None)
        });
    };
    match outcome(envelope) {
        Outcome::Succeeded(_) if !response.status().is_success() => {
            Err(transport::from_status(PLATFORM, call, status, None))
        }
        // The token API answers its fields at the top level, beside `code`.
        Outcome::Succeeded(data) => data
            .map_or_else(|| serde_json::from_slice(response.body()), |d| serde_json::from_str(d.get()))
            .map_err(|_| transport::unreadable_answer(PLATFORM, call)),
        Outcome::Failed(error) => Err(from_api_error(call, error)),
        Outcome::Unreadable if response.status().is_success() => Err(transport::unreadable_answer(PLATFORM, call)),
        Outcome::Unreadable => Err(transport::from_status(PLATFORM, call, status, None)),
    }
}

/// The unibox error for Lazada's error answer to `call`.
pub(crate) fn from_api_error(call: Call, error: LazadaApiError) -> Error {
    let said = format!("{}: {}", error.code, error.message);
    let code = error.code.as_str();
    let mapped = match code {
        "IllegalAccessToken" | "MissingAccessToken" | "InvalidAccessToken" | "AccessTokenExpired" => Error::new(
            ErrorKind::TokenInvalid,
            format!("Lazada refused the access token ({said}): refresh it, or have the seller authorize again"),
        ),
        "IllegalRefreshToken" => Error::new(
            ErrorKind::TokenInvalid,
            "Lazada refused the refresh token (invalid or expired): the seller must authorize the app again",
        ),
        "InvalidCode" => Error::new(
            ErrorKind::InvalidInput,
            "Lazada refused the authorization code (used, or older than 30 minutes): ask the seller to authorize again",
        ),
        "AUTH_TYPE_UNSUPPORTED" => Error::new(
            ErrorKind::Unsupported,
            "this app's authorization comes with a Service Market subscription and cannot be refreshed",
        ),
        "ApiCallLimit" | "AppCallLimit" => {
            let ban = error.ban();
            Error::new(ErrorKind::RateLimited, format!("Lazada banned calls for {}s: {said}", ban.as_secs()))
                .temporary()
                .with_retry_after(ban)
        }
        "IncompleteSignature" | "InvalidSignature" | "InvalidAppKey" | "AppKeyNotExist" | "InvalidApiPath" => {
            Error::new(
                ErrorKind::Configuration,
                format!("Lazada refused the app's call ({said}): check the app key, the app secret and the API host"),
            )
        }
        "MissingParameter" | "InvalidParameter" => {
            Error::new(ErrorKind::InvalidInput, format!("Lazada refused the request's parameters: {said}"))
        }
        "ServiceTimeout" => match call {
            Call::Send => Error::new(
                ErrorKind::DeliveryUnknown,
                "Lazada timed out while sending: the message may have been delivered, check before resending",
            )
            .persistent(),
            Call::Repeatable => {
                Error::new(ErrorKind::PlatformUnavailable, format!("Lazada timed out: {said}")).temporary()
            }
        },
        code if code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit()) && code.len() > 1 => {
            Error::new(ErrorKind::InvalidInput, format!("Lazada refused the request: {said}"))
        }
        _ => Error::new(ErrorKind::PlatformRejected, format!("Lazada refused the request: {said}")),
    };
    mapped.with_context("code", code.to_owned()).with_source(error)
}

#[cfg(test)]
mod tests {
    use unibox_core::Retry;

    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        http::Response::builder().status(status).body(bytes::Bytes::from(body.to_owned())).unwrap()
    }

    fn error(call: Call, body: &str) -> Error {
        data_of(call, &answer(200, body)).unwrap_err()
    }

    #[test]
    fn every_row_of_the_table() {
        let token = error(
            Call::Send,
            r#"{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired","request_id":"0ba2887315178178017221014"}"#,
        );
        assert_eq!(token.kind(), ErrorKind::TokenInvalid);
        assert_eq!(LazadaApiError::of(&token).unwrap().request_id.as_deref(), Some("0ba2887315178178017221014"));
        let banned = error(
            Call::Send,
            r#"{"type":"ISP","code":"ApiCallLimit","message":"Api access frequency exceeds the limit. this ban will last 1 seconds","request_id":"1"}"#,
        );
        assert_eq!(banned.kind(), ErrorKind::RateLimited);
        assert_eq!(banned.retry(), Retry::Temporary { after: Some(Duration::from_secs(1)) });
        assert_eq!(
            error(Call::Repeatable, r#"{"code":"IllegalRefreshToken","message":"invalid"}"#).kind(),
            ErrorKind::TokenInvalid
        );
        assert_eq!(
            error(Call::Repeatable, r#"{"code":"InvalidCode","message":"invalid"}"#).kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            error(Call::Repeatable, r#"{"code":"AUTH_TYPE_UNSUPPORTED","message":"x"}"#).kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            error(Call::Send, r#"{"code":"IncompleteSignature","message":"sign"}"#).kind(),
            ErrorKind::Configuration
        );
        assert_eq!(
            error(Call::Send, r#"{"code":"MissingParameter","message":"session_id"}"#).kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(error(Call::Send, r#"{"code":"E020","message":"order"}"#).kind(), ErrorKind::InvalidInput);
        let timeout = error(Call::Send, r#"{"type":"SYSTEM","code":"ServiceTimeout","message":"timeout"}"#);
        assert_eq!((timeout.kind(), timeout.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
        assert!(error(Call::Repeatable, r#"{"code":"ServiceTimeout","message":"timeout"}"#).is_temporary());
        let im = error(Call::Send, r#"{"code":"0","success":false,"err_code":"5","err_message":"session closed"}"#);
        assert_eq!(im.kind(), ErrorKind::PlatformRejected);
        assert!(im.to_string().contains("session closed"));
        assert_eq!(error(Call::Send, r#"{"code":"SomethingNew","message":"?"}"#).kind(), ErrorKind::PlatformRejected);
    }

    #[test]
    fn statuses_without_lazada_json_use_the_shared_rows() {
        assert!(data_of(Call::Send, &answer(503, "<html>busy</html>")).unwrap_err().is_temporary());
        assert_eq!(data_of(Call::Send, &answer(429, "")).unwrap_err().kind(), ErrorKind::RateLimited);
        assert_eq!(data_of(Call::Send, &answer(200, "not json")).unwrap_err().kind(), ErrorKind::DeliveryUnknown);
        let data = data_of(
            Call::Send,
            &answer(200, r#"{"code":"0","data":{"message_id":"23hR7YH0BtkiN00001"},"success":true}"#),
        )
        .unwrap();
        assert_eq!(data["message_id"], "23hR7YH0BtkiN00001");
    }
}
