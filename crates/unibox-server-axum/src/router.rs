//! [`WebhookServer`]: the options, and the axum [`Router`] they build.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use unibox_core::Hub;
use unibox_core::hub::DEFAULT_MAX_BODY_BYTES;
use url::Url;

use crate::admission::Admission;
use crate::request::{LastHost, PublicOrigin};
use crate::trace::PathOnlySpan;
use crate::{SENSITIVE_HEADERS, handler, health};

/// The webhook route: `{channel}` is the [`ChannelId`](unibox_core::ChannelId) the channel was
/// registered under with the hub. Meta's app-level webhook is one such channel: its events name
/// their pages, and the hub routes each to its tenant.
pub const WEBHOOK_PATH: &str = "/webhooks/{channel}";
/// Liveness: `200` while the process serves HTTP.
pub const HEALTH_PATH: &str = "/health";
/// Readiness: `200` when the store answers, `503` otherwise.
pub const READY_PATH: &str = "/ready";
/// A platform's data-deletion callback (POST), for a callback mounted with
/// [`WebhookServer::privacy_callback`].
pub const PRIVACY_DELETION_PATH: &str = "/privacy/{platform}/deletion";
/// A platform's deauthorization callback (POST).
pub const PRIVACY_DEAUTHORIZATION_PATH: &str = "/privacy/{platform}/deauthorization";
/// The public status page of a deletion request (GET `?code=`): give the callback
/// `https://<your host>/privacy/<platform>/status` as its status URL.
pub const PRIVACY_STATUS_PATH: &str = "/privacy/{platform}/status";

/// How many webhooks are verified and committed at once by default. Beyond the store's group
/// commit size more concurrency only adds latency.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// How long a webhook waits for a free slot before `503` by default.
pub const DEFAULT_ADMISSION_WAIT: Duration = Duration::from_millis(100);
/// The `Retry-After` of an overload `503` by default.
pub const DEFAULT_OVERLOAD_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long a sender may take to send its body by default (the body is read before a slot is
/// taken, so a slow sender holds only its own connection).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long readiness waits for the store by default.
pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Serves every channel registered with a [`Hub`] over HTTP.
///
/// Routes ([`router`](Self::router)):
///
/// | route | answers |
/// |---|---|
/// | `POST /webhooks/{channel}` | the channel's acknowledgement (`200`) once every event is durably committed; `401` bad signature, `400` malformed payload (the body says why), `404` unknown channel, or only events for unconnected accounts on a channel that refuses those (`Capabilities::unroutable_delivery`), `413` body over the limit (before it is read or hashed), `408` body too slow, `503` + `Retry-After` when overloaded or the store is failing |
/// | `GET /webhooks/{channel}` | the subscription handshake of channels that have one (Meta), without a body; `405` for the others and for a GET with a body |
/// | any other method | `405` with `Allow` (a signed `HEAD` is never a delivery) |
/// | `GET /health` | `200` (liveness) |
/// | `POST /privacy/{platform}/deletion`, `POST /privacy/{platform}/deauthorization`, `GET /privacy/{platform}/status` | the platform's privacy callback, when one is mounted ([`privacy_callback`](Self::privacy_callback)); `404` otherwise |
/// | `GET /ready` | `200` when the store answers a read and no webhook failed to be stored in the last 10 s (a full disk fails writes while reads work), `503` otherwise (readiness) |
///
/// Signature and token headers are marked sensitive before tracing sees them, and traces record
/// the path without the query. No route carries a token: the channel id is a name.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use unibox_core::Hub;
/// use unibox_core::memory::MemoryStore;
/// use unibox_server_axum::WebhookServer;
///
/// let hub = Hub::builder(MemoryStore::new()).build();
/// let app: axum::Router = WebhookServer::new(hub)
///     .max_body_bytes(256 * 1024)
///     .max_in_flight(512)
///     .public_url("https://inbox.example.com".parse().unwrap())
///     .router();
/// // Mount it next to your own routes: Router::new().merge(app).route("/", ...)
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct WebhookServer {
    hub: Hub,
    max_body_bytes: usize,
    max_in_flight: usize,
    admission_wait: Duration,
    overload_retry_after: Duration,
    body_timeout: Duration,
    readiness_timeout: Duration,
    /// The fixed public origin, if one was set.
    origin: Option<Url>,
    privacy: crate::privacy::Callbacks,
}

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) hub: Hub,
    pub(crate) max_body_bytes: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) readiness_timeout: Duration,
    pub(crate) admission: Admission,
    pub(crate) origin: PublicOrigin,
    pub(crate) writes: crate::health::WriteHealth,
    pub(crate) privacy: crate::privacy::Callbacks,
}

