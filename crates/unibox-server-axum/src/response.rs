//! Answers: a channel's [`WebhookResponse`] or an error, as an axum response.

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::HeaderValue;
use unibox_core::Error;
use unibox_core::channel::WebhookResponse;

/// The delay asked of a sender when a temporary failure (a busy store) names none.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

pub(crate) fn into_axum(response: WebhookResponse) -> Response {
    let mut answer = Response::new(Body::from(response.body));
    *answer.status_mut() = response.status;
    *answer.headers_mut() = response.headers;
    answer
}

fn retry_after_value(after: Duration) -> HeaderValue {
    HeaderValue::from(after.as_secs().max(1))
}

/// The error's answer (its kind's status, a JSON body with kind and message). Every `503`
/// carries `Retry-After`, so a platform backs off instead of hammering a busy server.
pub(crate) fn error(error: &Error) -> Response {
    let mut response = WebhookResponse::from_error(error);
    if response.status == http::StatusCode::SERVICE_UNAVAILABLE
        && !response.headers.contains_key(http::header::RETRY_AFTER)
    {
        response.headers.insert(http::header::RETRY_AFTER, retry_after_value(DEFAULT_RETRY_AFTER));
    }
    into_axum(response)
}

/// `503` for a server at its concurrency limit.
pub(crate) fn overloaded(capacity: usize, retry_after: Duration) -> Response {
    let mut response = WebhookResponse::json(
        503,
        &serde_json::json!({
            "error": "overloaded",
            "message": format!("the server is handling {capacity} webhooks already; retry later"),
        }),
    );
    response.headers.insert(http::header::RETRY_AFTER, retry_after_value(retry_after));
    into_axum(response)
}

/// `405` for a method a channel does not take; `allow` lists the ones it does.
pub(crate) fn method_not_allowed(message: String, allow: &'static str) -> Response {
    let mut response =
        WebhookResponse::json(405, &serde_json::json!({ "error": "method_not_allowed", "message": message }));
    response.headers.insert(http::header::ALLOW, HeaderValue::from_static(allow));
    into_axum(response)
}

/// `408` for a sender that did not finish its body in time.
pub(crate) fn body_timeout(limit: Duration) -> Response {
    into_axum(WebhookResponse::json(
        408,
        &serde_json::json!({
            "error": "request_timeout",
            "message": format!("the body did not arrive within {} ms", limit.as_millis()),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unibox_core::ErrorKind;

    #[test]
    fn a_storage_failure_asks_for_a_retry_later() {
        let response = error(&Error::new(ErrorKind::Storage, "database is busy"));
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "1");
    }

    #[test]
    fn a_named_delay_is_kept() {
        let response = error(&Error::new(ErrorKind::Storage, "busy").with_retry_after(Duration::from_secs(7)));
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "7");
    }

    #[test]
    fn a_bad_signature_is_401_without_retry_after() {
        let response = error(&Error::new(ErrorKind::SignatureInvalid, "the webhook signature does not match"));
        assert_eq!(response.status(), 401);
        assert!(!response.headers().contains_key(http::header::RETRY_AFTER));
    }
}
