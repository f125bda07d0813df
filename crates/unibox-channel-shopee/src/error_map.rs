//! THE error table: Shopee's answers and transport failures, to unibox error kinds with retry
//! hints. Its rows are in the crate documentation (`docs.md`, "Errors").
//!
//! Shopee answers errors with HTTP 200 or 4xx/5xx and the same body:
//! `{"request_id": "...", "error": "error_auth", "message": "Invalid access_token."}`; `error`
//! is empty on success. Codes come bare (`error_auth`) or namespaced (`common.error_auth`,
//! `ads.rate_limit.exceed_api`), so the table reads the last segment and the words of the
//! message.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use unibox_core::http::{HttpError, HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind};

use crate::api::header;

/// How long a rate-limited caller waits when Shopee names no delay. Shopee documents none for
/// its open API; a second is what Lazada documents for the same kind of ban.
pub const DEFAULT_RATE_LIMIT_DELAY: Duration = Duration::from_secs(1);

/// Which call failed: the same answer means different things for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `sellerchat/send_message`: not idempotent.
    Send,
    /// `sellerchat/read_conversation`: safe to repeat.
    Read,
    /// `auth/token/get`: exchanges a single-use authorization code.
    Exchange,
    /// `auth/access_token/get`: spends a single-use refresh token.
    Refresh,
    /// A read (orders, conversation and message lists, items, lost pushes): safe to repeat.
    Fetch,
}

/// An error answer of Shopee's API, attached as the source of the unibox error.
///
/// ```
/// use unibox_channel_shopee::ShopeeApiError;
/// let error = ShopeeApiError::from_body(403, br#"{"error":"error_auth","message":"Invalid access_token.","request_id":"e3e3e7f3"}"#);
/// assert_eq!(error.error, "error_auth");
/// assert_eq!(error.request_id.as_deref(), Some("e3e3e7f3"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShopeeApiError {
    /// The HTTP status.
    pub status: u16,
    /// Shopee's error code (`error_auth`, `common.error_param`, ...), empty if none.
    pub error: String,
    /// Shopee's message.
    pub message: String,
    /// The `request_id`, for Shopee's support.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

impl ShopeeApiError {
    /// Reads Shopee's error body; a body that is not Shopee's JSON leaves the code empty.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let (error, message, request_id) = match parsed {
            Some(body) => (body.error.unwrap_or_default(), body.message.unwrap_or_default(), body.request_id),
            None => (String::new(), String::new(), None),
        };
        // Shopee's messages never hold tokens, but keep a hostile body from flooding logs.
        let message: String = message.chars().take(300).collect();
        ShopeeApiError { status, error, message, request_id }
    }

    /// The unibox error behind which this answer is, if it came from Shopee's API.
    pub fn of(error: &Error) -> Option<&ShopeeApiError> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<ShopeeApiError>())
    }

    /// The last segment of the code: `error_auth` for `common.error_auth`.
    pub fn code(&self) -> &str {
        self.error.rsplit('.').next().unwrap_or_default()
    }

    fn said(&self) -> String {
        match (self.error.is_empty(), self.message.is_empty()) {
            (true, true) => format!("HTTP {}", self.status),
            (false, true) => self.error.clone(),
            (true, false) => self.message.clone(),
            (false, false) => format!("{}: {}", self.error, self.message),
        }
    }

    fn says(&self, words: &str) -> bool {
        self.message.to_ascii_lowercase().contains(words) || self.error.to_ascii_lowercase().contains(words)
    }
}

impl fmt::Display for ShopeeApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shopee answered {}: {}", self.status, self.said())?;
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ShopeeApiError {}

/// The refresh and exchange codes that mean "this authorization is over: reconnect the shop".
const AUTHORIZATION_OVER: [&str; 8] = [
    "error_auth",
    "refresh_token_expired",
    "error_shop_refresh_token",
    "error_merchant_refresh_token",
    "shop_access_expired",
    "merchant_access_expired",
    "shop_no_linked",
    "shop_banned",
];

