//! `GET /events`: the tenant's inbox changes as server-sent events, from the hub's durable
//! change log. Each event's `id` is its log position, so a browser's `EventSource` resumes
//! by itself after a dropped connection (it sends the last id as `Last-Event-ID`).
//!
//! A stream lives no longer than its session: a watcher ends it at once when the session is
//! signed out or terminated through this API, and within the
//! [check interval](crate::AgentApi::session_check_interval) when it times out (idle or
//! absolute) or is ended elsewhere (another process, a role change). Its last event is
//! `session_ended`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_core::Stream;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, oneshot};
use unibox_core::ErrorKind;
use unibox_core::changes::Position;
use unibox_core::hub::Subscription;
use unibox_core::session::{SessionId, SessionToken};

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
    let (ended_tx, session_ended) = oneshot::channel();
    // Subscribed before the task starts, so an ending announced from now on is seen.
    let announcements = api.inner.ended_sessions.subscribe();
    let token = SessionToken::from(session.token().expose().to_string());
    tokio::spawn(watch_session(api.clone(), token, session.session().id, announcements, ended_tx));
    Ok(Sse::new(Events { subscription, session_ended, ended: false })
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Waits until the session has ended, then tells the stream through `ended`. Returns early
/// when the stream is gone (the client went away).
async fn watch_session(
    api: AgentApi,
    token: SessionToken,
    id: SessionId,
    announcements: broadcast::Receiver<SessionId>,
    mut ended: oneshot::Sender<()>,
) {
    let interval = api.inner.session_check_interval;
    let mut announcements = Some(announcements);
    // A deadline, not a fresh sleep per wake-up: announcements for other sessions must not
    // postpone the check.
    let mut next_check = tokio::time::Instant::now() + interval;
    loop {
        let announced = async {
            match announcements.as_mut() {
                Some(receiver) => receiver.recv().await,
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            () = ended.closed() => return,
            () = tokio::time::sleep_until(next_check) => None,
            announced = announced => Some(announced),
        };
        let check_now = match woke {
            None => true,
            Some(Ok(ended_id)) => ended_id == id,
            // Missed announcements: ask the store.
            Some(Err(broadcast::error::RecvError::Lagged(_))) => true,
            // Nothing announces any more; the interval checks remain.
            Some(Err(broadcast::error::RecvError::Closed)) => {
                announcements = None;
                false
            }
        };
        if !check_now {
            continue;
        }
        next_check = tokio::time::Instant::now() + interval;
        // Reads the session without counting as activity: an open stream does not keep an
        // idle session alive. Anything but a definite "ended" (a storage hiccup) keeps it going.
        match api.inner.sessions.session(&token).await {
            Err(error) if error.kind() == ErrorKind::Unauthenticated => break,
            _ => {}
        }
    }
    let _ = ended.send(());
}

/// The subscription as SSE events: `event` is the change kind, `id` the position, `data`
/// the change (ids, never content). A read failure is sent as an `error` event; the stream
/// ends after one that cannot pass, and after a `session_ended` event once its session ends.
pub(crate) struct Events {
    subscription: Subscription,
    /// Completes when the session has ended (or its watcher is gone).
    session_ended: oneshot::Receiver<()>,
    ended: bool,
}

impl Stream for Events {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if Pin::new(&mut self.session_ended).poll(cx).is_ready() {
            self.ended = true;
            let data = json!({ "kind": ErrorKind::Unauthenticated.as_str(), "message": "the session has ended; sign in again" });
            return Poll::Ready(Some(Ok(Event::default().event("session_ended").data(data.to_string()))));
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
