//! The [`HttpClient`] port. Channels call platforms through it, so no reqwest (or any other
//! client's) type appears in unibox's public API, and tests can substitute their own.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

mod multipart;

pub use multipart::MultipartForm;

/// The URL of `path` under `base`, keeping the base's whole path: a platform API configured at
/// `http://proxy.internal/line` is called at `http://proxy.internal/line/v2/...`, with or
/// without a trailing slash on the base and a leading slash on the path. (`Url::join` alone
/// would replace the base's last segment, or its whole path for an absolute path.)
///
/// ```
/// use unibox_core::http::url_under;
/// let base: url::Url = "http://proxy.internal/line".parse().unwrap();
/// assert_eq!(url_under(&base, "/v2/bot/message/push").unwrap().as_str(), "http://proxy.internal/line/v2/bot/message/push");
/// let root: url::Url = "https://api.line.me".parse().unwrap();
/// assert_eq!(url_under(&root, "v2/bot/info").unwrap().as_str(), "https://api.line.me/v2/bot/info");
/// ```
pub fn url_under(base: &url::Url, path: &str) -> Result<url::Url, url::ParseError> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let directory = format!("{}/", base.path());
        base.set_path(&directory);
    }
    base.join(path.trim_start_matches('/'))
}

/// An outgoing request.
pub type HttpRequest = http::Request<Bytes>;
/// A response with its whole body.
pub type HttpResponse = http::Response<Bytes>;

/// How a request failed before a response arrived. The distinction decides whether a
/// non-idempotent send may be retried: only when it is known not to have been delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// No connection was made: the request was not delivered; retrying is safe.
    Connect,
    /// The request may have been sent, but no complete response arrived in time.
    Timeout,
    /// The connection broke after the request started: it may have been delivered.
    Interrupted,
    /// The request could not be built (bad URL, bad header).
    InvalidRequest,
}

/// A transport failure.
///
/// ```
/// use unibox_core::http::{HttpError, HttpErrorKind};
/// let err = HttpError::new(HttpErrorKind::Connect, "connection refused");
/// assert!(err.was_not_sent());
/// ```
#[derive(Debug)]
pub struct HttpError {
    kind: HttpErrorKind,
    message: String,
}

impl HttpError {
    /// A failure of `kind`. The message must not contain the request's URL if it carries a
    /// secret (Telegram puts the bot token in the path).
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError { kind, message: message.into() }
    }

    /// What failed.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// True when the request certainly did not reach the server.
    pub fn was_not_sent(&self) -> bool {
        matches!(self.kind, HttpErrorKind::Connect | HttpErrorKind::InvalidRequest)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            HttpErrorKind::Connect => "could not connect",
            HttpErrorKind::Timeout => "timed out",
            HttpErrorKind::Interrupted => "connection interrupted",
            HttpErrorKind::InvalidRequest => "invalid request",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for HttpError {}

/// Sends HTTP requests for channels.
///
/// ```
/// use async_trait::async_trait;
/// use unibox_core::http::{HttpClient, HttpError, HttpRequest, HttpResponse};
///
/// /// A client that answers every request with 204, for tests.
/// #[derive(Debug)]
/// struct NoContent;
///
/// #[async_trait]
/// impl HttpClient for NoContent {
///     async fn execute(&self, _request: HttpRequest) -> Result<HttpResponse, HttpError> {
///         Ok(http::Response::builder().status(204).body(bytes::Bytes::new()).unwrap())
///     }
/// }
/// ```
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug + 'static {
    /// Sends the request and reads the whole response body.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

#[cfg(feature = "reqwest")]
mod reqwest_client {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};

    /// The default [`HttpClient`], backed by reqwest with rustls. Clone it freely: clones
    /// share one connection pool.
    ///
    /// ```
    /// let client = unibox_core::http::ReqwestClient::new();
    /// # drop(client);
    /// ```
    #[derive(Clone, Debug)]
    pub struct ReqwestClient {
        client: reqwest::Client,
    }

    impl ReqwestClient {
        /// A client with a 10-second connect timeout and a 30-second overall timeout, which
        /// follows no redirects (a platform API never needs them; a webhook target should
        /// not be able to bounce a signed request elsewhere).
        pub fn new() -> Self {
            Self::with_timeouts(Duration::from_secs(10), Duration::from_secs(30))
        }

        /// A client with the given timeouts.
        pub fn with_timeouts(connect: Duration, overall: Duration) -> Self {
            let client = reqwest::Client::builder()
                .connect_timeout(connect)
                .timeout(overall)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_else(|_| reqwest::Client::new());
            ReqwestClient { client }
        }
    }

    impl Default for ReqwestClient {
        fn default() -> Self {
            Self::new()
        }
    }

    fn classify(error: &reqwest::Error) -> HttpErrorKind {
        if error.is_connect() {
            HttpErrorKind::Connect
        } else if error.is_timeout() {
            HttpErrorKind::Timeout
        } else if error.is_builder() {
            HttpErrorKind::InvalidRequest
        } else {
            HttpErrorKind::Interrupted
        }
    }

    fn describe(error: reqwest::Error) -> HttpError {
        let kind = classify(&error);
        // The URL may carry a secret (Telegram's bot token is in the path): drop it.
        let error = error.without_url();
        HttpError::new(kind, error.to_string())
    }

    #[async_trait]
    impl HttpClient for ReqwestClient {
        async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, e.without_url().to_string()))?;
            let response = self.client.execute(request).await.map_err(describe)?;
            let mut builder = http::Response::builder().status(response.status());
            if let Some(headers) = builder.headers_mut() {
                headers.extend(response.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let body = response.bytes().await.map_err(describe)?;
            builder.body(body).map_err(|e| HttpError::new(HttpErrorKind::Interrupted, e.to_string()))
        }
    }
}

#[cfg(feature = "reqwest")]
pub use reqwest_client::ReqwestClient;