/// THE table: a Shopee error answer to `call` as a unibox error. `retry_after` is the
/// server's `Retry-After`, if it sent one.
pub(crate) fn parse_error(call: Call, error: ShopeeApiError, retry_after: Option<Duration>) -> Error {
    use ErrorKind::*;
    let status = error.status;
    let said = error.said();
    let code = error.code().to_owned();
    let token_call = matches!(call, Call::Exchange | Call::Refresh);
    let rate_limited =
        status == 429 || error.says("too many request") || error.says("rate_limit") || error.says("rate limit");
    let (kind, message) = match code.as_str() {
        _ if rate_limited => (RateLimited, format!("Shopee is throttling this app or shop: {said}")),
        c if token_call
            && (AUTHORIZATION_OVER.contains(&c)
                || (call == Call::Refresh && error.says("refresh_token"))
                || (call == Call::Exchange && error.says("code"))) =>
        {
            (
                TokenInvalid,
                format!(
                    "Shopee refused the {} ({said}): the shop must authorize the app again",
                    match call {
                        Call::Exchange => "authorization code",
                        _ => "refresh token",
                    }
                ),
            )
        }
        "error_auth" if error.says("permission") => (
            PlatformRejected,
            format!(
                "Shopee does not allow this app to call the API ({said}): the chat API is open only to whitelisted Seller In-house System and Customer Service apps"
            ),
        ),
        "error_auth" | "invalid_access_token" | "error_token" => {
            (TokenInvalid, format!("Shopee refused the access token (expired, revoked or wrong): {said}"))
        }
        "error_permission" => (
            PlatformRejected,
            format!(
                "Shopee does not allow this call for this app or shop ({said}): check the app type and the chat whitelist"
            ),
        ),
        "error_sign" => (
            Configuration,
            format!(
                "Shopee refused the request signature ({said}): check the partner id and key (live and test apps differ)"
            ),
        ),
        "error_param" if error.says("timestamp") => (
            Configuration,
            format!("Shopee refused the request time ({said}): the server clock must be within 5 minutes"),
        ),
        "error_param" if error.says("partner") => {
            (Configuration, format!("Shopee does not know the partner id: {said}"))
        }
        "error_param" | "error_invalid_param" => (InvalidInput, format!("Shopee refused the request: {said}")),
        "error_not_found" | "error_data_not_found" if call == Call::Send => {
            (RecipientUnavailable, format!("Shopee does not know the buyer or conversation: {said}"))
        }
        "error_not_found" | "error_data_not_found" if call == Call::Fetch => {
            (NotFound, format!("Shopee has no such order, item or conversation: {said}"))
        }
        "error_not_found" | "error_data_not_found" => (NotFound, format!("Shopee has no such conversation: {said}")),
        "error_shop" => (PlatformRejected, format!("Shopee refused the call for this shop's status: {said}")),
        "error_server" | "error_inner" | "error_busi" => (PlatformUnavailable, format!("Shopee failed ({said})")),
        _ if status >= 500 => (PlatformUnavailable, format!("Shopee is unavailable ({status}): {said}")),
        _ if token_call && matches!(status, 400 | 401 | 403) => {
            (TokenInvalid, format!("Shopee refused the token request ({said}): the shop must authorize the app again"))
        }
        _ if matches!(status, 401 | 403) => (TokenInvalid, format!("Shopee refused the access token: {said}")),
        _ => (PlatformRejected, format!("Shopee refused the request: {said}")),
    };
    let mapped = Error::new(kind, message).with_context("status", status);
    let mapped = match kind {
        RateLimited => mapped.with_retry_after(retry_after.unwrap_or(DEFAULT_RATE_LIMIT_DELAY)),
        PlatformUnavailable => match retry_after {
            Some(after) => mapped.with_retry_after(after),
            None => mapped.temporary(),
        },
        TokenInvalid => mapped.permanent(),
        _ => mapped,
    };
    mapped.with_source(error)
}

/// The unibox error for an answer whose `error` is set or whose status is not a success.
pub(crate) fn from_response(call: Call, response: &HttpResponse) -> Error {
    let retry_after =
        header(response, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
    parse_error(call, ShopeeApiError::from_body(response.status().as_u16(), response.body()), retry_after)
}

/// Whether an answer is a success: a 2xx whose `error` is empty or absent.
pub(crate) fn succeeded(response: &HttpResponse) -> bool {
    if !response.status().is_success() {
        return false;
    }
    #[derive(Deserialize)]
    struct Outcome<'a> {
        #[serde(default, borrow)]
        error: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<Outcome<'_>>(response.body()) {
        Ok(outcome) => outcome.error.is_none_or(|e| e.is_empty() || e == "-"),
        // Unreadable success bodies are judged by the caller, which needs fields from them.
        Err(_) => true,
    }
}

