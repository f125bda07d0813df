//! Liveness and readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use unibox_core::channel::WebhookResponse;
use unibox_core::{ChannelId, Error, ErrorKind};

use crate::response;
use crate::router::Shared;

/// How long a failed write keeps the server not ready, unless a write succeeds first. Long
/// enough for a load balancer to take it out of rotation, short enough that it is tried again
/// soon after the cause (a full disk) is gone.
const WRITE_FAILURE_HOLD: Duration = Duration::from_secs(10);

/// Whether webhooks are being stored: a full disk fails every write while reads still work, so
/// readiness cannot rely on a read alone.
#[derive(Debug)]
pub(crate) struct WriteHealth {
    epoch: tokio::time::Instant,
    /// When the last store failure happened, in ms since `epoch` + 1; 0 when the last write
    /// succeeded.
    failed_at: AtomicU64,
}

impl Default for WriteHealth {
    fn default() -> Self {
        WriteHealth { epoch: tokio::time::Instant::now(), failed_at: AtomicU64::new(0) }
    }
}

impl WriteHealth {
    pub(crate) fn failed(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.failed_at.store(now + 1, Ordering::Relaxed);
    }

    /// One load on the hot path; a store only after a failure.
    pub(crate) fn succeeded(&self) {
        if self.failed_at.load(Ordering::Relaxed) != 0 {
            self.failed_at.store(0, Ordering::Relaxed);
        }
    }

    /// How long ago the last write failed, if it did within the hold and nothing succeeded since.
    fn recent_failure(&self) -> Option<Duration> {
        let failed_at = self.failed_at.load(Ordering::Relaxed).checked_sub(1)?;
        let ago = self.epoch.elapsed().saturating_sub(Duration::from_millis(failed_at));
        (ago < WRITE_FAILURE_HOLD).then_some(ago)
    }
}

/// `GET /health`: the process is up and serving HTTP.
pub(crate) async fn health() -> Response {
    response::into_axum(WebhookResponse::json(200, &serde_json::json!({ "status": "ok" })))
}

/// `GET /ready`: the store accepts events now (it refuses them all while its disk is short of
/// room: [`EventIngest::accepting`](unibox_core::inbox::EventIngest::accepting)), no webhook failed to be stored in
/// the last 10 s (unless one was stored since), and the store answers a read within the
/// readiness timeout. The read is a routing lookup that matches nothing, the same query every
/// webhook runs first.
pub(crate) async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    if let Err(refusal) = shared.hub.store().ingest.accepting() {
        // The store's own reason (a full disk), kind and retry hint: the answer a webhook gets now.
        let mut error =
            Error::new(refusal.kind(), format!("not ready: {}", refusal.message())).with_operation("server.ready");
        if let Some(after) = refusal.retry_after() {
            error = error.with_retry_after(after);
        }
        tracing::warn!(target: "unibox::server", %error, "readiness check failed");
        return response::error(&error);
    }
    let probe = async {
        let channel = ChannelId::new("unibox-readiness-probe")?;
        shared.hub.store().accounts.route(&channel, "readiness-probe").await.map(|_| ())
    };
    if let Some(ago) = shared.writes.recent_failure() {
        let error = Error::new(
            ErrorKind::Storage,
            format!(
                "not ready: a webhook could not be stored {} ms ago (disk full?) and none has been stored since",
                ago.as_millis()
            ),
        )
        .with_operation("server.ready");
        tracing::warn!(target: "unibox::server", %error, "readiness check failed");
        return response::error(&error);
    }
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
