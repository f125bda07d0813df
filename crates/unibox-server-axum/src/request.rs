//! Turning an axum request into the [`WebhookRequest`] a channel verifies: the method, the
//! public URL the platform called, the headers and the exact body bytes.

use std::sync::{Mutex, PoisonError};

use http::request::Parts;
use unibox_core::channel::WebhookRequest;
use unibox_core::{Error, ErrorKind};
use url::Url;

/// Where the public URL of a request comes from.
#[derive(Debug)]
pub(crate) enum PublicOrigin {
    /// The configured origin (`https://inbox.example.com`): right behind a proxy, and required
    /// for platforms that sign the URL (Twilio).
    Fixed(Url),
    /// `http://` + the `Host` header, for local runs.
    FromHost(LastHost),
}

/// The origin parsed from the last `Host` header seen: every request of a run names the same
/// host, and parsing it (IP or IDNA host rules) cost more than the rest of the URL. One entry
/// only, so a client sending many different hosts cannot grow it.
#[derive(Debug, Default)]
pub(crate) struct LastHost(Mutex<Option<(Box<str>, Url)>>);

impl LastHost {
    fn origin(&self, host: &str) -> Result<Url, Error> {
        {
            let last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, origin)) = last.as_ref().filter(|(seen, _)| **seen == *host) {
                return Ok(origin.clone());
            }
        }
        let origin = Url::parse(&format!("http://{host}")).map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "the Host header is not a valid host name")
                .with_operation("server.request")
        })?;
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((host.into(), origin.clone()));
        Ok(origin)
    }
}

impl PublicOrigin {
    /// The URL the platform called: the origin plus the original path and query.
    pub(crate) fn url_for(&self, parts: &Parts) -> Result<Url, Error> {
        // Inside a nested router the URI is stripped of its prefix; the original one is what
        // the platform called and signed.
        let uri = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |original| &original.0);
        let mut url = match self {
            PublicOrigin::Fixed(origin) => origin.clone(),
            PublicOrigin::FromHost(last) => {
                let host = parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .or_else(|| uri.authority().map(|a| a.as_str()))
                    .unwrap_or("localhost");
                last.origin(host)?
            }
        };
        // The path replaces the origin's, as a path (never `join`, which reads a path starting
        // with `//` as another host). `http::Uri` has checked both already.
        url.set_path(uri.path());
        url.set_query(uri.query());
        Ok(url)
    }
}

/// The request as a channel sees it. The headers keep their sensitive marks.
pub(crate) fn webhook_request(parts: Parts, url: Url, body: bytes::Bytes) -> WebhookRequest {
    WebhookRequest { method: parts.method, url, headers: parts.headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, host: Option<&str>) -> Parts {
        let mut request = http::Request::post(uri);
        if let Some(host) = host {
            request = request.header(http::header::HOST, host);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_url_is_the_host_header_origin_with_the_request_path_and_query() {
        let origin = PublicOrigin::FromHost(LastHost::default());
        let url = origin.url_for(&parts("/webhooks/line-acme?x=1&y=%20", Some("127.0.0.1:8080"))).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/webhooks/line-acme?x=1&y=%20");
        // The remembered origin is only used for the same host.
        let url = origin.url_for(&parts("/webhooks/meta", Some("inbox.example.com"))).unwrap();
        assert_eq!(url.as_str(), "http://inbox.example.com/webhooks/meta");
        let url = origin.url_for(&parts("/webhooks/line-acme", Some("127.0.0.1:8080"))).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/webhooks/line-acme");
    }

    #[test]
    fn a_path_starting_with_two_slashes_never_changes_the_host() {
        let origin = PublicOrigin::Fixed(Url::parse("https://inbox.example.com").unwrap());
        let url = origin.url_for(&parts("//evil.example/webhooks/x", None)).unwrap();
        assert_eq!(url.host_str(), Some("inbox.example.com"));
        assert_eq!(url.path(), "//evil.example/webhooks/x");
        let origin = PublicOrigin::FromHost(LastHost::default());
        let url = origin.url_for(&parts("//evil.example/webhooks/x", Some("inbox.example.com"))).unwrap();
        assert_eq!(url.host_str(), Some("inbox.example.com"));
    }

    #[test]
    fn a_host_header_that_is_no_host_is_invalid_input() {
        let origin = PublicOrigin::FromHost(LastHost::default());
        let error = origin.url_for(&parts("/webhooks/x", Some("bad host:xx"))).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.to_string().contains("Host header"), "{error}");
    }
}
