//! [`GraphClient`]: Graph API calls over the [`HttpClient`] port, with the token in the
//! `Authorization` header (never in the URL) and `appsecret_proof` on every call.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use unibox_core::http::{HttpClient, HttpRequest, HttpResponse};
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

use crate::{AppSecret, GRAPH_API_BASE, GRAPH_API_VERSION, INSTAGRAM_API_BASE, MultipartForm};
use crate::{error_from_response, error_from_transport};

/// A Graph API client: one host, one version, an optional app secret for `appsecret_proof`.
///
/// Every call sends the access token as `Authorization: Bearer`, so tokens never appear in
/// URLs (which end up in proxy logs and error messages), and adds `appsecret_proof` when an
/// app secret is configured. Non-2xx answers become [`Error`]s through the Graph error table
/// ([`error_from_response`]).
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_meta::{AppSecret, GraphClient};
/// use unibox_core::http::ReqwestClient;
/// let graph = GraphClient::new(Arc::new(ReqwestClient::new())).with_app_secret(AppSecret::new("appsecret"));
/// assert_eq!(graph.url("104738291837465/messages").unwrap().as_str(),
///     "https://graph.facebook.com/v23.0/104738291837465/messages");
/// ```
#[derive(Clone)]
pub struct GraphClient {
    http: Arc<dyn HttpClient>,
    base: Url,
    version: String,
    app_secret: Option<AppSecret>,
}

/// Whether a call changes something on Meta's side; decides how a lost answer is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Read,
    Write,
}

impl GraphClient {
    /// A client for `graph.facebook.com` at [`GRAPH_API_VERSION`].
    pub fn new(http: Arc<dyn HttpClient>) -> Self {
        let base = Url::parse(GRAPH_API_BASE).unwrap_or_else(|_| unreachable!("GRAPH_API_BASE is a valid URL"));
        GraphClient { http, base, version: GRAPH_API_VERSION.to_owned(), app_secret: None }
    }

    /// A client for `graph.instagram.com` (Instagram API with Instagram Login).
    pub fn instagram(http: Arc<dyn HttpClient>) -> Self {
        let base = Url::parse(INSTAGRAM_API_BASE).unwrap_or_else(|_| unreachable!("INSTAGRAM_API_BASE is a valid URL"));
        GraphClient { base, ..Self::new(http) }
    }