impl WebhookServer {
    /// A server for `hub` with the defaults: 1 MiB bodies, 1024 webhooks in flight, public URLs
    /// taken from the `Host` header over `http`.
    pub fn new(hub: Hub) -> Self {
        WebhookServer {
            hub,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            admission_wait: DEFAULT_ADMISSION_WAIT,
            overload_retry_after: DEFAULT_OVERLOAD_RETRY_AFTER,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            readiness_timeout: DEFAULT_READINESS_TIMEOUT,
            origin: None,
            privacy: crate::privacy::Callbacks::new(),
        }
    }

    /// The largest body accepted; a larger one gets `413` before it is read or hashed. Keep it
    /// at most the hub's own limit ([`HubBuilder::max_body_bytes`](unibox_core::hub::HubBuilder::max_body_bytes)).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How many webhooks are verified and committed at once (at least 1).
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = limit.max(1);
        self
    }

    /// How long a webhook waits for a free slot before it is refused with `503`.
    pub fn admission_wait(mut self, wait: Duration) -> Self {
        self.admission_wait = wait;
        self
    }

    /// The `Retry-After` sent with an overload `503` (rounded up to whole seconds, at least 1).
    pub fn overload_retry_after(mut self, after: Duration) -> Self {
        self.overload_retry_after = after;
        self
    }

    /// How long a sender may take to send the body before `408`.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long `/ready` waits for the store.
    pub fn readiness_timeout(mut self, timeout: Duration) -> Self {
        self.readiness_timeout = timeout;
        self
    }

    /// The public origin platforms call (`https://inbox.example.com`); the request's path and
    /// query are appended. Set it behind a proxy, and always for platforms that sign the URL
    /// (Twilio). Without it the origin is `http://` + the `Host` header.
    pub fn public_url(mut self, origin: Url) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Mounts a platform's privacy callbacks under `/privacy/{platform}/`: its data-deletion
    /// request (`deletion`), deauthorization (`deauthorization`) and the status page of a
    /// request (`status`). Meta's is `unibox_channel_meta::DataDeletionCallback`, built with
    /// the status URL `https://<your host>/privacy/meta/status` and, to start erasures at once,
    /// `with_erasure(LifecycleJob)`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use unibox_channel_meta::{AppSecret, DataDeletionCallback};
    /// use unibox_core::Hub;
    /// use unibox_core::lifecycle::{LifecycleJob, RetentionPolicies};
    /// use unibox_core::memory::MemoryStore;
    /// use unibox_server_axum::WebhookServer;
    ///
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let requests = hub.store().deletion_requests.clone().expect("the store keeps deletion requests");
    /// let meta = DataDeletionCallback::new(
    ///     AppSecret::new("appsecret"),
    ///     vec!["acme".parse().unwrap()],
    ///     "https://inbox.example.com/privacy/meta/status".parse().unwrap(),
    ///     requests,
    /// )
    /// .with_erasure(LifecycleJob::new(&hub, RetentionPolicies::default()).unwrap());
    /// let app: axum::Router = WebhookServer::new(hub).privacy_callback("meta", Arc::new(meta)).router();
    /// # let _ = app;
    /// ```
    pub fn privacy_callback(
        mut self,
        platform: &str,
        callback: Arc<dyn unibox_core::privacy::PrivacyCallback>,
    ) -> Self {
        self.privacy.insert(platform.to_owned(), callback);
        self
    }

    /// The router, with its state; merge or nest it into the application's router.
    pub fn router(self) -> Router {
        let shared = Arc::new(Shared {
            hub: self.hub,
            max_body_bytes: self.max_body_bytes,
            body_timeout: self.body_timeout,
            readiness_timeout: self.readiness_timeout,
            admission: Admission::new(self.max_in_flight, self.admission_wait, self.overload_retry_after),
            origin: self.origin.map_or_else(|| PublicOrigin::FromHost(LastHost::default()), PublicOrigin::Fixed),
            writes: crate::health::WriteHealth::default(),
            privacy: self.privacy,
        });
        Router::new()
            .route(WEBHOOK_PATH, any(handler::webhook))
            .route(HEALTH_PATH, get(health::health))
            .route(READY_PATH, get(health::ready))
            .route(PRIVACY_DELETION_PATH, post(crate::privacy::deletion))
            .route(PRIVACY_DEAUTHORIZATION_PATH, post(crate::privacy::deauthorization))
            .route(PRIVACY_STATUS_PATH, get(crate::privacy::status))
            .with_state(shared)
            .layer(TraceLayer::new_for_http().make_span_with(PathOnlySpan))
            // Outermost, so every layer and handler below sees the marks.
            .layer(SetSensitiveRequestHeadersLayer::new(SENSITIVE_HEADERS))
    }
}

/// The router for `hub` with the default options; see [`WebhookServer`] for them and the routes.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::Hub;
/// use unibox_core::memory::MemoryStore;
///
/// let hub = Hub::builder(MemoryStore::new()).build();
/// let app: axum::Router = unibox_server_axum::router(hub);
/// # let _ = app;
/// ```
pub fn router(hub: Hub) -> Router {
    WebhookServer::new(hub).router()
}
