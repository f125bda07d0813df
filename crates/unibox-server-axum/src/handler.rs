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

/// Whether a request may carry a body: a declared non-zero length, or chunked.
fn has_body(headers: &http::HeaderMap) -> bool {
    headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers.get(http::header::CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0")
}

/// Refuses every method the channel does not document: deliveries are POSTs, and a GET is a
/// subscription handshake (without a body) on channels that have one. A signed HEAD, or a GET
/// with a body, is never handled as a delivery.
fn refuse_method(id: &ChannelId, parts: &http::request::Parts, handshake: bool) -> Option<Response> {
    let allow = if handshake { "GET, POST" } else { "POST" };
    let message = match parts.method {
        http::Method::POST => return None,
        http::Method::GET if handshake && !has_body(&parts.headers) => return None,
        http::Method::GET if handshake => {
            format!("the subscription handshake of channel {id} is a GET without a body; deliveries are POSTs")
        }
        http::Method::GET => format!("channel {id} has no subscription handshake; platforms POST their webhooks"),
        ref method => format!("channel {id} takes {allow}, not {method}"),
    };
    tracing::warn!(target: "unibox::server", channel = %id, method = %parts.method, "webhook refused: method not allowed");
    Some(response::method_not_allowed(message, allow))
}

/// Every method on `/webhooks/{channel}`.
pub(crate) async fn webhook(State(shared): State<Arc<Shared>>, Path(name): Path<String>, request: Request) -> Response {
    let Some((id, channel)) =
        ChannelId::new(&name).ok().and_then(|id| shared.hub.channel(&id).cloned().map(|c| (id, c)))
    else {
        return refused(&name, &unknown_channel(&name));
    };
    let (parts, body) = request.into_parts();
    if let Some(refusal) = refuse_method(&id, &parts, channel.capabilities().subscription_handshake) {
        return refusal;
    }
    // Before the body is read, so an oversized request costs nothing but its headers.
    if let Err(error) = body::check_declared_length(&parts.headers, shared.max_body_bytes) {
        return refused(id.as_str(), &error);
    }
    // The body is read before a slot is taken: a sender trickling its body holds its own
    // connection until the body timeout, never one of the slots that verify and commit.
    let bytes = match tokio::time::timeout(shared.body_timeout, body::read_limited(body, shared.max_body_bytes)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return refused(id.as_str(), &error),
        Err(_) => {
            tracing::warn!(target: "unibox::server", channel = %id, "webhook refused: the body did not arrive in time");
            return response::body_timeout(shared.body_timeout);
        }
    };
    let Some(_permit) = shared.admission.admit().await else {
        tracing::warn!(target: "unibox::server", channel = %id, "webhook refused: server overloaded");
        return response::overloaded(shared.admission.capacity(), shared.admission.retry_after());
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
            shared.writes.succeeded();
            response::into_axum(answer)
        }
        Err(error) => {
            // A store that reports its own refusal (`EventIngest::accepting`, a disk short of room)
            // tells readiness the moment it is over; any other storage failure holds readiness
            // down for a while, as nothing else would say when it passed.
            let reported = error.kind() == ErrorKind::StorageFull && shared.hub.store().ingest.accepting().is_err();
            if matches!(error.kind(), ErrorKind::Storage | ErrorKind::StorageFull) && !reported {
                shared.writes.failed();
            }
            refused(id.as_str(), &error)
        }
    }
}