    /// Calls another host (a fake Graph API in tests, a proxy).
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base = base;
        self
    }

    /// Uses another Graph API version than [`GRAPH_API_VERSION`].
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Adds `appsecret_proof` to every call that carries a token.
    pub fn with_app_secret(mut self, secret: AppSecret) -> Self {
        self.app_secret = Some(secret);
        self
    }

    /// The host calls go to.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The versioned URL of a Graph path (`{base}/{version}/{path}`).
    pub fn url(&self, path: &str) -> Result<Url> {
        self.join(&format!("{}/{}", self.version, path.trim_start_matches('/')))
    }

    /// The URL of an unversioned path (Instagram's `refresh_access_token`).
    pub fn unversioned_url(&self, path: &str) -> Result<Url> {
        self.join(path.trim_start_matches('/'))
    }

    fn join(&self, path: &str) -> Result<Url> {
        unibox_core::http::url_under(&self.base, path).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("not a valid Graph path: {e}")).with_operation("meta.graph")
        })
    }

    /// GETs a Graph path with query parameters and decodes the JSON answer.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&SecretString>,
    ) -> Result<T> {
        let url = self.url(path)?;
        self.get_url(url, query, token).await
    }

    /// GETs an absolute URL built with [`url`](Self::url) or [`unversioned_url`](Self::unversioned_url).
    pub async fn get_url<T: DeserializeOwned>(
        &self,
        mut url: Url,
        query: &[(&str, &str)],
        token: Option<&SecretString>,
    ) -> Result<T> {
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let response = self.execute(Method::GET, url, token, None, Effect::Read).await?;
        decode(&response)
    }

    /// POSTs a JSON body to a Graph path and decodes the JSON answer. A lost answer is
    /// `DeliveryUnknown`: the call may have taken effect.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &SecretString,
        body: &impl Serialize,
    ) -> Result<T> {
        let body = serde_json::to_vec(body).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("the request body cannot be encoded: {e}"))
                .with_operation("meta.graph")
        })?;
        let url = self.url(path)?;
        let response = self
            .execute(Method::POST, url, Some(token), Some(("application/json", body.into())), Effect::Write)
            .await?;
        decode(&response)
    }

    /// DELETEs a Graph path (`me/permissions` to revoke a token's grants) and decodes the
    /// JSON answer (`{"success": true}`).
    pub async fn delete<T: DeserializeOwned>(&self, path: &str, token: &SecretString) -> Result<T> {
        let url = self.url(path)?;
        let response = self.execute(Method::DELETE, url, Some(token), None, Effect::Write).await?;
        decode(&response)
    }

    /// POSTs `application/x-www-form-urlencoded` fields, keeping secrets (client secrets,
    /// tokens being exchanged) in the body instead of the URL.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        url: Url,
        token: Option<&SecretString>,
        fields: &[(&str, &str)],
    ) -> Result<T> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .execute(Method::POST, url, token, Some(("application/x-www-form-urlencoded", body.into())), Effect::Write)
            .await?;
        decode(&response)
    }

    /// POSTs a multipart form (attachment and media uploads) to a Graph path.
    pub async fn post_multipart<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &SecretString,
        form: &MultipartForm,
    ) -> Result<T> {
        let url = self.url(path)?;
        let content_type = form.content_type();
        let response = self
            .execute(Method::POST, url, Some(token), Some((content_type.as_str(), form.to_bytes())), Effect::Write)
            .await?;
        decode(&response)
    }

    /// GETs raw bytes from `url` with the token as a Bearer header (WhatsApp media URLs need
    /// it). The URL must be HTTPS, or on the configured Graph host (a fake one in tests), so
    /// the token is never sent in the clear to a host Meta did not name.
    pub async fn download(&self, url: &Url, token: &SecretString) -> Result<Bytes> {
        let same_host =
            url.host_str() == self.base.host_str() && url.port_or_known_default() == self.base.port_or_known_default();
        if url.scheme() != "https" && !same_host {
            return Err(Error::new(ErrorKind::InvalidInput, "media is only downloaded over HTTPS")
                .with_operation("meta.download"));
        }
        let response = self.send(Method::GET, url.clone(), Some(token), None, false, Effect::Read).await?;
        Ok(response.into_body())
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        token: Option<&SecretString>,
        body: Option<(&str, Bytes)>,
        effect: Effect,
    ) -> Result<HttpResponse> {
        self.send(method, url, token, body, true, effect).await
    }

    async fn send(
        &self,
        method: Method,
        mut url: Url,
        token: Option<&SecretString>,
        body: Option<(&str, Bytes)>,
        with_proof: bool,
        effect: Effect,
    ) -> Result<HttpResponse> {
        if let (true, Some(secret), Some(token)) = (with_proof, &self.app_secret, token) {
            url.query_pairs_mut().append_pair("appsecret_proof", &secret.appsecret_proof(token));
        }
        let mut builder = http::Request::builder().method(method).uri(url.as_str());
        if let Some(token) = token {
            let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
                Error::new(ErrorKind::Configuration, "the access token contains characters not allowed in a header")
                    .with_operation("meta.graph")
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let body = match body {
            Some((content_type, bytes)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                bytes
            }
            None => Bytes::new(),
        };
        let request: HttpRequest = builder.body(body).map_err(|e| {
            Error::new(ErrorKind::Configuration, format!("the Graph request could not be built: {e}"))
                .with_operation("meta.graph")
        })?;
        let response =
            self.http.execute(request).await.map_err(|error| error_from_transport(error, effect == Effect::Write))?;
        if !response.status().is_success() {
            return Err(error_from_response(response.status().as_u16(), response.headers(), response.body()));
        }
        Ok(response)
    }
}

fn decode<T: DeserializeOwned>(response: &HttpResponse) -> Result<T> {
    serde_json::from_slice(response.body()).map_err(|e| {
        Error::new(ErrorKind::Unexpected, format!("the Graph API answered with unexpected JSON: {e}"))
            .with_operation("meta.graph")
    })
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .field("version", &self.version)
            .field("app_secret", &self.app_secret.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}
