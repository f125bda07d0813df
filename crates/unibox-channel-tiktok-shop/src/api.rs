//! Signed calls to TikTok Shop's Partner API: `app_key`, `timestamp` (seconds), `shop_cipher`
//! and `sign` in the query, the access token in `x-tts-access-token`, a JSON body signed as
//! sent; and the unsigned token endpoints.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use http::header::CONTENT_TYPE;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::Timestamp;
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use url::Url;

use crate::TikTokShopConfig;
use crate::signing::request_signature;

/// The header TikTok Shop reads the access token from.
pub(crate) const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";

/// One signed API call.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) shop_cipher: Option<&'a str>,
    /// Business query parameters (`page_size`, `page_token`, `ids`), signed with the rest.
    pub(crate) query: &'a [(&'a str, &'a str)],
    pub(crate) access_token: &'a SecretString,
    /// The JSON body, exactly as sent and signed.
    pub(crate) body: Option<Vec<u8>>,
}

/// Calls TikTok Shop's API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct TikTokShopApi {
    client: Arc<dyn HttpClient>,
}

impl fmt::Debug for TikTokShopApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TikTokShopApi").field("client", &self.client).finish()
    }
}

fn invalid(why: &str) -> HttpError {
    HttpError::new(HttpErrorKind::InvalidRequest, format!("cannot build the TikTok Shop request: {why}"))
}

fn endpoint(base: &Url, path: &str) -> Result<Url, HttpError> {
    Url::parse(&format!("{}{}", base.as_str().trim_end_matches('/'), path)).map_err(|e| invalid(&e.to_string()))
}

impl TikTokShopApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>) -> Self {
        TikTokShopApi { client }
    }

    /// A signed call on the API host.
    pub(crate) async fn call(
        &self,
        config: &TikTokShopConfig,
        call: Call<'_>,
        now: Timestamp,
    ) -> Result<HttpResponse, HttpError> {
        let mut url = endpoint(&config.api_base_url, call.path)?;
        let timestamp = now.as_unix_seconds().to_string();
        let mut query: Vec<(&str, &str)> = vec![("app_key", config.app.key()), ("timestamp", &timestamp)];
        if let Some(cipher) = call.shop_cipher {
            query.push(("shop_cipher", cipher));
        }
        query.extend_from_slice(call.query);
        let body = call.body.unwrap_or_default();
        let sign = request_signature(config.app.current_secret().expose_secret(), call.path, &query, &body);
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &query {
                pairs.append_pair(name, value);
            }
            pairs.append_pair("sign", &sign);
        }
        let request: HttpRequest = http::Request::builder()
            .method(call.method)
            .uri(url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCESS_TOKEN_HEADER, call.access_token.expose_secret())
            .body(Bytes::from(body))
            // The error names no header value, so the token cannot leak through it.
            .map_err(|_| invalid("a header or the URL is not valid"))?;
        self.client.execute(request).await
    }

    /// `GET {auth host}{path}?…` with `parameters`: the token endpoints, which TikTok Shop
    /// designed unsigned, with the app secret in the query.
    pub(crate) async fn token(
        &self,
        config: &TikTokShopConfig,
        path: &str,
        parameters: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        let mut url = endpoint(&config.auth_base_url, path)?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("app_key", config.app.key());
            pairs.append_pair("app_secret", config.app.current_secret().expose_secret());
            for (name, value) in parameters {
                pairs.append_pair(name, value);
            }
        }
        let request: HttpRequest =
            http::Request::get(url.as_str()).body(Bytes::new()).map_err(|_| invalid("the token URL is not valid"))?;
        self.client.execute(request).await
    }
}
