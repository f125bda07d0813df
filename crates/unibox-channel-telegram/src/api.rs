//! The HTTP calls to the Bot API: `POST {base}/bot<token>/<method>` with a JSON body, or a
//! `multipart/form-data` one for uploads.
//!
//! The token is in the URL path, so the URL never leaves this module: requests are built here,
//! errors carry the method name only, and a transport error's text is redacted before it
//! becomes an error source.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use unibox_core::http::{HttpClient, HttpErrorKind, HttpRequest, HttpResponse, MultipartForm};
use url::Url;

use crate::BotToken;

/// A transport failure with the bot token redacted from its text.
#[derive(Debug)]
pub(crate) struct TransportError {
    pub(crate) kind: HttpErrorKind,
    pub(crate) text: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for TransportError {}

/// Calls the Bot API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct BotApi {
    client: Arc<dyn HttpClient>,
    base: Url,
}

impl fmt::Debug for BotApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotApi").field("client", &self.client).field("base", &self.base.as_str()).finish()
    }
}

impl BotApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>, base: Url) -> Self {
        BotApi { client, base }
    }

    /// `POST bot<token>/<method>` with `body` as JSON.
    pub(crate) async fn call(
        &self,
        token: &BotToken,
        method: &str,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, TransportError> {
        self.post(token, method, "application/json", Bytes::from(body.to_string())).await
    }

    /// `POST bot<token>/<method>` with `form` as `multipart/form-data` (file uploads).
    pub(crate) async fn call_multipart(
        &self,
        token: &BotToken,
        method: &str,
        form: &MultipartForm,
    ) -> Result<HttpResponse, TransportError> {
        self.post(token, method, &form.content_type(), form.to_bytes()).await
    }

    async fn post(
        &self,
        token: &BotToken,
        method: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<HttpResponse, TransportError> {
        let invalid = |what: &str| TransportError {
            kind: HttpErrorKind::InvalidRequest,
            text: format!("the Bot API request for {method} could not be built ({what})"),
        };
        // The base URL's own path is kept (a local Bot API server may live under one). `./`
        // because `bot123:AA…` alone would read as a URL whose scheme is `bot123`.
        let url = self
            .base
            .join(&format!("./bot{}/{method}", token.expose()))
            .map_err(|_| invalid("check the API base URL"))?;
        let request: HttpRequest = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, content_type)
            .body(body)
            // The error would describe the URL: it is dropped.
            .map_err(|_| invalid("invalid URL"))?;
        self.client.execute(request).await.map_err(|error| TransportError {
            kind: error.kind(),
            // A custom client may quote the URL: the token is redacted from whatever it says.
            text: token.redact(&error.to_string()),
        })
    }
}

impl BotApi {
    /// `GET file/bot<token>/<file_path>`: a file `getFile` made ready for download. The URL
    /// holds the token, like every Bot API URL, so it too is built and dropped here.
    pub(crate) async fn download(&self, token: &BotToken, file_path: &str) -> Result<HttpResponse, TransportError> {
        let invalid = |what: &str| TransportError {
            kind: HttpErrorKind::InvalidRequest,
            text: format!("the Bot API file download could not be built ({what})"),
        };
        // A file path is Telegram's (`photos/file_12.jpg`), but it is not trusted to stay under
        // the bot's file directory: no `..`, no absolute path, no query or fragment.
        let safe = !file_path.is_empty()
            && !file_path.starts_with('/')
            && file_path.split('/').all(|segment| !segment.is_empty() && segment != "." && segment != "..")
            && !file_path.contains(['?', '#', '\\', '%']);
        if !safe {
            return Err(invalid("the file path Telegram gave is not a plain relative path"));
        }
        let url = self
            .base
            .join(&format!("./file/bot{}/{file_path}", token.expose()))
            .map_err(|_| invalid("check the API base URL"))?;
        let request: HttpRequest =
            http::Request::get(url.as_str()).body(Bytes::new()).map_err(|_| invalid("invalid URL"))?;
        self.client
            .execute(request)
            .await
            .map_err(|error| TransportError { kind: error.kind(), text: token.redact(&error.to_string()) })
    }
}

/// A header's value, if present and valid UTF-8.
pub(crate) fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
