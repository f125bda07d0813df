#![doc = include_str!("../README.md")]

mod auth;
mod conversations;
mod credentials;
mod error;
mod events;
mod export;
mod extract;
mod rows;
mod session_routes;
mod throttle;
mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post};
use tokio::sync::broadcast;
use unibox_core::Hub;
use unibox_core::session::{SessionId, SessionManager};

pub use auth::{AgentSession, CSRF_HEADER, Via};
pub use credentials::PasswordVerifier;
pub use error::ApiError;
pub use rows::{InboxRow, RowChannel, RowContact, RowMessage, WindowState};
use throttle::SignInThrottle;
pub use throttle::ThrottleConfig;

/// The name of the session cookie unless [`AgentApi::cookie_name`] changes it.
pub const DEFAULT_COOKIE_NAME: &str = "unibox_session";

/// How often an event stream checks its session unless [`AgentApi::session_check_interval`]
/// changes it.
pub const DEFAULT_SESSION_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// The agent API: build one around a [`Hub`], a [`SessionManager`] and the application's
/// [`PasswordVerifier`], then mount [`router`](AgentApi::router) in any axum app.
///
/// Every read and action goes through the hub, so its policy, audit trail and outbox apply;
/// every request is scoped to the signed-in user's tenant. The session cookie is `HttpOnly`,
/// `SameSite=Strict` and `Secure` (turn `Secure` off only for plain-HTTP loopback trials with
/// [`secure_cookie`](AgentApi::secure_cookie)).
///
/// ```
/// # fn show(hub: unibox_core::Hub, sessions: unibox_core::session::SessionManager, users: impl unibox_agent_api::PasswordVerifier) {
/// use std::sync::Arc;
/// use unibox_agent_api::AgentApi;
/// let api = AgentApi::new(hub, Arc::new(sessions), Arc::new(users));
/// let app: axum::Router = axum::Router::new().nest("/api", api.router());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AgentApi {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Inner {
    hub: Hub,
    sessions: Arc<SessionManager>,
    verifier: Arc<dyn PasswordVerifier>,
    cookie: CookieSettings,
    allowed_origins: Vec<String>,
    /// How often an event stream checks that its session is still live.
    session_check_interval: Duration,
    /// Sessions signed out or terminated through this API, announced to their event streams.
    ended_sessions: broadcast::Sender<SessionId>,
    throttle: Arc<SignInThrottle>,
    /// The header a trusted reverse proxy puts the client's address in.
    client_address_header: Option<http::HeaderName>,
}

#[derive(Debug, Clone)]
struct CookieSettings {
    name: String,
    secure: bool,
    path: String,
}

impl AgentApi {
    /// An API over `hub`, signing users in with `sessions` after `verifier` accepted their
    /// password.
    ///
    /// ```
    /// # fn show(hub: unibox_core::Hub, sessions: std::sync::Arc<unibox_core::session::SessionManager>, users: std::sync::Arc<dyn unibox_agent_api::PasswordVerifier>) {
    /// let api = unibox_agent_api::AgentApi::new(hub, sessions, users);
    /// # }
    /// ```
    pub fn new(hub: Hub, sessions: Arc<SessionManager>, verifier: Arc<dyn PasswordVerifier>) -> Self {
        let cookie = CookieSettings { name: DEFAULT_COOKIE_NAME.to_string(), secure: true, path: "/".to_string() };
        AgentApi {
            inner: Arc::new(Inner {
                hub,
                sessions,
                verifier,
                cookie,
                allowed_origins: Vec::new(),
                session_check_interval: DEFAULT_SESSION_CHECK_INTERVAL,
                ended_sessions: broadcast::channel(256).0,
                throttle: Arc::new(SignInThrottle::new(ThrottleConfig::default())),
                client_address_header: None,
            }),
        }
    }

    /// Changes this API's settings (clones made before keep theirs).
    fn edit(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        change(Arc::make_mut(&mut self.inner));
        self
    }

    /// Whether the session cookie is `Secure` (default `true`: sent over HTTPS only). Turn it
    /// off only to try the API over plain HTTP on loopback.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.secure_cookie(false);
    /// # }
    /// ```
    pub fn secure_cookie(self, secure: bool) -> Self {
        self.edit(|inner| inner.cookie.secure = secure)
    }

