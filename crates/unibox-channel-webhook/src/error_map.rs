//! The one table that turns the receiver's answer to an outbound POST into a receipt or an
//! [`ErrorKind`].

use std::time::Duration;

use unibox_core::channel::SendReceipt;
use unibox_core::http::{HttpError, HttpErrorKind, HttpResponse};
use unibox_core::{Error, ErrorKind, Result};

/// How much of a receiver's error body is quoted in the error message.
const QUOTED_BODY_CHARS: usize = 200;

/// Maps the outcome of one outbound POST.
///
/// | answer | result |
/// |---|---|
/// | 2xx | receipt: `"id"` of the JSON body, else the webhook-id |
/// | 409 | receipt as for 2xx: the webhook-id is the idempotency key, so a conflict means the message was already accepted |
/// | 401, 403 | `TokenInvalid` (permanent) |
/// | 429 | `RateLimited`, temporary, with `Retry-After` seconds when given |
/// | 4xx with JSON `{"error": "recipient_unavailable"}` | `RecipientUnavailable` (permanent) |
/// | 404 | `PlatformRejected` (permanent): nothing answers at the send URL |
/// | 410 | `PlatformRejected` (permanent): the receiver asks to stop sending (Standard Webhooks' "disable this endpoint") |
/// | other 4xx, 3xx, 1xx | `PlatformRejected` (permanent); redirects are not followed |
/// | 5xx | `PlatformUnavailable` (temporary) |
/// | could not connect | `PlatformUnavailable` (temporary): nothing was sent |
/// | timeout, connection broken | `DeliveryUnknown`, marked temporary: it may have arrived, and a retry with the same webhook-id is deduplicated by the receiver |
/// | request could not be built | `Configuration` (permanent) |
pub(crate) fn send_outcome(
    outcome: std::result::Result<HttpResponse, HttpError>,
    webhook_id: &str,
) -> Result<SendReceipt> {
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            let kind = error.kind();
            let mapped = match kind {
                HttpErrorKind::Connect => {
                    Error::new(ErrorKind::PlatformUnavailable, "could not connect to the webhook receiver").temporary()
                }
                HttpErrorKind::Timeout | HttpErrorKind::Interrupted => Error::new(
                    ErrorKind::DeliveryUnknown,
                    "the webhook receiver did not answer completely; the message may have arrived, and a retry with the same webhook-id is safe",
                )
                .temporary(),
                HttpErrorKind::InvalidRequest => {
                    Error::new(ErrorKind::Configuration, "the outbound request could not be built").permanent()
                }
                // HttpErrorKind is non-exhaustive: a kind added later is treated as "may have
                // been sent", the cautious reading.
                _ => Error::new(ErrorKind::DeliveryUnknown, "the outbound request failed in an unknown way").temporary(),
            };
            return Err(mapped.with_source(error));
        }
    };

    let status = response.status().as_u16();
    let body = response.body();
    match status {
        200..=299 | 409 => Ok(SendReceipt::new(id_in(body).unwrap_or_else(|| webhook_id.to_owned()))),
        401 | 403 => {
            Err(rejected(ErrorKind::TokenInvalid, status, body, "the webhook receiver refused the credentials"))
        }
        429 => {
            let error = rejected(ErrorKind::RateLimited, status, body, "the webhook receiver is rate limiting");
            Err(match retry_after(&response) {
                Some(after) => error.with_retry_after(after),
                None => error.temporary(),
            })
        }
        400..=499 if error_code_in(body).as_deref() == Some("recipient_unavailable") => Err(rejected(
            ErrorKind::RecipientUnavailable,
            status,
            body,
            "the webhook receiver says the recipient cannot receive messages",
        )),
        404 => {
            Err(rejected(ErrorKind::PlatformRejected, status, body, "nothing answers at the send URL (404): check it"))
        }
        410 => Err(rejected(
            ErrorKind::PlatformRejected,
            status,
            body,
            "the webhook receiver asks to stop sending to this URL (410 Gone)",
        )),
        500..=599 => {
            Err(rejected(ErrorKind::PlatformUnavailable, status, body, "the webhook receiver failed").temporary())
        }
        300..=399 => Err(rejected(
            ErrorKind::PlatformRejected,
            status,
            body,
            "the webhook receiver redirected, and signed requests are not redirected: configure the final URL",
        )),
        _ => Err(rejected(ErrorKind::PlatformRejected, status, body, "the webhook receiver rejected the message")),
    }
}

fn rejected(kind: ErrorKind, status: u16, body: &[u8], message: &'static str) -> Error {
    let mut error = Error::new(kind, message).with_operation("webhook.send").with_context("status", status);
    if let Some(quoted) = quote(body) {
        error = error.with_context("response", quoted);
    }
    error
}

/// The receiver's `{"id": "..."}`, when the body is a JSON object with a non-empty string id.
fn id_in(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Accepted {
        id: Option<String>,
    }
    serde_json::from_slice::<Accepted>(body).ok()?.id.filter(|id| !id.is_empty())
}

/// The receiver's `{"error": "..."}` code, when present.
fn error_code_in(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Failed {
        error: Option<String>,
    }
    serde_json::from_slice::<Failed>(body).ok()?.error
}

/// The start of a response body as printable text, for error context.
fn quote(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut quoted: String =
        text.chars().take(QUOTED_BODY_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() > QUOTED_BODY_CHARS {
        quoted.push('…');
    }
    Some(quoted)
}

/// `Retry-After` in whole seconds. The HTTP-date form is not read: the error stays temporary
/// without a delay, and the caller's backoff applies.
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use unibox_core::Retry;

    use super::*;

    fn answer(status: u16, body: &str) -> std::result::Result<HttpResponse, HttpError> {
        Ok(http::Response::builder().status(status).body(Bytes::from(body.to_owned())).unwrap())
    }

    #[test]
    fn the_receivers_id_wins_over_the_webhook_id() {
        let receipt = send_outcome(answer(201, r#"{"id":"crm-881"}"#), "wh-1").unwrap();
        assert_eq!(receipt.platform_message_id, "crm-881");
        let receipt = send_outcome(answer(200, r#"{"id":""}"#), "wh-1").unwrap();
        assert_eq!(receipt.platform_message_id, "wh-1");
        let receipt = send_outcome(answer(204, ""), "wh-1").unwrap();
        assert_eq!(receipt.platform_message_id, "wh-1");
    }

    #[test]
    fn a_recipient_unavailable_code_is_read_from_any_client_error() {
        let err = send_outcome(answer(422, r#"{"error":"recipient_unavailable"}"#), "wh-1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RecipientUnavailable);
        assert_eq!(err.retry(), Retry::Permanent);
    }

    #[test]
    fn long_error_bodies_are_quoted_in_part_without_control_characters() {
        let body = format!("bad\nthing {}", "x".repeat(500));
        let err = send_outcome(answer(400, &body), "wh-1").unwrap_err();
        let (_, quoted) = err.context().iter().find(|(k, _)| *k == "response").unwrap();
        assert!(quoted.starts_with("bad thing"));
        assert!(quoted.chars().count() <= QUOTED_BODY_CHARS + 1);
    }

    #[test]
    fn an_http_date_retry_after_leaves_a_temporary_error_without_delay() {
        let response = http::Response::builder()
            .status(429)
            .header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")
            .body(Bytes::new())
            .unwrap();
        let err = send_outcome(Ok(response), "wh-1").unwrap_err();
        assert_eq!(err.retry(), Retry::Temporary { after: None });
    }
}
