//! Sign-in throttling: failed sign-ins lock an account, and a client address, with a typed
//! `429` and `Retry-After`; known and unknown accounts get the same answers; refusals are
//! audited.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::Trial;
use http::{HeaderName, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use unibox_agent_api::ThrottleConfig;
use unibox_core::audit::{AuditOutcome, AuditQuery};

/// A sign-in from `address` (the connection's peer): (status, `Retry-After`, body).
async fn sign_in_from(
    trial: &Trial,
    address: Option<&str>,
    headers: &[(&str, &str)],
    user: &str,
    password: &str,
) -> (StatusCode, Option<String>, Value) {
    let body = json!({ "tenant": "acme", "user": user, "password": password, "bearer": true });
    let mut request = Request::post("/api/session").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    if let Some(address) = address {
        request.extensions_mut().insert(ConnectInfo(address.parse::<SocketAddr>().unwrap()));
    }
    let response = tower::ServiceExt::oneshot(trial.router.clone(), request).await.unwrap();
    let status = response.status();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry_after, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn sign_in(trial: &Trial, user: &str, password: &str) -> (StatusCode, Option<String>, Value) {
    sign_in_from(trial, None, &[], user, password).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_lock_an_account_with_a_typed_429_the_same_for_known_and_unknown_users() {
    let config = ThrottleConfig::default().free_failures(2).base_delay(Duration::from_secs(1));
    let trial = Trial::start().await.reconfigure(|api| api.sign_in_throttle(config));
    let mut locked = Vec::new();
    for user in ["ann", "nobody"] {
        for attempt in 1..=3 {
            let (status, retry_after, json) = sign_in(&trial, user, "guess").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{user} attempt {attempt}: {json}");
            assert_eq!(json["error"]["message"], "unknown user or wrong password");
            assert_eq!(retry_after, None);
        }
        // Locked now: even the right password is not checked.
        let (status, retry_after, json) = sign_in(&trial, user, &format!("{user}-password")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{json}");
        assert_eq!(json["error"]["kind"], "rate_limited");
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(json["error"]["retry_after"], 1);
        locked.push(json);
    }
    assert_eq!(locked[0], locked[1], "whether the account exists does not show");
    // Another account is not locked.
    assert_eq!(sign_in(&trial, "bob", "bob-password").await.0, StatusCode::CREATED);

    // After the lock the right password works and clears the count.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sign_in(&trial, "ann", "ann-password").await.0, StatusCode::CREATED);
    for _ in 0..2 {
        assert_eq!(sign_in(&trial, "ann", "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sign_in(&trial, "ann", "ann-password").await.0, StatusCode::CREATED, "two free failures again");

    // Each checked failure is audited as a denied login; the one that locked says so.
    let trail = trial.hub.audit_trail().expect("the store's audit trail");
    let tenant = "acme".parse().unwrap();
    let page = trail.query(&tenant, &AuditQuery::new().target("user:ann").action("session.login")).await.unwrap();
    let reasons: Vec<String> = page
        .items
        .iter()
        .filter_map(|r| match &r.record.outcome {
            AuditOutcome::Denied { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 5, "3 + 2 wrong passwords: {reasons:?}");
    assert_eq!(reasons.iter().filter(|r| r.contains("locked for 1 s")).count(), 1, "{reasons:?}");
    assert!(reasons.iter().all(|r| !r.contains("guess")), "never the password");
    let unknown = trail.query(&tenant, &AuditQuery::new().target("user:nobody")).await.unwrap();
    assert_eq!(unknown.items.len(), 3, "unknown users are audited alike");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_from_one_address_lock_it_across_accounts() {
    let config = ThrottleConfig::default().free_failures_per_address(3).base_delay(Duration::from_secs(30));
    let trial = Trial::start().await.reconfigure(|api| api.sign_in_throttle(config));
    let attacker = Some("192.0.2.7:50000");
    for user in ["u1", "u2", "u3", "u4"] {
        assert_eq!(sign_in_from(&trial, attacker, &[], user, "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, retry_after, _) = sign_in_from(&trial, attacker, &[], "ann", "ann-password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after.as_deref(), Some("30"));
    // Ann from her own address is not locked (her account has no failures).
    assert_eq!(
        sign_in_from(&trial, Some("198.51.100.4:40000"), &[], "ann", "ann-password").await.0,
        StatusCode::CREATED
    );

    // Behind a trusted proxy the header's last address counts, not the proxy's.
    let proxy = "10.0.0.1:443";
    let trial = trial.reconfigure(|api| api.client_address_header(HeaderName::from_static("x-forwarded-for")));
    for user in ["p1", "p2", "p3", "p4"] {
        let forwarded = [("x-forwarded-for", "203.0.113.50, 192.0.2.99")];
        assert_eq!(sign_in_from(&trial, Some(proxy), &forwarded, user, "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    let blocked = [("x-forwarded-for", "192.0.2.99")];
    assert_eq!(
        sign_in_from(&trial, Some(proxy), &blocked, "bob", "bob-password").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let other = [("x-forwarded-for", "192.0.2.100")];
    assert_eq!(sign_in_from(&trial, Some(proxy), &other, "bob", "bob-password").await.0, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_second_factor_codes_count_so_signing_in_again_gives_no_fresh_guesses() {
    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let config = unibox_core::session::SessionConfig::default().require_second_factor(true);
    let throttle = ThrottleConfig::default().free_failures(3).base_delay(Duration::from_secs(30));
    let trial = Trial::start_with(config, common::Users::demo().with_totp(SECRET))
        .await
        .reconfigure(|api| api.sign_in_throttle(throttle));
    let wrong = Some(json!({ "code": "000000" }));
    // Two codes on one session, two on the next: the fourth wrong code locks the account.
    for _ in 0..2 {
        let ann = trial.bearer("acme", "ann").await;
        for _ in 0..2 {
            let (status, json) = trial.call("POST", "/api/session/second-factor", Some(&ann), wrong.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{json}");
        }
    }
    let (status, retry_after, json) = sign_in(&trial, "ann", "ann-password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{json}");
    assert_eq!(retry_after.as_deref(), Some("30"));
    // Bob's account is not affected.
    let bob = trial.bearer("acme", "bob").await;
    let code =
        unibox_core::session::Totp::from_base32(SECRET).unwrap().code_at(unibox_core::Clock::now(&trial.session_clock));
    let (status, json) =
        trial.call("POST", "/api/session/second-factor", Some(&bob), Some(json!({ "code": code }))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
}
