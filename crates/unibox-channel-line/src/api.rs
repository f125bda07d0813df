//! The HTTP calls to LINE's API: JSON with the channel access token as a Bearer header (never
//! in the URL), and the form posts of token issuance.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use url::Url;

/// The header that makes a push idempotent.
pub(crate) const RETRY_KEY_HEADER: &str = "x-line-retry-key";
/// The id LINE gives every request.
pub(crate) const REQUEST_ID_HEADER: &str = "x-line-request-id";
/// On a 409, the id of the request that was accepted earlier with the same retry key.
pub(crate) const ACCEPTED_REQUEST_ID_HEADER: &str = "x-line-accepted-request-id";

/// Calls LINE's API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct LineApi {
    client: Arc<dyn HttpClient>,
    base: Url,
}

impl fmt::Debug for LineApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineApi").field("client", &self.client).field("base", &self.base.as_str()).finish()
    }
}

impl LineApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>, base: Url) -> Self {
        LineApi { client, base }
    }

    fn url(&self, path: &str) -> Result<Url, HttpError> {
        unibox_core::http::url_under(&self.base, path)
            .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, format!("cannot build the LINE URL: {e}")))
    }

    /// `POST {path}` with a JSON body, the token as `Authorization: Bearer`, and the retry key
    /// when given.
    pub(crate) async fn post_json(
        &self,
        path: &str,
        token: &SecretString,
        body: &serde_json::Value,
        retry_key: Option<&str>,
    ) -> Result<HttpResponse, HttpError> {
        let mut builder = http::Request::post(self.url(path)?.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
        if let Some(key) = retry_key {
            builder = builder.header(RETRY_KEY_HEADER, key);
        }
        let request: HttpRequest = builder
            .body(Bytes::from(body.to_string()))
            // The error names no header value, so the token cannot leak through it.
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the LINE request could not be built"))?;
        self.client.execute(request).await
    }

    /// `GET {path}` with the token as `Authorization: Bearer`.
    pub(crate) async fn get(&self, path: &str, token: &SecretString) -> Result<HttpResponse, HttpError> {
        let request: HttpRequest = http::Request::get(self.url(path)?.as_str())
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
            .body(Bytes::new())
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the LINE request could not be built"))?;
        self.client.execute(request).await
    }

    /// `POST {path}` with an `application/x-www-form-urlencoded` body (token issuance).
    pub(crate) async fn post_form(&self, path: &str, form: String) -> Result<HttpResponse, HttpError> {
        let request: HttpRequest = http::Request::post(self.url(path)?.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from(form))
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the LINE request could not be built"))?;
        self.client.execute(request).await
    }
}

/// A header's value, if present and valid UTF-8.
pub(crate) fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
