//! The HTTP calls to Twilio's REST API: form posts and GETs with HTTP Basic credentials in the
//! `Authorization` header (marked sensitive), never in the URL.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use url::Url;

use crate::config::display_url;

/// Calls Twilio's API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct TwilioApi {
    client: Arc<dyn HttpClient>,
    base: Url,
}

impl fmt::Debug for TwilioApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioApi").field("client", &self.client).field("base", &display_url(&self.base)).finish()
    }
}

fn unbuildable() -> HttpError {
    // The error names no header value, so the credentials cannot leak through it.
    HttpError::new(HttpErrorKind::InvalidRequest, "the Twilio request could not be built")
}

fn sensitive(authorization: &str) -> Result<HeaderValue, HttpError> {
    let mut value = HeaderValue::from_str(authorization).map_err(|_| unbuildable())?;
    value.set_sensitive(true);
    Ok(value)
}

impl TwilioApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>, base: Url) -> Self {
        TwilioApi { client, base }
    }

    /// The API base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// `POST {path}` with a form body and the `Authorization` header.
    pub(crate) async fn post_form(
        &self,
        path: &str,
        authorization: &str,
        form: String,
    ) -> Result<HttpResponse, HttpError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, format!("cannot build the Twilio URL: {e}")))?;
        let request: HttpRequest = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(AUTHORIZATION, sensitive(authorization)?)
            .body(Bytes::from(form))
            .map_err(|_| unbuildable())?;
        self.client.execute(request).await
    }

    /// `GET url`, with the `Authorization` header when given.
    pub(crate) async fn get(&self, url: &Url, authorization: Option<&str>) -> Result<HttpResponse, HttpError> {
        let mut builder = http::Request::get(url.as_str());
        if let Some(authorization) = authorization {
            builder = builder.header(AUTHORIZATION, sensitive(authorization)?);
        }
        let request: HttpRequest = builder.body(Bytes::new()).map_err(|_| unbuildable())?;
        self.client.execute(request).await
    }
}
