//! The HTTP floor of the webhook benchmark: an axum server that reads each POST's body and
//! answers `200` with the same small JSON the webhook server sends, verifying nothing and
//! storing nothing. Run it where `examples/server.rs` runs in docs/performance.md (pinned to
//! one core, `loadgen` on the other): what it sustains is the most any webhook server built on
//! hyper and axum can acknowledge on that core, before a single byte is verified or stored.
//!
//! ```sh
//! cargo build --release -p unibox-server-axum --example http_floor --example loadgen
//! taskset -c 0 target/release/examples/http_floor 127.0.0.1:8080 &
//! taskset -c 1 target/release/examples/loadgen --shape line --url http://127.0.0.1:8080/webhooks/line-acme \
//!     --account U4af4980629c37e7b3ad0a4e2e0a8b2ed --connections 32 --duration 20 --server-pid $!
//! ```

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;

/// Reads the whole body (as the webhook server does before verifying it) and acknowledges it.
async fn acknowledge(body: Bytes) -> impl IntoResponse {
    let status = if body.is_empty() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"accepted"}"#)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let app = Router::new().route("/webhooks/{*rest}", post(acknowledge));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("http_floor: answering POST /webhooks/* on http://{address}");
    axum::serve(listener, app).await
}