    /// The session cookie's name (default [`DEFAULT_COOKIE_NAME`]).
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.cookie_name("inbox_session");
    /// # }
    /// ```
    pub fn cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.edit(|inner| inner.cookie.name = name)
    }

    /// The session cookie's `Path` (default `/`).
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.cookie_path("/api");
    /// # }
    /// ```
    pub fn cookie_path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.edit(|inner| inner.cookie.path = path)
    }

    /// Accepts cookie-session requests from this origin (`https://inbox.example.com`) besides
    /// the API's own host: for a page served from another origin.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.allow_origin("https://inbox.example.com");
    /// # }
    /// ```
    pub fn allow_origin(self, origin: impl Into<String>) -> Self {
        let origin = origin.into();
        self.edit(|inner| inner.allowed_origins.push(origin))
    }

    /// How often an open event stream (`GET /events`) checks that its session is still live
    /// (default [`DEFAULT_SESSION_CHECK_INTERVAL`]): a session that timed out, or was ended
    /// outside this API, closes its streams within this time. Signing out or terminating a
    /// session through this API closes its streams at once.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.session_check_interval(std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn session_check_interval(self, interval: Duration) -> Self {
        self.edit(|inner| inner.session_check_interval = interval.max(Duration::from_millis(10)))
    }

    /// How failed sign-ins are throttled (default [`ThrottleConfig::default`]).
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// use unibox_agent_api::ThrottleConfig;
    /// let api = api.sign_in_throttle(ThrottleConfig::default().free_failures(3));
    /// # }
    /// ```
    pub fn sign_in_throttle(self, config: ThrottleConfig) -> Self {
        self.edit(|inner| inner.throttle = Arc::new(SignInThrottle::new(config)))
    }

    /// Behind a reverse proxy: the header it puts the client's address in
    /// (`x-forwarded-for`, `x-real-ip`); its last value is used. Without it the client address
    /// is the connection's peer, when the server provides it (axum's `ConnectInfo`, which
    /// `unibox_server_axum::serve` and `into_make_service_with_connect_info` both set). Set it
    /// only when a proxy you run overwrites the header: clients can send it themselves.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let api = api.client_address_header(http::HeaderName::from_static("x-forwarded-for"));
    /// # }
    /// ```
    pub fn client_address_header(self, name: http::HeaderName) -> Self {
        self.edit(|inner| inner.client_address_header = Some(name))
    }

    /// The client address of a request: the trusted proxy header's last value when one is
    /// configured, else the connection's peer.
    pub(crate) fn client_address(
        &self,
        headers: &http::HeaderMap,
        extensions: &http::Extensions,
    ) -> Option<std::net::IpAddr> {
        if let Some(name) = &self.inner.client_address_header {
            return headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .and_then(|last| last.trim().parse().ok());
        }
        extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
    }

    /// The hub.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) { let _ = api.hub().store_capabilities(); }
    /// ```
    pub fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    /// The session manager.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) { let _ = api.sessions().config(); }
    /// ```
    pub fn sessions(&self) -> &Arc<SessionManager> {
        &self.inner.sessions
    }

    /// The routes, relative to where they are mounted (listed by [`routes`]). Nest them under
    /// a prefix: `Router::new().nest("/api", api.router())`.
    ///
    /// ```
    /// # fn show(api: unibox_agent_api::AgentApi) {
    /// let app: axum::Router = axum::Router::new().nest("/api", api.router());
    /// # }
    /// ```
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let mut paths: Vec<(&'static str, MethodRouter<AgentApi>)> = Vec::new();
        for (_, path, handler) in table() {
            match paths.iter_mut().find(|(known, _)| *known == path) {
                Some((_, merged)) => *merged = std::mem::take(merged).merge(handler),
                None => paths.push((path, handler)),
            }
        }
        let router = paths.into_iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler));
        router.with_state(self.clone())
    }
}

/// The one table of routes: [`AgentApi::router`] serves exactly these, [`routes`] lists them,
/// and a test checks `openapi.json` against both.
fn table() -> Vec<(&'static str, &'static str, MethodRouter<AgentApi>)> {
    use conversations as c;
    use session_routes as s;
    vec![
        ("GET", "/session", get(s::current)),
        ("POST", "/session", post(s::sign_in)),
        ("DELETE", "/session", delete(s::sign_out)),
        ("POST", "/session/second-factor", post(s::second_factor)),
        ("GET", "/sessions", get(s::list)),
        ("DELETE", "/sessions/{id}", delete(s::terminate)),
        ("GET", "/accounts", get(c::accounts)),
        ("GET", "/agents", get(c::agents)),
        ("GET", "/conversations", get(c::list)),
        ("GET", "/conversations/{id}", get(c::one)),
        ("GET", "/conversations/{id}/messages", get(c::messages)),
        ("POST", "/conversations/{id}/messages", post(c::reply)),
        ("GET", "/conversations/{id}/notes", get(c::notes)),
        ("POST", "/conversations/{id}/notes", post(c::add_note)),
        ("POST", "/conversations/{id}/assignee", post(c::assign)),
        ("POST", "/conversations/{id}/tags", post(c::tags)),
        ("POST", "/conversations/{id}/resolve", post(c::resolve)),
        ("POST", "/conversations/{id}/reopen", post(c::reopen)),
        ("POST", "/conversations/{id}/snooze", post(c::snooze)),
        ("POST", "/conversations/{id}/read", post(c::mark_read)),
        ("GET", "/conversations/{id}/orders", get(c::orders)),
        ("GET", "/contacts/{id}", get(c::contact)),
        ("GET", "/search", get(c::search)),
        ("GET", "/events", get(events::stream)),
        ("GET", "/export", get(export::download)),
    ]
}

/// Every route of [`AgentApi::router`] as (method, path), in axum's path syntax: what
/// `openapi.json` must describe.
///
/// ```
/// assert!(unibox_agent_api::routes().contains(&("GET", "/conversations")));
/// ```
pub fn routes() -> Vec<(&'static str, &'static str)> {
    table().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The OpenAPI 3.1 description of the routes, as committed in `openapi.json`.
///
/// ```
/// assert!(unibox_agent_api::OPENAPI.contains("\"openapi\""));
/// ```
pub const OPENAPI: &str = include_str!("../openapi.json");
