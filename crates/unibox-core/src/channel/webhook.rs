use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use crate::Error;

/// A webhook request exactly as it arrived: method, the full public URL the platform called,
/// headers, and the body's exact bytes (signatures are computed over these, so they are never
/// re-encoded).
///
/// ```
/// use unibox_core::channel::WebhookRequest;
/// let request = WebhookRequest::post("https://inbox.example.com/webhooks/acme".parse().unwrap(), r#"{"events":[]}"#)
///     .with_header("Content-Type", "application/json");
/// assert_eq!(request.header("content-type"), Some("application/json"));
/// assert_eq!(request.body.as_ref(), br#"{"events":[]}"#);
/// ```
#[derive(Clone, Debug)]
pub struct WebhookRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL the platform called, as the platform saw it (scheme, host, path, query).
    /// Behind a proxy, configure the public URL: some platforms (Twilio) sign it.
    pub url: Url,
    /// The headers.
    pub headers: HeaderMap,
    /// The body's exact bytes.
    pub body: Bytes,
}

impl WebhookRequest {
    /// A POST with a body and no headers.
    pub fn post(url: Url, body: impl Into<Bytes>) -> Self {
        WebhookRequest { method: Method::POST, url, headers: HeaderMap::new(), body: body.into() }
    }

    /// A GET (handshakes) with no headers.
    pub fn get(url: Url) -> Self {
        WebhookRequest { method: Method::GET, url, headers: HeaderMap::new(), body: Bytes::new() }
    }

    /// Adds a header; panics on a name or value that is not valid HTTP, so use it with literals.
    /// Use [`try_with_header`](Self::try_with_header) for input you do not control.
    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self.try_with_header(name, value) {
            Ok(request) => request,
            Err(error) => panic!("{error}"),
        }
    }

    /// Adds a header, failing with `InvalidInput` when the name or value is not valid HTTP.
    pub fn try_with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name)
            .map_err(|_| Error::new(crate::ErrorKind::InvalidInput, format!("invalid header name {name:?}")))?;
        let value = HeaderValue::try_from(value)
            .map_err(|_| Error::new(crate::ErrorKind::InvalidInput, format!("invalid value for header {name}")))?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// The first value of a header, if present and valid UTF-8. Names are case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The only value of a header that must appear at most once (a signature, a token):
    /// `Ok(None)` when absent, and a `SignatureInvalid` error naming the header when it appears
    /// more than once or is not visible ASCII. Verifiers refuse a repeated signature header, so a
    /// client or proxy that appends a second value cannot choose which one is checked.
    ///
    /// ```
    /// use unibox_core::channel::WebhookRequest;
    /// use unibox_core::ErrorKind;
    /// let request = WebhookRequest::post("https://inbox.example.com/x".parse().unwrap(), "{}")
    ///     .with_header("X-Signature", "a");
    /// assert_eq!(request.single_header("x-signature")?, Some("a"));
    /// assert_eq!(request.single_header("x-other")?, None);
    /// let twice = request.with_header("X-Signature", "b");
    /// assert_eq!(twice.single_header("x-signature").unwrap_err().kind(), ErrorKind::SignatureInvalid);
    /// # Ok::<(), unibox_core::Error>(())
    /// ```
    pub fn single_header(&self, name: &str) -> Result<Option<&str>, Error> {
        let mut values = self.headers.get_all(name).iter();
        let Some(first) = values.next() else {
            return Ok(None);
        };
        let refused = |why: &str| Error::new(crate::ErrorKind::SignatureInvalid, format!("the {name} header {why}"));
        if values.next().is_some() {
            return Err(refused("appears more than once"));
        }
        first.to_str().map(Some).map_err(|_| refused("is not visible ASCII"))
    }

    /// The value of a query parameter, if present.
    pub fn query(&self, name: &str) -> Option<String> {
        self.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// What the webhook endpoint answers.
///
/// ```
/// use unibox_core::channel::WebhookResponse;
/// let response = WebhookResponse::text(200, "challenge-123");
/// assert_eq!(response.status.as_u16(), 200);
/// assert_eq!(response.body.as_ref(), b"challenge-123");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookResponse {
    /// The status.
    pub status: StatusCode,
    /// Headers to send.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl WebhookResponse {
    /// An empty `200 OK`.
    pub fn ok() -> Self {
        WebhookResponse { status: StatusCode::OK, headers: HeaderMap::new(), body: Bytes::new() }
    }

    /// A plain-text response.
    pub fn text(status: u16, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        WebhookResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: body.into(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        WebhookResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: Bytes::from(body.to_string()),
        }
    }

    /// The response for an error: its kind's HTTP status, a JSON body with the kind and
    /// message, and `Retry-After` when the error names a delay. Errors never hold secrets,
    /// so the message is safe to return.
    pub fn from_error(error: &Error) -> Self {
        let mut response = Self::json(
            error.kind().http_status(),
            &serde_json::json!({ "error": error.kind().as_str(), "message": error.message() }),
        );
        if let Some(after) = error.retry_after() {
            let seconds = after.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::try_from(seconds) {
                response.headers.insert(http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}