/// The unibox error for a request that got no answer.
pub(crate) fn from_transport(call: Call, error: HttpError) -> Error {
    let mapped = match (error.kind(), call) {
        (HttpErrorKind::Connect, _) => {
            Error::new(ErrorKind::PlatformUnavailable, "could not connect to Shopee; nothing was sent").temporary()
        }
        (HttpErrorKind::InvalidRequest, _) => {
            Error::new(ErrorKind::Configuration, "the request to Shopee could not be built (check the API base URL)")
        }
        (_, Call::Read | Call::Fetch) => {
            Error::new(ErrorKind::PlatformUnavailable, "Shopee did not answer in time; asking again is safe").temporary()
        }
        (_, Call::Send) => Error::new(
            ErrorKind::DeliveryUnknown,
            "Shopee did not answer the send in time: the message may have been delivered, check before resending",
        ),
        (_, Call::Exchange | Call::Refresh) => Error::new(
            ErrorKind::PlatformUnavailable,
            "Shopee did not answer the token request in time; if Shopee spent the code or refresh token, the shop must authorize again",
        )
        .temporary(),
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

    fn kind(call: Call, status: u16, body: &str) -> ErrorKind {
        from_response(call, &answer(status, body)).kind()
    }

    #[test]
    fn every_row_of_the_table() {
        use ErrorKind::*;
        let send = |status, body| kind(Call::Send, status, body);
        assert_eq!(send(403, r#"{"error":"error_auth","message":"Invalid access_token."}"#), TokenInvalid);
        assert_eq!(send(200, r#"{"error":"common.error_auth","message":"Invalid access_token."}"#), TokenInvalid);
        assert_eq!(send(403, r#"{"error":"error_auth","message":"No permission to current api."}"#), PlatformRejected);
        assert_eq!(send(403, r#"{"error":"error_permission","message":"no permission"}"#), PlatformRejected);
        assert_eq!(send(403, r#"{"error":"error_sign","message":"Wrong sign."}"#), Configuration);
        assert_eq!(send(400, r#"{"error":"error_param","message":"Invalid timestamp."}"#), Configuration);
        assert_eq!(send(400, r#"{"error":"error_param","message":"Invalid partner_id."}"#), Configuration);
        assert_eq!(send(400, r#"{"error":"error_param","message":"to_id is invalid"}"#), InvalidInput);
        assert_eq!(send(404, r#"{"error":"error_not_found","message":"user not found"}"#), RecipientUnavailable);
        assert_eq!(kind(Call::Read, 404, r#"{"error":"error_not_found","message":"no conversation"}"#), NotFound);
        assert_eq!(send(403, r#"{"error":"error_shop","message":"shop is frozen"}"#), PlatformRejected);
        assert_eq!(send(500, r#"{"error":"error_server","message":"Something wrong."}"#), PlatformUnavailable);
        assert_eq!(send(503, "upstream maintenance"), PlatformUnavailable);
        assert_eq!(send(401, ""), TokenInvalid);
        assert_eq!(send(400, r#"{"error":"error_unknown_thing","message":"?"}"#), PlatformRejected);
        let refresh = |body: &str| kind(Call::Refresh, 403, body);
        assert_eq!(refresh(r#"{"error":"error_auth","message":"Invalid refresh_token."}"#), TokenInvalid);
        for code in AUTHORIZATION_OVER {
            assert_eq!(refresh(&format!(r#"{{"error":"{code}","message":"x"}}"#)), TokenInvalid, "{code}");
        }
        assert_eq!(kind(Call::Exchange, 400, r#"{"error":"error_param","message":"Invalid code."}"#), TokenInvalid);
    }

    #[test]
    fn rate_limits_carry_a_delay() {
        let limited = from_response(
            Call::Send,
            &answer(200, r#"{"error":"error_server","message":"Too many requests, please try again later"}"#),
        );
        assert_eq!(limited.kind(), ErrorKind::RateLimited);
        assert_eq!(limited.retry_after(), Some(DEFAULT_RATE_LIMIT_DELAY));
        let ads = from_response(Call::Send, &answer(200, r#"{"error":"ads.rate_limit.exceed_shop_api","message":""}"#));
        assert_eq!(ads.kind(), ErrorKind::RateLimited);
        let told = http::Response::builder()
            .status(429)
            .header("retry-after", "7")
            .body(bytes::Bytes::from_static(b"{}"))
            .unwrap();
        assert_eq!(from_response(Call::Send, &told).retry_after(), Some(Duration::from_secs(7)));
        let refused =
            from_response(Call::Send, &answer(403, r#"{"error":"error_auth","message":"Invalid access_token."}"#));
        assert_eq!(refused.retry(), Retry::Permanent);
    }

    #[test]
    fn success_is_a_2xx_with_an_empty_error() {
        assert!(succeeded(&answer(200, r#"{"error":"","message":"","response":{}}"#)));
        assert!(succeeded(&answer(200, r#"{"response":{}}"#)));
        assert!(!succeeded(&answer(200, r#"{"error":"error_auth","message":"Invalid access_token."}"#)));
        assert!(!succeeded(&answer(500, r#"{"error":""}"#)));
    }

    #[test]
    fn timeouts_of_a_send_are_delivery_unknown() {
        let error = from_transport(Call::Send, HttpError::new(HttpErrorKind::Timeout, "timed out"));
        assert_eq!(error.kind(), ErrorKind::DeliveryUnknown);
        let error = from_transport(Call::Send, HttpError::new(HttpErrorKind::Connect, "refused"));
        assert_eq!((error.kind(), error.is_temporary()), (ErrorKind::PlatformUnavailable, true));
    }
}
