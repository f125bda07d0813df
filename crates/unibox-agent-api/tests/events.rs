//! `GET /events`: server-sent events from the hub's change log, resumable with
//! `Last-Event-ID`.

mod common;

use std::time::Duration;

use axum::body::Body;
use common::{ACME_OA, GLOBEX_OA, Trial};
use http::{Request, StatusCode};
use http_body_util::BodyExt;

/// One parsed server-sent event.
#[derive(Debug)]
struct Sse {
    id: Option<u64>,
    event: String,
    data: serde_json::Value,
}

/// Reads events from a stream until `until` holds for one of them (5 s at most).
async fn read_until(body: &mut Body, buffer: &mut String, until: impl Fn(&Sse) -> bool) -> Vec<Sse> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let mut event = Sse { id: None, event: "message".into(), data: serde_json::Value::Null };
            for line in frame.lines() {
                if let Some(id) = line.strip_prefix("id: ").or_else(|| line.strip_prefix("id:")) {
                    event.id = id.trim().parse().ok();
                } else if let Some(name) = line.strip_prefix("event: ").or_else(|| line.strip_prefix("event:")) {
                    event.event = name.trim().to_string();
                } else if let Some(data) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
                    event.data = serde_json::from_str(data).unwrap();
                }
            }
            if event.data.is_null() {
                continue; // a keep-alive comment
            }
            let done = until(&event);
            events.push(event);
            if done {
                return events;
            }
        }
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.expect("an event within 5 s");
        let frame = frame.expect("the stream goes on").unwrap();
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

