//! Turning an axum request into the [`WebhookRequest`] a channel verifies: the method, the
//! public URL the platform called, the headers and the exact body bytes.

use http::request::Parts;
use unibox_core::channel::WebhookRequest;
use unibox_core::{Error, ErrorKind};
use url::Url;

/// Where the public URL of a request comes from.
#[derive(Clone, Debug)]
pub(crate) enum PublicOrigin {
    /// The configured origin (`https://inbox.example.com`): right behind a proxy, and required
    /// for platforms that sign the URL (Twilio).
    Fixed(Url),
    /// `http://` + the `Host` header, for local runs.
    FromHost,
}

impl PublicOrigin {
    /// The URL the platform called: the origin plus the original path and query.
    pub(crate) fn url_for(&self, parts: &Parts) -> Result<Url, Error> {
        // Inside a nested router the URI is stripped of its prefix; the original one is what
        // the platform called and signed.
        let uri = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |original| &original.0);
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
        let base = match self {
            PublicOrigin::Fixed(origin) => origin.clone(),
            PublicOrigin::FromHost => {
                let host = parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .or_else(|| uri.authority().map(|a| a.as_str()))
                    .unwrap_or("localhost");
                Url::parse(&format!("http://{host}")).map_err(|_| {
                    Error::new(ErrorKind::InvalidInput, "the Host header is not a valid host name")
                        .with_operation("server.request")
                })?
            }
        };
        base.join(path_and_query).map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "the request path is not a valid URL path")
                .with_operation("server.request")
        })
    }
}

/// The request as a channel sees it. The headers keep their sensitive marks.
pub(crate) fn webhook_request(parts: Parts, url: Url, body: bytes::Bytes) -> WebhookRequest {
    WebhookRequest { method: parts.method, url, headers: parts.headers, body }
}
