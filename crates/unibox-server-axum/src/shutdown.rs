//! Running the router until a shutdown signal, finishing the requests in progress.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting connections,
/// closes idle keep-alive connections and waits for the requests in progress: a webhook whose
/// events are being committed still gets its answer.
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
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

/// Completes on Ctrl-C or, on Unix, `SIGTERM` (what container runtimes send before killing).
/// If a signal handler cannot be installed, that signal is ignored rather than ending the
/// server at once.
///
/// ```no_run
/// # async fn wait() {
/// unibox_server_axum::shutdown_signal().await;
/// println!("shutting down");
/// # }
/// ```
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
