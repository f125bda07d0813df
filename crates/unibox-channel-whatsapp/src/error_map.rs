//! The WhatsApp rows of the error table, on top of the Meta crate's Graph error table.
//!
//! Every Graph answer is first mapped by [`unibox_channel_meta::error_from_response`] (the
//! envelope, the codes every Meta product shares and the WhatsApp codes it knows, retry hints
//! from the usage headers). This table then adds what only WhatsApp says:
//!
//! | code | meaning | result |
//! |---|---|---|
//! | 131056 | pair rate limit: too many messages to one customer (about 1 per 6 s) | `RateLimited`, retry after 6 s unless the usage headers name longer |
//! | 130429 | the number's throughput (80 messages/s by default) is exceeded | `RateLimited`, retry after 1 s unless the usage headers name longer |
//! | 131057 | the account is in maintenance or its throughput is being upgraded (up to a minute) | `PlatformUnavailable`, retry after 60 s |
//! | 470 | the On-Premises API's "more than 24 hours" code, still seen on migrated numbers | `MessagingWindowClosed`: send a template |
//! | 131049 | Meta chose not to deliver a marketing message (per-user marketing limit) | `RecipientUnavailable` |
//! | 131050 | the customer stopped marketing messages from the business | `RecipientUnavailable` |
//! | 131042 | a billing problem on the WhatsApp Business Account | `PlatformRejected` |
//! | 131045 / 133010 | the phone number is not registered with the Cloud API | `Configuration` |
//!
//! Everything else keeps the Meta crate's mapping: 190 `TokenInvalid`, 131047
//! `MessagingWindowClosed` ("send an approved template instead"), 131026
//! `RecipientUnavailable`, 4 / 80007 / 131048 `RateLimited`, 132xxx template errors, and so on.

use std::time::Duration;

use unibox_channel_meta::GraphError;
use unibox_core::{Error, ErrorKind, Retry};

/// A WhatsApp row: a kind and message replacing the Meta crate's, and a minimum retry delay.
struct Row {
    replace: Option<(ErrorKind, &'static str)>,
    min_delay: Option<Duration>,
}

const fn wait(seconds: u64) -> Row {
    Row { replace: None, min_delay: Some(Duration::from_secs(seconds)) }
}

const fn replace(kind: ErrorKind, message: &'static str) -> Row {
    Row { replace: Some((kind, message)), min_delay: None }
}

/// The WhatsApp row for `code`, if WhatsApp says more than the Meta crate's table.
fn whatsapp_row(code: i64) -> Option<Row> {
    Some(match code {
        131056 => wait(6),
        130429 => wait(1),
        131057 => wait(60),
        470 => replace(
            ErrorKind::MessagingWindowClosed,
            "more than 24 hours have passed since the customer last wrote: send an approved template instead",
        ),
        131049 => replace(
            ErrorKind::RecipientUnavailable,
            "Meta did not deliver this marketing message to keep the customer's experience healthy",
        ),
        131050 => {
            replace(ErrorKind::RecipientUnavailable, "the customer stopped marketing messages from this business")
        }
        131042 => replace(
            ErrorKind::PlatformRejected,
            "the WhatsApp Business Account has a billing problem: check its payment method",
        ),
        131045 | 133010 => replace(
            ErrorKind::Configuration,
            "the phone number is not registered with the WhatsApp Cloud API: register it before sending",
        ),
        _ => return None,
    })
}

/// The Graph error code behind an error from the Meta crate's client, if it came from Graph.
pub(crate) fn graph_code(error: &Error) -> Option<i64> {
    std::error::Error::source(error).and_then(|s| s.downcast_ref::<GraphError>()).map(|g| g.code)
}

/// Applies the WhatsApp rows to an error from a Graph call made by `operation`.
pub(crate) fn refine(error: Error, operation: &'static str) -> Error {
    let Some(Row { replace: replacement, min_delay }) = graph_code(&error).and_then(whatsapp_row) else {
        return error.with_operation(operation);
    };
    let graph = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<GraphError>()).cloned();
    let (kind, message) = match replacement {
        Some((kind, message)) => (kind, message.to_owned()),
        None => (error.kind(), error.message().to_owned()),
    };
    let mut refined = Error::new(kind, message).with_operation(operation);
    for (key, value) in error.context() {
        refined = refined.with_context(key, value);
    }
    refined = match (kind, error.retry(), min_delay) {
        (ErrorKind::RateLimited | ErrorKind::PlatformUnavailable, Retry::Temporary { after }, Some(min)) => {
            refined.with_retry_after(after.map_or(min, |after| after.max(min)))
        }
        (_, Retry::Temporary { after: Some(after) }, _) => refined.with_retry_after(after),
        (_, Retry::Temporary { after: None }, _) => refined.temporary(),
        (_, Retry::Persistent, _) => refined.persistent(),
        (_, Retry::Permanent, _) => refined.permanent(),
    };
    match graph {
        Some(graph) => refined.with_source(graph),
        None => refined,
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use unibox_channel_meta::error_from_response;

    use super::*;

    fn graph_answer(code: i64, headers: &HeaderMap) -> Error {
        let body = serde_json::json!({"error": {"message": "(#x) m", "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": "d"}, "fbtrace_id": "Az8"}});
        refine(error_from_response(400, headers, body.to_string().as_bytes()), "whatsapp.send")
    }

    #[test]
    fn the_pair_rate_limit_waits_at_least_six_seconds() {
        let error = graph_answer(131056, &HeaderMap::new());
        assert_eq!(error.kind(), ErrorKind::RateLimited);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(6)));
        assert_eq!(error.operation(), "whatsapp.send");
        assert_eq!(graph_code(&error), Some(131056));
    }

    #[test]
    fn a_longer_wait_from_the_usage_headers_wins() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            r#"{"102290129340398":[{"type":"whatsapp","estimated_time_to_regain_access":2}]}"#.parse().unwrap(),
        );
        assert_eq!(graph_answer(130429, &headers).retry_after(), Some(Duration::from_secs(120)));
    }

    #[test]
    fn whatsapp_only_codes_get_their_own_kind() {
        assert_eq!(graph_answer(470, &HeaderMap::new()).kind(), ErrorKind::MessagingWindowClosed);
        assert_eq!(graph_answer(131050, &HeaderMap::new()).kind(), ErrorKind::RecipientUnavailable);
        assert_eq!(graph_answer(133010, &HeaderMap::new()).kind(), ErrorKind::Configuration);
        let window = graph_answer(131047, &HeaderMap::new());
        assert_eq!(window.kind(), ErrorKind::MessagingWindowClosed);
        assert!(window.message().contains("template"));
    }
}
