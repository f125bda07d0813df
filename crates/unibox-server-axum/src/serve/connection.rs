//! One accepted connection: HTTP/1.1 with a header-read timeout and a head size limit, closed
//! when idle too long, when the registry needs its slot, or at shutdown once its request is
//! answered.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::Service;

use super::limits::ConnectionLimits;
use super::registry::{InFlight, Registry, Ticket};

/// The HTTP/1.1 settings every connection is served with.
pub(crate) fn http1_builder(limits: &ConnectionLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    builder
}

/// Serves `stream` (accepted from `peer`) until the client closes it or it is closed for one of
/// the reasons above. `shutdown` changes (or closes) when the server stops; the task holds it
/// until it ends, so the server knows when every connection is done.
pub(crate) async fn serve_connection(
    (stream, peer): (TcpStream, std::net::SocketAddr),
    router: Router,
    builder: Arc<http1::Builder>,
    registry: Arc<Registry>,
    ticket: Ticket,
    limits: Arc<ConnectionLimits>,
    mut shutdown: watch::Receiver<()>,
) {
    let state = Arc::clone(&ticket.state);
    let epoch = registry.epoch();
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let in_flight = InFlight::begin(&state, epoch);
        let mut router = router.clone();
        let mut request = request.map(Body::new);
        // The peer address, as axum's `into_make_service_with_connect_info` gives it: handlers
        // (sign-in throttling, logs) read it with the `ConnectInfo` extractor.
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let answer = router.call(request);
        async move {
            let answer: Result<_, Infallible> = answer.await;
            drop(in_flight);
            answer
        }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let state = &ticket.state;
    let mut stopping = false;
    loop {
        let idle_deadline = if state.is_idle() {
            registry.idle_deadline(state, limits.idle_timeout)
        } else {
            tokio::time::Instant::now() + limits.idle_timeout
        };
        tokio::select! {
            outcome = connection.as_mut() => {
                if let Err(error) = outcome {
                    // Header timeouts, oversized heads and clients that vanish end here; hyper
                    // has already answered what it could (408, 431).
                    tracing::debug!(target: "unibox::server", %error, "connection closed");
                }
                break;
            }
            changed = shutdown.changed(), if !stopping => {
                let _ = changed;
                stopping = true;
                if state.is_idle() {
                    break;
                }
                // Answers the request in progress, then closes.
                connection.as_mut().graceful_shutdown();
            }
            () = state.evict.notified(), if !stopping => {
                stopping = true;
                if state.is_idle() {
                    break;
                }
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_deadline) => {
                if state.is_idle() && tokio::time::Instant::now() >= registry.idle_deadline(state, limits.idle_timeout) {
                    tracing::trace!(target: "unibox::server", "idle connection closed");
                    break;
                }
            }
        }
    }
    drop(ticket);
}
