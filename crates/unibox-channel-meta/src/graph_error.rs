//! The Graph error envelope and the one table that maps it to [`ErrorKind`]s.

use std::fmt;

use http::HeaderMap;
use serde::Deserialize;
use unibox_core::http::{HttpError, HttpErrorKind};
use unibox_core::{Error, ErrorKind};

use crate::rate_limit_delay;

/// The `error` object of a Graph error answer.
///
/// ```
/// use unibox_channel_meta::GraphError;
/// let body = br#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"EJplcsCHuLu"}}"#;
/// let error = GraphError::from_body(body).unwrap();
/// assert_eq!((error.code, error.error_subcode), (190, Some(463)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct GraphError {
    /// Meta's message, for developers.
    #[serde(default)]
    pub message: String,
    /// The exception type (`OAuthException`, `GraphMethodException`, ...).
    #[serde(default, rename = "type")]
    pub error_type: Option<String>,
    /// The error code: the key of the mapping table.
    #[serde(default)]
    pub code: i64,
    /// The subcode, when Meta gives one (190/463: the token expired).
    #[serde(default)]
    pub error_subcode: Option<i64>,
    /// A title meant for the end user.
    #[serde(default)]
    pub error_user_title: Option<String>,
    /// A message meant for the end user.
    #[serde(default)]
    pub error_user_msg: Option<String>,
    /// Meta's trace id, for support requests.
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    /// Meta's own hint that retrying may succeed.
    #[serde(default)]
    pub is_transient: Option<bool>,
    /// Extra details (WhatsApp: `error_data.details`).
    #[serde(default)]
    pub error_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Envelope {
    error: GraphError,
}

impl GraphError {
    /// The error of a Graph answer body `{"error": {...}}`, or `None` when the body is not one.
    pub fn from_body(body: &[u8]) -> Option<GraphError> {
        serde_json::from_slice::<Envelope>(body).ok().map(|envelope| envelope.error)
    }