async fn open(trial: &Trial, token: &str, last_event_id: Option<&str>, query: &str) -> (StatusCode, Body) {
    let mut request = Request::get(format!("/api/events{query}")).header("authorization", format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response =
        tower::ServiceExt::oneshot(trial.router.clone(), request.body(Body::empty()).unwrap()).await.unwrap();
    (response.status(), response.into_body())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_live_changes_and_resume_after_last_event_id() {
    let trial = Trial::start().await;
    let ann = trial.bearer("acme", "ann").await;
    let (status, mut body) = open(&trial, &ann, None, "").await;
    assert_eq!(status, StatusCode::OK);
    let mut buffer = String::new();

    trial.text_from(GLOBEX_OA, "U1234567890abcdef1234567890abcdef", 1, "another tenant").await;
    trial.text_from(ACME_OA, "U80696558e1aa831a5e4f1c0e6c2a8a3b", 2, "first").await;
    let first = read_until(&mut body, &mut buffer, |e| e.event == "message_added").await;
    let added = first.last().unwrap();
    let conversation = added.data["conversation"].as_str().unwrap().to_string();
    let position = added.id.expect("each event has an id");
    assert_eq!(added.data["position"], position);
    assert!(added.data.get("text").is_none() && !added.data.to_string().contains("first"), "ids, never content");
    let (_, rows) = trial.call("GET", "/api/conversations", Some(&ann), None).await;
    assert_eq!(rows["items"].as_array().unwrap().len(), 1);
    assert_eq!(rows["items"][0]["id"], conversation.as_str(), "only acme's change reached acme");
    drop(body);

    // While disconnected: a second message, and a note.
    trial.text_from(ACME_OA, "U80696558e1aa831a5e4f1c0e6c2a8a3b", 3, "second").await;
    let (status, _) = trial
        .call(
            "POST",
            &format!("/api/conversations/{conversation}/notes"),
            Some(&ann),
            Some(serde_json::json!({ "body": "seen" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, mut resumed) = open(&trial, &ann, Some(&position.to_string()), "").await;
    assert_eq!(status, StatusCode::OK);
    let mut buffer = String::new();
    let missed = read_until(&mut resumed, &mut buffer, |e| e.event == "note_added").await;
    assert!(missed.iter().all(|e| e.id.unwrap() > position), "nothing before the resume point: {missed:?}");
    assert!(missed.iter().any(|e| e.event == "message_added"), "the missed message: {missed:?}");
    let ids: Vec<_> = missed.iter().map(|e| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");

    // `after` does the same for clients that cannot set headers; a bad id is a 400.
    let (status, mut replay) = open(&trial, &ann, None, "?after=0").await;
    assert_eq!(status, StatusCode::OK);
    let mut buffer = String::new();
    let all = read_until(&mut replay, &mut buffer, |e| e.event == "note_added").await;
    assert!(all.iter().filter(|e| e.event == "message_added").count() >= 2);
    assert_eq!(open(&trial, &ann, Some("yesterday"), "").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(open(&trial, "not-a-session", None, "").await.0, StatusCode::UNAUTHORIZED);
}

/// Reads until the stream ends (3 s at most): the events it sent last.
async fn until_closed(body: &mut Body, buffer: &mut String) -> Vec<Sse> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.expect("the stream closes within 3 s");
        match frame {
            None => break,
            Some(frame) => {
                if let Ok(data) = frame.unwrap().into_data() {
                    buffer.push_str(std::str::from_utf8(&data).unwrap());
                }
            }
        }
    }
    let mut events = Vec::new();
    for frame in buffer.split("\n\n") {
        let event = frame.lines().find_map(|l| l.strip_prefix("event: ").or_else(|| l.strip_prefix("event:")));
        let data = frame.lines().find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")));
        if let (Some(event), Some(data)) = (event, data) {
            events.push(Sse { id: None, event: event.trim().to_string(), data: serde_json::from_str(data).unwrap() });
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_ends_when_its_session_is_terminated_signed_out_or_timed_out() {
    let config = unibox_core::session::SessionConfig::default().idle_timeout(Duration::from_secs(30 * 60));
    let trial = Trial::start_with(config, common::Users::demo())
        .await
        .reconfigure(|api| api.session_check_interval(Duration::from_millis(100)));
    let ann = trial.bearer("acme", "ann").await;
    let bob = trial.bearer("acme", "bob").await;
    let (_, mut ann_stream) = open(&trial, &ann, None, "").await;
    let (_, mut bob_stream) = open(&trial, &bob, None, "").await;

    // An admin terminates bob's session: his stream ends with `session_ended`.
    let (_, sessions) = trial.call("GET", "/api/sessions?user=bob", Some(&ann), None).await;
    let id = sessions["items"][0]["id"].as_str().unwrap().to_string();
    let started = tokio::time::Instant::now();
    assert_eq!(trial.call("DELETE", &format!("/api/sessions/{id}"), Some(&ann), None).await.0, StatusCode::NO_CONTENT);
    let last = until_closed(&mut bob_stream, &mut String::new()).await;
    assert!(started.elapsed() < Duration::from_secs(2), "closed at once: {:?}", started.elapsed());
    let ended = last.last().expect("a last event");
    assert_eq!(ended.event, "session_ended");
    assert_eq!(ended.data["kind"], "unauthenticated");

    // Ann's stream goes on.
    trial.text_from(ACME_OA, "U80696558e1aa831a5e4f1c0e6c2a8a3b", 1, "still live").await;
    read_until(&mut ann_stream, &mut String::new(), |e| e.event == "message_added").await;

    // Signing out ends her stream.
    assert_eq!(trial.call("DELETE", "/api/session", Some(&ann), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(until_closed(&mut ann_stream, &mut String::new()).await.last().unwrap().event, "session_ended");

    // An idle timeout ends a stream within the check interval: an open stream is not activity.
    let vic = trial.bearer("acme", "vic").await;
    let (status, mut vic_stream) = open(&trial, &vic, None, "").await;
    assert_eq!(status, StatusCode::OK);
    trial.session_clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(until_closed(&mut vic_stream, &mut String::new()).await.last().unwrap().event, "session_ended");
    assert_eq!(open(&trial, &vic, None, "").await.0, StatusCode::UNAUTHORIZED);

    // A session ended outside this API (another process: straight in the session manager) is
    // noticed by the periodic check.
    let sam = trial.bearer("acme", "bob").await;
    let (_, mut sam_stream) = open(&trial, &sam, None, "").await;
    trial.api.sessions().logout(&unibox_core::session::SessionToken::from(sam.clone())).await.unwrap();
    assert_eq!(until_closed(&mut sam_stream, &mut String::new()).await.last().unwrap().event, "session_ended");
}
