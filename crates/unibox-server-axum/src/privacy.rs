//! The privacy routes: a platform's data-deletion and deauthorization callbacks and the status
//! page of a deletion request, each handed to the [`PrivacyCallback`] mounted for the platform.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use unibox_core::privacy::PrivacyCallback;
use unibox_core::{Error, ErrorKind};

use crate::router::Shared;
use crate::{body, request, response};

/// What a privacy route asks of the platform's callback.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Endpoint {
    Deletion,
    Deauthorization,
    Status,
}

async fn handle(shared: Arc<Shared>, platform: String, endpoint: Endpoint, request: Request) -> Response {
    let Some(callback) = shared.privacy.get(&platform).cloned() else {
        return response::error(
            &Error::new(ErrorKind::NotFound, "no privacy callback is mounted for this platform")
                .with_operation("server.privacy"),
        );
    };
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(shared.body_timeout, body::read_limited(body, shared.max_body_bytes)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return response::error(&error),
        Err(_) => return response::body_timeout(shared.body_timeout),
    };
    let url = match shared.origin.url_for(&parts) {
        Ok(url) => url,
        Err(error) => return response::error(&error),
    };
    let webhook = request::webhook_request(parts, url, bytes);
    let answer = match endpoint {
        Endpoint::Deletion => callback.deletion(&webhook).await,
        Endpoint::Deauthorization => callback.deauthorization(&webhook).await,
        Endpoint::Status => callback.status(&webhook).await,
    };
    match answer {
        Ok(answer) => response::into_axum(answer),
        Err(error) => {
            tracing::warn!(target: "unibox::server", platform, ?endpoint, kind = %error.kind(), "privacy callback refused");
            response::error(&error)
        }
    }
}

/// `POST /privacy/{platform}/deletion`.
pub(crate) async fn deletion(
    State(shared): State<Arc<Shared>>,
    Path(platform): Path<String>,
    request: Request,
) -> Response {
    handle(shared, platform, Endpoint::Deletion, request).await
}

/// `POST /privacy/{platform}/deauthorization`.
pub(crate) async fn deauthorization(
    State(shared): State<Arc<Shared>>,
    Path(platform): Path<String>,
    request: Request,
) -> Response {
    handle(shared, platform, Endpoint::Deauthorization, request).await
}

/// `GET /privacy/{platform}/status?code=...`.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Path(platform): Path<String>,
    request: Request,
) -> Response {
    handle(shared, platform, Endpoint::Status, request).await
}

/// The callbacks by platform name.
pub(crate) type Callbacks = std::collections::HashMap<String, Arc<dyn PrivacyCallback>>;
