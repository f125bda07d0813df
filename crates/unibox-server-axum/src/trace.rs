//! The request span: method, path and headers, never the query string.
//!
//! tower-http's default span records the full URI, and Meta's subscription handshake carries
//! `hub.verify_token` in the query, so the default would write a secret into every trace. Header
//! values marked sensitive (see [`SENSITIVE_HEADERS`](crate::SENSITIVE_HEADERS)) print as
//! `Sensitive`.

use http::Request;
use tower_http::trace::MakeSpan;
use tracing::Span;

/// Makes the `webhook_request` span at `DEBUG`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PathOnlySpan;

impl<B> MakeSpan<B> for PathOnlySpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        tracing::debug_span!(
            target: "unibox::server",
            "webhook_request",
            method = %request.method(),
            path = %request.uri().path(),
            headers = ?request.headers(),
        )
    }
}
