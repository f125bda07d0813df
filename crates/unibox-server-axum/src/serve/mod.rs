//! Serving a router on a TCP listener with connection-level limits: the accept loop.
//!
//! `axum::serve` has no header or idle timeout and no connection cap, so one client holding
//! connections open (sending headers a byte a second, or nothing) exhausts the file descriptors
//! and stops the server accepting anything, `/health` included. This loop gives every connection
//! a slot in a [`Registry`](registry::Registry) (a cap in total and per peer address), serves it
//! with hyper's HTTP/1.1 under a header-read timeout and a head size limit, closes it when idle,
//! and answers the connections it has no room for with `503` instead of leaving them unanswered.

mod connection;
mod file_limit;
mod limits;
mod refusal;
mod registry;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use limits::{
    ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_MAX_HEADER_BYTES, FILE_DESCRIPTOR_RESERVE,
};

/// Serves `router` on `listener` with the default [`ConnectionLimits`] until `shutdown`
/// completes, then stops accepting connections, closes idle ones and waits for the requests in
/// progress: a webhook whose events are being committed still gets its answer.
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// unibox_server_axum::serve(listener, unibox_server_axum::router(hub), unibox_server_axum::shutdown_signal()).await
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, router, ConnectionLimits::default(), shutdown).await
}

/// [`serve`] with your own [`ConnectionLimits`].
///
/// At start it raises the open-file limit (unless told not to), fits the connection cap under
/// it and logs the limits in force at `INFO`.
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub) -> std::io::Result<()> {
/// use std::time::Duration;
/// use unibox_server_axum::{ConnectionLimits, WebhookServer, serve_with, shutdown_signal};
///
/// let limits = ConnectionLimits::default().idle_timeout(Duration::from_secs(15));
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// serve_with(listener, WebhookServer::new(hub).router(), limits, shutdown_signal()).await
/// # }
/// ```
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let file_limit = file_limit::raise_and_read(limits.raise_file_limit);
    let max_connections = fit_under_file_limit(limits.max_connections, file_limit);
    if max_connections < limits.max_connections {
        tracing::warn!(
            target: "unibox::server",
            configured = limits.max_connections,
            open_file_limit = file_limit,
            max_connections,
            "the connection cap is lowered to fit the open-file limit; raise the limit (ulimit -n) to serve more"
        );
    }
    tracing::info!(
        target: "unibox::server",
        max_connections,
        max_connections_per_peer = limits.max_connections_per_peer,
        header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
        idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
        max_header_bytes = limits.max_header_bytes,
        "serving HTTP"
    );
    let registry = registry::Registry::new(max_connections, limits.max_connections_per_peer);
    let refuser = refusal::Refuser::new(limits.retry_after, max_connections, limits.max_connections_per_peer);
    let builder = Arc::new(connection::http1_builder(&limits));
    let limits = Arc::new(limits);
    // Connections hold a receiver: the sender's change tells them to stop, and `closed` tells
    // the loop they all have.
    let (stop, stopped) = watch::channel(());
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                accept_errors.handle(&error).await;
                continue;
            }
        };
        match registry.admit(peer.ip()) {
            Ok(ticket) => {
                tokio::spawn(connection::serve_connection(
                    (stream, peer),
                    router.clone(),
                    Arc::clone(&builder),
                    Arc::clone(&registry),
                    ticket,
                    Arc::clone(&limits),
                    stopped.clone(),
                ));
            }
            Err(why) => refuser.refuse(stream, why, registry.open_connections()),
        }
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(());
    stop.closed().await;
    Ok(())
}

/// The connection cap that leaves [`FILE_DESCRIPTOR_RESERVE`] descriptors free under the
/// open-file limit (at least 1).
fn fit_under_file_limit(configured: usize, file_limit: Option<u64>) -> usize {
    match file_limit.and_then(|limit| usize::try_from(limit).ok()) {
        Some(limit) => configured.min(limit.saturating_sub(FILE_DESCRIPTOR_RESERVE)).max(1),
        None => configured,
    }
}

/// Accept failures: a client that reset before it was accepted is nothing; running out of file
/// descriptors (or memory) is logged at most once a second and waited out briefly, as the
/// accepted connections close.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<tokio::time::Instant>,
    since_logged: u64,
}

impl AcceptErrors {
    async fn handle(&mut self, error: &io::Error) {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
        ) {
            return;
        }
        self.since_logged += 1;
        let now = tokio::time::Instant::now();
        if self.last_logged.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
            tracing::error!(
                target: "unibox::server",
                %error,
                failures = self.since_logged,
                "accepting connections fails (out of file descriptors?); retrying"
            );
            self.last_logged = Some(now);
            self.since_logged = 0;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_free_under_the_file_limit() {
        assert_eq!(fit_under_file_limit(4096, Some(1024)), 1024 - FILE_DESCRIPTOR_RESERVE);
        assert_eq!(fit_under_file_limit(100, Some(1_048_576)), 100);
        assert_eq!(fit_under_file_limit(100, Some(64)), 1);
        assert_eq!(fit_under_file_limit(100, None), 100);
    }
}
