//! The webhook handler: route, limit, admit, read, verify, parse, commit, answer.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use unibox_core::{ChannelId, Error, ErrorKind};

use crate::router::Shared;
use crate::{body, request, response};

fn unknown_channel(name: &str) -> Error {
    // Only a valid id is echoed back; anything else could be arbitrary bytes.
    let message = match ChannelId::new(name) {
        Ok(id) => format!("no channel is registered as {id}"),
        Err(_) => "no channel is registered under this path".to_string(),
    };
    Error::new(ErrorKind::NotFound, message).with_operation("server.webhook")
}

fn refused(channel: &str, error: &Error) -> Response {
    if error.kind().http_status() >= 500 {
        tracing::error!(target: "unibox::server", channel, kind = %error.kind(), %error, "webhook not stored");
    } else {
        tracing::warn!(target: "unibox::server", channel, kind = %error.kind(), %error, "webhook refused");
    }
    response::error(error)
}

/// `POST` (and `GET` for handshakes) on `/webhooks/{channel}`.
pub(crate) async fn webhook(State(shared): State<Arc<Shared>>, Path(name): Path<String>, request: Request) -> Response {
    let Some((id, channel)) =
        ChannelId::new(&name).ok().and_then(|id| shared.hub.channel(&id).cloned().map(|c| (id, c)))
    else {
        return refused(&name, &unknown_channel(&name));
    };
    let (parts, body) = request.into_parts();
    if parts.method == http::Method::GET && !channel.capabilities().subscription_handshake {
        return response::method_not_allowed(format!(
            "channel {id} has no subscription handshake; platforms POST their webhooks"
        ));
    }
    // Before the body is read, so an oversized request costs nothing but its headers.
    if let Err(error) = body::check_declared_length(&parts.headers, shared.max_body_bytes) {
        return refused(id.as_str(), &error);
    }
    let Some(_permit) = shared.admission.admit().await else {
        tracing::warn!(target: "unibox::server", channel = %id, "webhook refused: server overloaded");
        return response::overloaded(shared.admission.capacity(), shared.admission.retry_after());
    };
    let bytes = match tokio::time::timeout(shared.body_timeout, body::read_limited(body, shared.max_body_bytes)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return refused(id.as_str(), &error),
        Err(_) => return response::body_timeout(shared.body_timeout),
    };
    let url = match shared.origin.url_for(&parts) {
        Ok(url) => url,
        Err(error) => return refused(id.as_str(), &error),
    };
    let webhook = request::webhook_request(parts, url, bytes);
    match shared.hub.receive_webhook(&id, &webhook).await {
        Ok((receipt, answer)) => {
            tracing::debug!(
                target: "unibox::server",
                channel = %id,
                events = receipt.events,
                stored = receipt.stored,
                duplicates = receipt.duplicates,
                handshake = receipt.handshake,
                "webhook committed"
            );
            response::into_axum(answer)
        }
        Err(error) => refused(id.as_str(), &error),
    }
}
