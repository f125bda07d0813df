//! Signed calls to Lazada's Open Platform: every parameter (system and business, the access
//! token included) in an `application/x-www-form-urlencoded` POST body, never in the URL, with
//! `sign` computed over them (`signing.rs`).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::Timestamp;
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use url::Url;

use crate::LazadaConfig;
use crate::signing::request_signature;

/// Which host a call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// The country API host (`api.lazada.sg/rest`).
    Api,
    /// The token host (`auth.lazada.com/rest`).
    Auth,
}

/// Calls Lazada's API through an [`HttpClient`].
#[derive(Clone)]
pub(crate) struct LazadaApi {
    client: Arc<dyn HttpClient>,
}

impl fmt::Debug for LazadaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazadaApi").field("client", &self.client).finish()
    }
}

impl LazadaApi {
    pub(crate) fn new(client: Arc<dyn HttpClient>) -> Self {
        LazadaApi { client }
    }

    /// `POST {host}{api_path}` with `parameters`, the system parameters (`app_key`,
    /// `timestamp` in milliseconds, `sign_method`, `access_token` when given) and `sign`.
    pub(crate) async fn call(
        &self,
        config: &LazadaConfig,
        host: Host,
        api_path: &str,
        parameters: &[(&str, &str)],
        access_token: Option<&SecretString>,
        now: Timestamp,
    ) -> Result<HttpResponse, HttpError> {
        let base = match host {
            Host::Api => &config.api_base_url,
            Host::Auth => &config.auth_base_url,
        };
        let url = endpoint(base, api_path)?;
        let timestamp = now.as_unix_millis().to_string();
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(parameters.len() + 5);
        all.extend_from_slice(parameters);
        all.push(("app_key", config.app.key()));
        all.push(("timestamp", &timestamp));
        all.push(("sign_method", "sha256"));
        if let Some(token) = access_token {
            all.push(("access_token", token.expose_secret()));
        }
        let sign = request_signature(config.app.current_secret().expose_secret(), api_path, &all, None);
        let form = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &all {
                form.append_pair(name, value);
            }
            form.append_pair("sign", &sign);
            form.finish()
        };
        let request: HttpRequest = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
            .body(Bytes::from(form))
            // The error names no value, so neither the token nor the signature can leak through it.
            .map_err(|_| HttpError::new(HttpErrorKind::InvalidRequest, "the Lazada request could not be built"))?;
        self.client.execute(request).await
    }
}

/// `{base}{api_path}` with the path appended (`…/rest` + `/im/message/send`).
fn endpoint(base: &Url, api_path: &str) -> Result<Url, HttpError> {
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), api_path);
    Url::parse(&joined)
        .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, format!("cannot build the Lazada URL: {e}")))
}
