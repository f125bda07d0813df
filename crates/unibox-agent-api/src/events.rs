//! `GET /events`: the tenant's inbox changes as server-sent events, from the hub's durable
//! change log. Each event's `id` is its log position, so a browser's `EventSource` resumes
//! by itself after a dropped connection (it sends the last id as `Last-Event-ID`).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_core::Stream;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::json;
use unibox_core::changes::Position;
use unibox_core::hub::Subscription;

use crate::extract::{ApiQuery, parse_optional};
use crate::{AgentApi, AgentSession, ApiError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// Resume after this position (`0`: everything the log retains); `Last-Event-ID` wins.
    after: Option<String>,
}

/// The event stream. Without `Last-Event-ID` or `after` it starts with changes from now on.
pub(crate) async fn stream(
    State(api): State<AgentApi>,
    session: AgentSession,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Sse<axum::response::sse::KeepAliveStream<Events>>, ApiError> {
    let last_event_id = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("\u{0}"));
    let from = match last_event_id {
        Some(id) => Some(id.parse::<Position>().map_err(|_| ApiError::invalid("invalid Last-Event-ID"))?),
        None => parse_optional::<Position>("after", query.after.as_deref())?,
    };
    let subscription = api.hub().subscribe(&session.actor(), from).await?;
    Ok(Sse::new(Events { subscription, ended: false }).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The subscription as SSE events: `event` is the change kind, `id` the position, `data`
/// the change (ids, never content). A read failure is sent as an `error` event; the stream
/// ends after one that cannot pass.
pub(crate) struct Events {
    subscription: Subscription,
    ended: bool,
}

impl Stream for Events {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let next = Pin::new(&mut self.subscription).poll_next(cx);
        match next {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(event))) => {
                let change = &event.change;
                let data = json!({
                    "position": event.position,
                    "kind": change.kind.as_str(),
                    "at": change.at,
                    "conversation": change.conversation.map(|c| c.to_string()),
                    "message": change.message.map(|m| m.to_string()),
                    "detail": change.detail,
                });
                let sse =
                    Event::default().id(event.position.to_string()).event(change.kind.as_str()).data(data.to_string());
                Poll::Ready(Some(Ok(sse)))
            }
            Poll::Ready(Some(Err(error))) => {
                if !error.is_temporary() {
                    self.ended = true;
                }
                let data = json!({ "kind": error.kind().as_str(), "message": error.message() });
                Poll::Ready(Some(Ok(Event::default().event("error").data(data.to_string()))))
            }
        }
    }
}
