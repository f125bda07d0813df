//! Typed JSON errors: every failure answers `{"error": {"kind": ..., "message": ...}}` with the
//! status of its [`ErrorKind`], and never echoes a secret or an internal detail.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use unibox_core::{Error, ErrorKind};

/// An error answer of the agent API.
///
/// Built from a [`unibox_core::Error`]: the status is the kind's
/// [`http_status`](ErrorKind::http_status) (400 bad input, 401 no or expired session, 403 not
/// allowed, 404 unknown id, including another tenant's). Storage and internal failures show
/// a generic message; their detail goes to the log only.
///
/// ```
/// use axum::response::IntoResponse;
/// use unibox_agent_api::ApiError;
/// use unibox_core::{Error, ErrorKind};
/// let response = ApiError::from(Error::new(ErrorKind::NotFound, "no such conversation")).into_response();
/// assert_eq!(response.status(), 404);
/// ```
#[derive(Debug)]
pub struct ApiError(Error);

impl ApiError {
    /// A 400 answer for malformed input.
    ///
    /// ```
    /// assert_eq!(unibox_agent_api::ApiError::invalid("bad cursor").kind(), unibox_core::ErrorKind::InvalidInput);
    /// ```
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError(Error::new(ErrorKind::InvalidInput, message.into()))
    }

    /// A 401 answer: no session, or an ended one.
    ///
    /// ```
    /// assert_eq!(unibox_agent_api::ApiError::unauthenticated().kind(), unibox_core::ErrorKind::Unauthenticated);
    /// ```
    pub fn unauthenticated() -> Self {
        ApiError(Error::new(ErrorKind::Unauthenticated, "sign in first"))
    }

    /// A 403 answer.
    ///
    /// ```
    /// assert_eq!(unibox_agent_api::ApiError::forbidden("no").kind(), unibox_core::ErrorKind::PermissionDenied);
    /// ```
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError(Error::new(ErrorKind::PermissionDenied, message.into()))
    }

    /// The kind of error.
    ///
    /// ```
    /// assert_eq!(unibox_agent_api::ApiError::invalid("x").kind().as_str(), "invalid_input");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.0.kind()
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    kind: &'static str,
    message: &'a str,
    /// Seconds to wait before trying again (rate limits), also sent as `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.0.kind();
        let status = StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = if status.is_server_error()
            && !matches!(
                kind,
                ErrorKind::PlatformRejected
                    | ErrorKind::RecipientUnavailable
                    | ErrorKind::TokenInvalid
                    | ErrorKind::PlatformUnavailable
                    | ErrorKind::DeliveryUnknown
            ) {
            tracing::error!(target: "unibox::agent_api", error = %self.0, "request failed");
            "the server could not complete the request"
        } else {
            self.0.message()
        };
        let retry_after = self.0.retry_after().map(|wait| wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        let mut response =
            (status, Json(Body { error: Detail { kind: kind.as_str(), message, retry_after } })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}
