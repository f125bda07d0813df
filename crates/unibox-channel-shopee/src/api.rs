//! The HTTP calls to Shopee's API: common parameters (`partner_id`, `timestamp`, `sign`, and
//! `access_token` + `shop_id` for shop calls) in the query string, as Shopee requires also for
//! POST, and the business parameters as a JSON body.
//!
//! Shopee takes the access token in the URL. unibox never prints these URLs: errors name the
//! API path only, and the `Debug` of [`ShopeeApi`] shows the base URL.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use url::Url;

use crate::SignedCall;

/// Calls Shopee's API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct ShopeeApi {
    client: Arc<dyn HttpClient>,
    base: Url,
}

impl fmt::Debug for ShopeeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopeeApi").field("client", &self.client).field("base", &self.base.as_str()).finish()
    }
}

/// One signed request: the API path, who it acts for, the signing key and time.
pub(crate) struct Signed<'a> {
    pub(crate) path: &'static str,
    pub(crate) call: SignedCall<'a>,
    pub(crate) partner_id: u64,
    pub(crate) partner_key: &'a str,
    pub(crate) timestamp: i64,
}

impl Signed<'_> {
    /// `{base}{path}?partner_id=…&timestamp=…&sign=…[&access_token=…&shop_id=…]`.
    pub(crate) fn url(&self, base: &Url) -> Result<Url, HttpError> {
        let mut url = base.join(self.path.trim_start_matches('/')).map_err(|e| {
            HttpError::new(HttpErrorKind::InvalidRequest, format!("cannot build the Shopee URL for {}: {e}", self.path))
        })?;
        let sign = self.call.sign(self.partner_key, self.partner_id, self.path, self.timestamp);
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("partner_id", &self.partner_id.to_string())
                .append_pair("timestamp", &self.timestamp.to_string())
                .append_pair("sign", &sign);
            match self.call {
                SignedCall::Public => {}
                SignedCall::Shop { access_token, shop_id } => {
                    query.append_pair("access_token", access_token).append_pair("shop_id", &shop_id.to_string());
                }
                SignedCall::Merchant { access_token, merchant_id } => {
                    query
                        .append_pair("access_token", access_token)
                        .append_pair("merchant_id", &merchant_id.to_string());
                }
            }
        }
        Ok(url)
    }
}

impl ShopeeApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>, base: Url) -> Self {
        ShopeeApi { client, base }
    }

    /// `GET` a signed URL with business parameters `query` appended.
    pub(crate) async fn get(&self, signed: &Signed<'_>, query: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        let mut url = signed.url(&self.base)?;
        url.query_pairs_mut().extend_pairs(query);
        let request: HttpRequest = http::Request::get(url.as_str())
            .body(Bytes::new())
            // The error names no URL, so the token in its query cannot leak through it.
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the Shopee request could not be built"))?;
        self.client.execute(request).await
    }

    /// `POST` a JSON body to a signed URL.
    pub(crate) async fn post(&self, signed: &Signed<'_>, body: &serde_json::Value) -> Result<HttpResponse, HttpError> {
        let url = signed.url(&self.base)?;
        let request: HttpRequest = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Bytes::from(body.to_string()))
            // The error names no URL, so the token in its query cannot leak through it.
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the Shopee request could not be built"))?;
        self.client.execute(request).await
    }
}

/// A header's value, if present and valid UTF-8.
pub(crate) fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
