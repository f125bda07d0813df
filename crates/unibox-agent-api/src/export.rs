//! `GET /export`: the tenant's data, or one contact's, streamed as JSON Lines
//! ([`unibox_core::privacy::export`]), for the Admin role only.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures_core::Stream;
use http::{HeaderValue, header};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, DuplexStream, ReadBuf};
use tokio::task::JoinHandle;
use unibox_core::privacy::export::{ExportScope, RecordCounts};
use unibox_core::{ContactId, Result};

use crate::extract::{ApiQuery, parse_optional};
use crate::{AgentApi, AgentSession, ApiError};

/// How much of the export is buffered between the store's reads and the connection.
const PIPE_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportQuery {
    /// Only this contact's data.
    contact: Option<String>,
}

/// `GET /export`: streams [`Hub::export_data`](unibox_core::Hub::export_data) (authorized as
/// `export_data`, audited as `privacy.export`). A refusal or an unknown contact is an ordinary
/// error answer, since nothing has been sent yet; a failure once the stream has started cuts
/// the response short (the chunked body does not end cleanly), so a client never mistakes a
/// partial export for a whole one.
pub(crate) async fn download(
    State(api): State<AgentApi>,
    session: AgentSession,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> std::result::Result<Response, ApiError> {
    let actor = session.actor();
    let scope = match parse_optional::<ContactId>("contact", query.contact.as_deref())? {
        Some(contact) => ExportScope::Contact { contact },
        None => ExportScope::Tenant,
    };
    let (mut reader, mut writer) = tokio::io::duplex(PIPE_BYTES);
    let hub = api.hub().clone();
    let tenant = actor.tenant().clone();
    let task: JoinHandle<Result<RecordCounts>> =
        tokio::spawn(async move { hub.export_data(&actor, &scope, &mut writer).await });
    // The manifest is written only once the export is allowed and its contact found: wait for
    // the first bytes (or the end) to answer an error with its own status.
    let mut first = vec![0u8; PIPE_BYTES];
    let read = reader.read(&mut first).await.map_err(|_| ApiError::from(internal()))?;
    if read == 0 {
        return match task.await {
            Ok(Err(error)) => Err(error.into()),
            _ => Err(internal().into()),
        };
    }
    first.truncate(read);
    let body = ExportBody { first: Some(Bytes::from(first)), reader, task: Some(task), buffer: vec![0; PIPE_BYTES] };
    let filename = format!("attachment; filename=\"unibox-export-{tenant}.jsonl\"");
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/jsonl; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn internal() -> unibox_core::Error {
    unibox_core::Error::new(unibox_core::ErrorKind::Unexpected, "the export stopped")
}

/// The export's bytes as they come out of the pipe; at the end, the export task's result: a
/// failure ends the body with an error instead of a clean end.
struct ExportBody {
    first: Option<Bytes>,
    reader: DuplexStream,
    task: Option<JoinHandle<Result<RecordCounts>>>,
    buffer: Vec<u8>,
}

impl Stream for ExportBody {
    type Item = std::result::Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        let mut read = ReadBuf::new(&mut this.buffer);
        match Pin::new(&mut this.reader).poll_read(cx, &mut read) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) if !read.filled().is_empty() => {
                return Poll::Ready(Some(Ok(Bytes::copy_from_slice(read.filled()))));
            }
            Poll::Ready(Ok(())) => {}
        }
        let Some(task) = this.task.as_mut() else { return Poll::Ready(None) };
        let outcome = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        this.task = None;
        match outcome {
            Ok(Ok(_)) => Poll::Ready(None),
            Ok(Err(error)) => {
                tracing::error!(target: "unibox::agent_api", %error, "the export failed part way");
                Poll::Ready(Some(Err(std::io::Error::other(error.kind().as_str()))))
            }
            Err(_) => Poll::Ready(Some(Err(std::io::Error::other("the export task ended abnormally")))),
        }
    }
}
