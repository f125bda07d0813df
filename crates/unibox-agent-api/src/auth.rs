//! Who is asking: the session of a request (cookie or bearer token), and the CSRF defences
//! for cookie sessions (a session-bound token in a custom header, and an Origin check).

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;
use http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unibox_core::Actor;
use unibox_core::session::{Session, SessionToken};

use crate::{AgentApi, ApiError};

/// The header carrying the CSRF token on unsafe requests of cookie sessions.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the request presented its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The session cookie (a browser): unsafe methods need the CSRF token.
    Cookie,
    /// `Authorization: Bearer` (a script or a native app): browsers never attach it by
    /// themselves, so no CSRF token is needed.
    Bearer,
}

/// The signed-in session of a request: an axum extractor for any state that holds the
/// [`AgentApi`], so an application's own routes can require the same sign-in.
///
/// A missing, unknown, ended or expired session answers 401; a session still waiting for
/// its second factor 403; an unsafe request of a cookie session without the right
/// `x-csrf-token` header, or from a foreign origin, 403.
///
/// ```
/// use axum::Router;
/// use axum::routing::get;
/// use unibox_agent_api::{AgentApi, AgentSession};
///
/// async fn whoami(session: AgentSession) -> String {
///     session.session().user.to_string()
/// }
/// fn app(api: AgentApi) -> Router {
///     Router::new().route("/whoami", get(whoami)).with_state(api)
/// }
/// ```
#[derive(Debug)]
pub struct AgentSession {
    session: Session,
    token: SessionToken,
    via: Via,
}

impl AgentSession {
    /// The session.
    ///
    /// ```
    /// fn user(session: &unibox_agent_api::AgentSession) -> &str { session.session().user.as_str() }
    /// ```
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The actor the request acts as.
    ///
    /// ```
    /// fn role(session: &unibox_agent_api::AgentSession) -> Option<unibox_core::Role> { session.actor().role() }
    /// ```
    pub fn actor(&self) -> Actor {
        self.session.actor()
    }

    /// How the session was presented.
    ///
    /// ```
    /// fn is_browser(session: &unibox_agent_api::AgentSession) -> bool { session.via() == unibox_agent_api::Via::Cookie }
    /// ```
    pub fn via(&self) -> Via {
        self.via
    }

    pub(crate) fn token(&self) -> &SessionToken {
        &self.token
    }
}

impl<S> FromRequestParts<S> for AgentSession
where
    AgentApi: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let api = AgentApi::from_ref(state);
        api.authenticate(&parts.method, &parts.headers).await
    }
}

impl AgentApi {
    /// The session of a request with these method and headers, checked like the
    /// [`AgentSession`] extractor does.
    ///
    /// ```
    /// # async fn show(api: unibox_agent_api::AgentApi) {
    /// let headers = http::HeaderMap::new();
    /// let refused = api.authenticate(&http::Method::GET, &headers).await.unwrap_err();
    /// assert_eq!(refused.kind(), unibox_core::ErrorKind::Unauthenticated);
    /// # }
    /// ```
    pub async fn authenticate(&self, method: &Method, headers: &HeaderMap) -> Result<AgentSession, ApiError> {
        let (token, via) = self.presented_token(headers).ok_or_else(ApiError::unauthenticated)?;
        if via == Via::Cookie && !is_safe(method) {
            self.check_origin(headers)?;
            check_csrf(headers, &token)?;
        }
        let session = self.inner.sessions.authenticate(&token).await?;
        Ok(AgentSession { session, token, via })
    }

    /// The token of the request: a bearer token first, else the session cookie.
    pub(crate) fn presented_token(&self, headers: &HeaderMap) -> Option<(SessionToken, Via)> {
        if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
            return (!token.is_empty()).then(|| (SessionToken::from(token.to_string()), Via::Bearer));
        }
        cookie(headers, &self.inner.cookie.name).map(|token| (SessionToken::from(token), Via::Cookie))
    }

    /// Refuses requests a browser sent from another site: the `Origin` header, when present,
    /// must be the page's own origin (same host as the request) or an allowed one; without it,
    /// `Sec-Fetch-Site` must not say `cross-site`.
    pub(crate) fn check_origin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let refused = || ApiError::forbidden("the request comes from another site");
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().map_err(|_| refused())?;
            if self.inner.allowed_origins.iter().any(|allowed| allowed == origin) {
                return Ok(());
            }
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).ok_or_else(refused)?;
            let origin_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
            return if origin_host == Some(host) { Ok(()) } else { Err(refused()) };
        }
        match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            Some("cross-site") => Err(refused()),
            _ => Ok(()),
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The CSRF token of a session: derived from its secret token, so only a page that was given
/// it (by the sign-in answer or `GET /session`, which other sites cannot read) knows it.
pub(crate) fn csrf_token(token: &SessionToken) -> String {
    let digest =
        Sha256::new().chain_update(b"unibox-agent-api csrf\0").chain_update(token.expose().as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn check_csrf(headers: &HeaderMap, token: &SessionToken) -> Result<(), ApiError> {
    let expected = csrf_token(token);
    let given = headers.get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if bool::from(given.ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "a cookie session's unsafe request needs the {CSRF_HEADER} header of its sign-in"
        )))
    }
}

/// The value of cookie `name`, if the request has it.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_string())
}
