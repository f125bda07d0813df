//! Signing in and out: the cookie's attributes, CSRF and Origin checks for cookie sessions,
//! idle and absolute timeouts, the TOTP second factor, and ending sessions.

mod common;

use std::time::Duration;

use axum::body::Body;
use common::{Trial, Users, error_kind};
use http::{Request, StatusCode};
use serde_json::json;
use unibox_core::session::{SessionConfig, Totp};

/// Signs in with the cookie: (cookie pair, CSRF token).
async fn cookie_sign_in(trial: &Trial, tenant: &str, user: &str) -> (String, String) {
    let body = json!({ "tenant": tenant, "user": user, "password": format!("{user}-password") });
    let request = Request::post("/api/session")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = tower::ServiceExt::oneshot(trial.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribute), "{attribute} in {set_cookie}");
    }
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(json.get("token").is_none(), "a cookie sign-in does not hand the token to scripts");
    let pair = set_cookie.split(';').next().unwrap().to_string();
    (pair, json["csrf_token"].as_str().unwrap().to_string())
}

fn with_cookie(method: &str, path: &str, cookie: &str) -> http::request::Builder {
    Request::builder().method(method).uri(path).header("cookie", cookie).header("host", "inbox.test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_unknown_user_is_the_same_401() {
    let trial = Trial::start().await;
    for body in [
        json!({ "tenant": "acme", "user": "ann", "password": "guess" }),
        json!({ "tenant": "acme", "user": "nobody", "password": "ann-password" }),
        json!({ "tenant": "globex", "user": "ann", "password": "ann-password" }),
        json!({ "tenant": "not a tenant!", "user": "ann", "password": "ann-password" }),
    ] {
        let (status, json) = trial.call("POST", "/api/session", None, Some(body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json["error"]["message"], "unknown user or wrong password");
    }
    let (status, json) = trial.call("POST", "/api/session", None, Some(json!({ "user": "ann" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    let (status, json) = trial.call("GET", "/api/conversations", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_kind(&json), "unauthenticated");
    let (status, _) = trial.call("GET", "/api/conversations", Some("made-up-token"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_sessions_need_the_csrf_header_and_their_own_origin_for_unsafe_requests() {
    let trial = Trial::start().await;
    trial.text_from(common::ACME_OA, "U80696558e1aa831a5e4f1c0e6c2a8a3b", 1, "Hello").await;
    let (cookie, csrf) = cookie_sign_in(&trial, "acme", "ann").await;

    let (status, me) = trial.send(with_cookie("GET", "/api/session", &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["session"]["user"], "ann");
    assert_eq!(me["session"]["role"], "admin");
    assert_eq!(me["csrf_token"], csrf.as_str());
    let (status, rows) =
        trial.send(with_cookie("GET", "/api/conversations", &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let id = rows["items"][0]["id"].as_str().unwrap().to_string();
    let note = || Body::from(json!({ "body": "checked" }).to_string());
    let path = format!("/api/conversations/{id}/notes");

    let (status, json) = trial
        .send(with_cookie("POST", &path, &cookie).header("content-type", "application/json").body(note()).unwrap())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF header");
    assert_eq!(error_kind(&json), "permission_denied");
    let (status, _) = trial
        .send(
            with_cookie("POST", &path, &cookie)
                .header("content-type", "application/json")
                .header("x-csrf-token", "0".repeat(64))
                .body(note())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong CSRF token");
    let (status, _) = trial
        .send(
            with_cookie("POST", &path, &cookie)
                .header("content-type", "application/json")
                .header("x-csrf-token", &csrf)
                .header("origin", "https://evil.example")
                .body(note())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another site's origin");
    let (status, _) = trial
        .send(
            with_cookie("POST", &path, &cookie)
                .header("content-type", "application/json")
                .header("x-csrf-token", &csrf)
                .header("sec-fetch-site", "cross-site")
                .body(note())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cross-site fetch");
    let (_, notes) = trial.send(with_cookie("GET", &path, &cookie).body(Body::empty()).unwrap()).await;
    assert!(notes["items"].as_array().unwrap().is_empty(), "refused requests changed nothing");

    let (status, added) = trial
        .send(
            with_cookie("POST", &path, &cookie)
                .header("content-type", "application/json")
                .header("x-csrf-token", &csrf)
                .header("origin", "http://inbox.test")
                .body(note())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");

    // A sign-in posted from another site is refused too (login CSRF).
    let request = Request::post("/api/session")
        .header("content-type", "application/json")
        .header("host", "inbox.test")
        .header("origin", "https://evil.example")
        .body(Body::from(json!({ "tenant": "acme", "user": "ann", "password": "ann-password" }).to_string()))
        .unwrap();
    let (status, _) = trial.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signing out clears the cookie and ends the session.
    let request =
        with_cookie("DELETE", "/api/session", &cookie).header("x-csrf-token", &csrf).body(Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(trial.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (status, _) = trial.send(with_cookie("GET", "/api/session", &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_absolute_timeouts_end_sessions_with_401() {
    let config =
        SessionConfig::default().idle_timeout(Duration::from_secs(10 * 60)).absolute_timeout(Duration::from_secs(3600));
    let trial = Trial::start_with(config, Users::demo()).await;
    let ann = trial.bearer("acme", "ann").await;
    trial.session_clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(
        trial.call("GET", "/api/session", Some(&ann), None).await.0,
        StatusCode::OK,
        "activity moves the idle deadline"
    );
    trial.session_clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(trial.call("GET", "/api/session", Some(&ann), None).await.0, StatusCode::OK);
    trial.session_clock.advance(Duration::from_secs(11 * 60));
    let (status, json) = trial.call("GET", "/api/conversations", Some(&ann), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "idle too long");
    assert_eq!(error_kind(&json), "unauthenticated");

    let bob = trial.bearer("acme", "bob").await;
    for _ in 0..6 {
        trial.session_clock.advance(Duration::from_secs(9 * 60));
        assert_eq!(trial.call("GET", "/api/session", Some(&bob), None).await.0, StatusCode::OK);
    }
    trial.session_clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(
        trial.call("GET", "/api/session", Some(&bob), None).await.0,
        StatusCode::UNAUTHORIZED,
        "older than an hour"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_second_factor_is_required_before_the_session_works() {
    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let totp = Totp::from_base32(SECRET).unwrap();
    let trial =
        Trial::start_with(SessionConfig::default().require_second_factor(true), Users::demo().with_totp(SECRET)).await;
    let ann = trial.bearer("acme", "ann").await;
    let (status, json) = trial.call("GET", "/api/conversations", Some(&ann), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the second factor is pending: {json}");
    let (status, _) =
        trial.call("POST", "/api/session/second-factor", Some(&ann), Some(json!({ "code": "000000x" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong code");
    let code = totp.code_at(unibox_core::Clock::now(&trial.session_clock));
    let (status, json) =
        trial.call("POST", "/api/session/second-factor", Some(&ann), Some(json!({ "code": code }))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["session"]["second_factor"], "verified");
    assert_eq!(trial.call("GET", "/api/conversations", Some(&ann), None).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_and_ended_by_their_owner_or_an_admin_of_the_same_tenant() {
    let trial = Trial::start().await;
    let ann = trial.bearer("acme", "ann").await;
    let bob = trial.bearer("acme", "bob").await;
    let gus = trial.bearer("globex", "gus").await;

    let (status, mine) = trial.call("GET", "/api/sessions?user=bob", Some(&bob), None).await;
    assert_eq!(status, StatusCode::OK);
    let bob_session = mine["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = trial.call("GET", "/api/sessions", Some(&bob), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent lists only their own");
    let (status, all) = trial.call("GET", "/api/sessions", Some(&ann), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "acme's two sessions, not globex's: {all}");

    let (status, _) = trial.call("DELETE", &format!("/api/sessions/{bob_session}"), Some(&gus), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's session");
    assert_eq!(trial.call("GET", "/api/session", Some(&bob), None).await.0, StatusCode::OK);
    let (status, _) = trial.call("DELETE", &format!("/api/sessions/{bob_session}"), Some(&ann), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(trial.call("GET", "/api/session", Some(&bob), None).await.0, StatusCode::UNAUTHORIZED);
}
