//! Liveness and readiness.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use unibox_core::channel::WebhookResponse;
use unibox_core::{ChannelId, Error, ErrorKind};

use crate::response;
use crate::router::Shared;

/// `GET /health`: the process is up and serving HTTP.
pub(crate) async fn health() -> Response {
    response::into_axum(WebhookResponse::json(200, &serde_json::json!({ "status": "ok" })))
}

/// `GET /ready`: the store answers a read within the readiness timeout. The read is a routing
/// lookup that matches nothing, the same query every webhook runs first.
pub(crate) async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let probe = async {
        let channel = ChannelId::new("unibox-readiness-probe")?;
        shared.hub.inbox().route(&channel, "readiness-probe").await.map(|_| ())
    };
    let outcome = match tokio::time::timeout(shared.readiness_timeout, probe).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::new(
            ErrorKind::Storage,
            format!("the store did not answer within {} ms", shared.readiness_timeout.as_millis()),
        )),
    };
    match outcome {
        Ok(()) => response::into_axum(WebhookResponse::json(
            200,
            &serde_json::json!({ "status": "ready", "in_flight": shared.admission.in_flight() }),
        )),
        Err(error) => {
            let error = Error::new(ErrorKind::Storage, format!("not ready: {}", error.message()))
                .with_operation("server.ready");
            tracing::warn!(target: "unibox::server", %error, "readiness check failed");
            response::error(&error)
        }
    }
}