    /// The kind this error maps to, by [`classify`] and, for codes the table does not name,
    /// by `is_transient` and the HTTP status.
    pub fn kind(&self, http_status: u16) -> ErrorKind {
        match classify(self.code, self.error_subcode) {
            Some((kind, _)) => kind,
            None => fallback_kind(self.is_transient.unwrap_or(false), http_status),
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph error {}", self.code)?;
        if let Some(subcode) = self.error_subcode {
            write!(f, "/{subcode}")?;
        }
        if let Some(error_type) = &self.error_type {
            write!(f, " ({error_type})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(details) = self.error_data.as_ref().and_then(|d| d.get("details")).and_then(|d| d.as_str()) {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

/// The kind and the advice for a Graph error code, or `None` for codes the table does not name.
///
/// | codes | kind | why |
/// |---|---|---|
/// | 190, 102 (any subcode), 0 | `TokenInvalid` | the token expired, was revoked, or the password changed: reconnect |
/// | 4, 17, 32, 613, 80001–80009, 130429, 131048, 131056, 133016 | `RateLimited` | app, user, Page, custom, business use case, throughput, spam and pair limits |
/// | 131047; 10 with subcode 2018278 | `MessagingWindowClosed` | more than 24 hours since the customer wrote |
/// | 131026, 131030, 551; 100 with subcode 2018001 | `RecipientUnavailable` | undeliverable, not allow-listed, unavailable, no such user |
/// | 1, 2, 131000, 131016, 131057, 133004 | `PlatformUnavailable` | Meta's side, temporary |
/// | 100, 131008, 131009, 131021, 132000, 132012 | `InvalidInput` | a parameter was wrong |
/// | 131051 | `Unsupported` | the message type is not supported |
/// | 3, 10, 200–299, 368, 131031, 130497, 131052, 131053, 132001–132016 | `PlatformRejected` | permission, integrity, media or template problems |
///
/// ```
/// use unibox_channel_meta::classify;
/// use unibox_core::ErrorKind;
/// assert_eq!(classify(131047, None).unwrap().0, ErrorKind::MessagingWindowClosed);
/// assert_eq!(classify(190, Some(460)).unwrap().0, ErrorKind::TokenInvalid);
/// assert!(classify(999_999, None).is_none());
/// ```
pub fn classify(code: i64, subcode: Option<i64>) -> Option<(ErrorKind, &'static str)> {
    let row = match (code, subcode) {
        (190 | 102, _) => (
            ErrorKind::TokenInvalid,
            "Meta rejected the access token (expired, revoked, or the password changed): reconnect the account",
        ),
        (0, _) => (ErrorKind::TokenInvalid, "Meta could not authenticate the app user: reconnect the account"),
        (4, _) => (ErrorKind::RateLimited, "the app made too many Graph calls"),
        (17, _) => (ErrorKind::RateLimited, "the user's Graph call limit is reached"),
        (32, _) => (ErrorKind::RateLimited, "the Page's Graph call limit is reached"),
        (613, _) => (ErrorKind::RateLimited, "a custom Graph rate limit is reached"),
        (80001..=80009, _) => (ErrorKind::RateLimited, "the business use case rate limit is reached"),
        (130429, _) => (ErrorKind::RateLimited, "the phone number's message throughput is exceeded"),
        (131048, _) => {
            (ErrorKind::RateLimited, "the spam rate limit is reached: too many messages were blocked or reported")
        }
        (131056, _) => {
            (ErrorKind::RateLimited, "too many messages to the same customer in a short time (pair rate limit)")
        }
        (133016, _) => (ErrorKind::RateLimited, "too many register or deregister attempts for the phone number"),
        (131047, _) => (
            ErrorKind::MessagingWindowClosed,
            "more than 24 hours have passed since the customer last wrote: send an approved template instead",
        ),
        (10, Some(2018278)) => (
            ErrorKind::MessagingWindowClosed,
            "the message was sent outside the allowed window: reply within 24 hours, or as a human agent within 7 days",
        ),
        (131026, _) => (ErrorKind::RecipientUnavailable, "the message is undeliverable to this customer"),
        (131030, _) => (ErrorKind::RecipientUnavailable, "the recipient is not in the test number's allowed list"),
        (551, _) => (ErrorKind::RecipientUnavailable, "the customer is not available to receive messages"),
        (100, Some(2018001)) => (ErrorKind::RecipientUnavailable, "no matching user found for the recipient id"),
        (1 | 2, _) => (ErrorKind::PlatformUnavailable, "Meta had a temporary problem"),
        (131000 | 131016 | 133004, _) => {
            (ErrorKind::PlatformUnavailable, "the WhatsApp service is temporarily unavailable")
        }
        (131057, _) => (
            ErrorKind::PlatformUnavailable,
            "the business account is in maintenance or its throughput is being upgraded",
        ),
        (100 | 131008 | 131009 | 131021, _) => (ErrorKind::InvalidInput, "Meta rejected a parameter of the request"),
        (132000 | 132012, _) => (ErrorKind::InvalidInput, "the template parameters do not match the approved template"),
        (131051, _) => (ErrorKind::Unsupported, "Meta does not support this message type"),
        (3 | 10 | 200..=299, _) => (ErrorKind::PlatformRejected, "the app lacks a permission this call needs"),
        (368 | 131031 | 130497, _) => {
            (ErrorKind::PlatformRejected, "the account is restricted or locked by Meta's integrity checks")
        }
        (131052 | 131053, _) => (ErrorKind::PlatformRejected, "Meta could not download or upload the media"),
        (132001..=132016, _) => (ErrorKind::PlatformRejected, "the template is missing, paused or not approved"),
        _ => return None,
    };
    Some(row)
}

fn fallback_kind(is_transient: bool, http_status: u16) -> ErrorKind {
    match http_status {
        _ if is_transient => ErrorKind::PlatformUnavailable,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::PlatformUnavailable,
        _ => ErrorKind::PlatformRejected,
    }
}

/// How much of a non-Graph error body is quoted in the error.
const QUOTED_BODY_CHARS: usize = 200;

fn quote(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(QUOTED_BODY_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect())
}

/// The [`Error`] for a non-2xx Graph answer: the kind from the Graph error code
/// ([`classify`]), else from `is_transient` and the status; rate limits carry the wait from
/// the usage headers ([`rate_limit_delay`]); the Graph error is the source.
///
/// ```
/// use http::HeaderMap;
/// use unibox_channel_meta::error_from_response;
/// use unibox_core::ErrorKind;
/// let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#;
/// let error = error_from_response(400, &HeaderMap::new(), body);
/// assert_eq!(error.kind(), ErrorKind::MessagingWindowClosed);
/// assert!(error.message().contains("template"));
/// ```
pub fn error_from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let Some(graph) = GraphError::from_body(body) else {
        let kind = fallback_kind(false, status);
        let mut error = Error::new(kind, "Meta answered with an error that is not a Graph error")
            .with_operation("meta.graph")
            .with_context("status", status);
        if let Some(quoted) = quote(body) {
            error = error.with_context("response", quoted);
        }
        return with_retry(error, kind, headers);
    };
    let (kind, advice) = match classify(graph.code, graph.error_subcode) {
        Some(row) => row,
        None if graph.is_transient.unwrap_or(false) => {
            (ErrorKind::PlatformUnavailable, "Meta says the error is transient")
        }
        None => (fallback_kind(false, status), "Meta refused the request"),
    };
    let mut error = Error::new(kind, advice)
        .with_operation("meta.graph")
        .with_context("status", status)
        .with_platform_code(graph.code);
    if let Some(subcode) = graph.error_subcode {
        error = error.with_context("subcode", subcode);
    }
    if let Some(trace) = &graph.fbtrace_id {
        error = error.with_context("fbtrace_id", trace);
    }
    with_retry(error, kind, headers).with_source(graph)
}

fn with_retry(error: Error, kind: ErrorKind, headers: &HeaderMap) -> Error {
    match kind {
        ErrorKind::RateLimited => match rate_limit_delay(headers) {
            Some(after) => error.with_retry_after(after),
            None => error.temporary(),
        },
        ErrorKind::PlatformUnavailable => error.temporary(),
        _ => error.permanent(),
    }
}

/// The [`Error`] for a Graph call that got no answer. `effectful` says whether the call
/// changes something (a send): then a request that may have arrived is
/// [`ErrorKind::DeliveryUnknown`], since repeating it could deliver a message twice; a read
/// is simply [`ErrorKind::PlatformUnavailable`].
pub fn error_from_transport(error: HttpError, effectful: bool) -> Error {
    let mapped = match error.kind() {
        HttpErrorKind::Connect => Error::new(ErrorKind::PlatformUnavailable, "could not connect to the Meta Graph API"),
        HttpErrorKind::InvalidRequest => {
            Error::new(ErrorKind::Configuration, "the Graph request could not be built").permanent()
        }
        _ if effectful => Error::new(
            ErrorKind::DeliveryUnknown,
            "the Graph API did not answer completely; the message may have been sent: check before resending",
        )
        .temporary(),
        _ => Error::new(ErrorKind::PlatformUnavailable, "the Graph API did not answer completely"),
    };
    mapped.temporary_unless_configuration().with_operation("meta.graph").with_source(error)
}

trait TemporaryUnlessConfiguration {
    fn temporary_unless_configuration(self) -> Self;
}

impl TemporaryUnlessConfiguration for Error {
    fn temporary_unless_configuration(self) -> Self {
        if self.kind() == ErrorKind::Configuration { self } else { self.temporary() }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use unibox_core::Retry;

    use super::*;

    fn graph(code: i64, subcode: Option<i64>, transient: Option<bool>) -> Vec<u8> {
        serde_json::json!({"error": {"message": "m", "type": "OAuthException", "code": code,
            "error_subcode": subcode, "is_transient": transient, "fbtrace_id": "AbC"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn every_row_of_the_table_maps_to_its_kind_and_retry() {
        let cases: &[(i64, Option<i64>, ErrorKind, bool)] = &[
            (190, None, ErrorKind::TokenInvalid, false),
            (190, Some(463), ErrorKind::TokenInvalid, false),
            (102, None, ErrorKind::TokenInvalid, false),
            (0, None, ErrorKind::TokenInvalid, false),
            (4, None, ErrorKind::RateLimited, true),
            (17, None, ErrorKind::RateLimited, true),
            (32, None, ErrorKind::RateLimited, true),
            (613, None, ErrorKind::RateLimited, true),
            (80006, None, ErrorKind::RateLimited, true),
            (80007, None, ErrorKind::RateLimited, true),
            (130429, None, ErrorKind::RateLimited, true),
            (131048, None, ErrorKind::RateLimited, true),
            (131056, None, ErrorKind::RateLimited, true),
            (131047, None, ErrorKind::MessagingWindowClosed, false),
            (10, Some(2018278), ErrorKind::MessagingWindowClosed, false),
            (10, None, ErrorKind::PlatformRejected, false),
            (131026, None, ErrorKind::RecipientUnavailable, false),
            (551, None, ErrorKind::RecipientUnavailable, false),
            (100, Some(2018001), ErrorKind::RecipientUnavailable, false),
            (100, None, ErrorKind::InvalidInput, false),
            (1, None, ErrorKind::PlatformUnavailable, true),
            (2, None, ErrorKind::PlatformUnavailable, true),
            (131016, None, ErrorKind::PlatformUnavailable, true),
            (131057, None, ErrorKind::PlatformUnavailable, true),
            (132001, None, ErrorKind::PlatformRejected, false),
            (132000, None, ErrorKind::InvalidInput, false),
            (131051, None, ErrorKind::Unsupported, false),
            (368, None, ErrorKind::PlatformRejected, false),
            (230, None, ErrorKind::PlatformRejected, false),
        ];
        for (code, subcode, kind, temporary) in cases {
            let error = error_from_response(400, &HeaderMap::new(), &graph(*code, *subcode, None));
            assert_eq!(error.kind(), *kind, "code {code}/{subcode:?}");
            assert_eq!(error.is_temporary(), *temporary, "code {code}/{subcode:?}");
            assert!(std::error::Error::source(&error).is_some());
        }
    }

    #[test]
    fn unknown_codes_follow_is_transient_then_the_status() {
        let transient = error_from_response(400, &HeaderMap::new(), &graph(987_654, None, Some(true)));
        assert_eq!(transient.kind(), ErrorKind::PlatformUnavailable);
        assert!(transient.is_temporary());
        let permanent = error_from_response(400, &HeaderMap::new(), &graph(987_654, None, Some(false)));
        assert_eq!(permanent.kind(), ErrorKind::PlatformRejected);
        assert_eq!(permanent.retry(), Retry::Permanent);
        let server = error_from_response(500, &HeaderMap::new(), &graph(987_654, None, None));
        assert_eq!(server.kind(), ErrorKind::PlatformUnavailable);
        let html = error_from_response(502, &HeaderMap::new(), b"<html>Bad Gateway</html>");
        assert_eq!(html.kind(), ErrorKind::PlatformUnavailable);
        assert!(html.is_temporary());
        let throttled = error_from_response(429, &HeaderMap::new(), b"");
        assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    }

    #[test]
    fn a_rate_limit_carries_the_wait_of_the_usage_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            r#"{"104738291837465":[{"type":"messenger","call_count":100,"estimated_time_to_regain_access":3}]}"#
                .parse()
                .unwrap(),
        );
        let error = error_from_response(400, &headers, &graph(80006, None, None));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(180)));
        assert!(error.to_string().contains("fbtrace_id: AbC"));
    }

    #[test]
    fn transport_failures_distinguish_sends_from_reads() {
        let refused = error_from_transport(HttpError::new(HttpErrorKind::Connect, "refused"), true);
        assert_eq!(refused.kind(), ErrorKind::PlatformUnavailable);
        assert!(refused.is_temporary());
        let send = error_from_transport(HttpError::new(HttpErrorKind::Timeout, "slow"), true);
        assert_eq!(send.kind(), ErrorKind::DeliveryUnknown);
        let read = error_from_transport(HttpError::new(HttpErrorKind::Interrupted, "reset"), false);
        assert_eq!(read.kind(), ErrorKind::PlatformUnavailable);
        let bad = error_from_transport(HttpError::new(HttpErrorKind::InvalidRequest, "bad"), true);
        assert_eq!(bad.kind(), ErrorKind::Configuration);
        assert!(!bad.is_temporary());
    }
}
