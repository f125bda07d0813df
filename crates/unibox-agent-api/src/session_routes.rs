//! Signing in and out, the second factor, and listing and ending sessions.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use unibox_core::session::{SecondFactor, SessionId};
use unibox_core::{Error, ErrorKind, TenantId, UserId};

use crate::auth::{Via, check_csrf, csrf_token};
use crate::extract::{ApiJson, ApiQuery, PathId, parse_optional};
use crate::throttle::Attempt;
use crate::views::SessionView;
use crate::{AgentApi, AgentSession, ApiError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    tenant: String,
    user: String,
    password: String,
    /// `true`: answer the token for an `Authorization: Bearer` header instead of setting the
    /// cookie (scripts, native apps).
    #[serde(default)]
    bearer: bool,
}

/// `POST /session`: checks the password with the application's verifier and signs in.
///
/// Failed sign-ins are counted per account and per client address (see [`ThrottleConfig`]);
/// a locked one is answered `429` with `Retry-After` before the password is checked. Unknown
/// users are counted, answered and audited like known ones.
///
/// [`ThrottleConfig`]: crate::ThrottleConfig
pub(crate) async fn sign_in(
    State(api): State<AgentApi>,
    headers: HeaderMap,
    extensions: Extensions,
    ApiJson(request): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    // A sign-in posted from another site would log the victim's browser into the attacker's
    // account (login CSRF).
    api.check_origin(&headers)?;
    let attempt = Attempt::new(&request.tenant, &request.user, api.client_address(&headers, &extensions));
    if let Some(wait) = api.inner.throttle.locked_for(&attempt) {
        tracing::info!(target: "unibox::agent_api", "a sign-in was refused: too many failed attempts");
        return Err(throttled(wait));
    }
    let wrong = || ApiError::from(Error::new(ErrorKind::Unauthenticated, "unknown user or wrong password"));
    let tenant = request.tenant.parse::<TenantId>().ok();
    let user = request.user.parse::<UserId>().ok();
    let password = SecretString::from(request.password);
    let role = match (&tenant, &user) {
        (Some(tenant), Some(user)) => api.inner.verifier.verify(tenant, user, &password).await?,
        _ => None,
    };
    let (Some(tenant), Some(user), Some(role)) = (tenant.clone(), user.clone(), role) else {
        let locked = api.inner.throttle.failed(&attempt);
        if let (Some(tenant), Some(user)) = (&tenant, &user) {
            let reason = match locked {
                Some(lock) => format!("unknown user or wrong password; sign-in locked for {} s", seconds(lock)),
                None => "unknown user or wrong password".to_string(),
            };
            if let Err(error) = api.inner.sessions.record_refused_sign_in(tenant, user, &reason).await {
                tracing::warn!(target: "unibox::agent_api", %error, "could not audit a refused sign-in");
            }
        }
        return Err(wrong());
    };
    let (token, session) = api.inner.sessions.create(&tenant, &user, role).await?;
    if !matches!(session.second_factor, SecondFactor::Pending { .. }) {
        // With a second factor pending the count stays until the code is right: signing in
        // again must not give a code guesser fresh attempts.
        api.inner.throttle.succeeded(&attempt);
    }
    let mut body = json!({ "session": SessionView::of(&session), "csrf_token": csrf_token(&token) });
    if request.bearer {
        body["token"] = json!(token.expose());
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    let max_age = session.expires_at.as_unix_seconds().saturating_sub(session.created_at.as_unix_seconds());
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, api.cookie(token.expose(), max_age)?);
    Ok(response)
}

/// The 429 of a locked sign-in: the same for every account, known or not.
fn throttled(wait: Duration) -> ApiError {
    let wait = Duration::from_secs(seconds(wait));
    ApiError::from(
        Error::new(ErrorKind::RateLimited, "too many failed sign-ins; try again later").with_retry_after(wait),
    )
}

/// Whole seconds, rounded up (a `Retry-After` of 0 would invite an immediate retry).
fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondFactorCode {
    code: String,
}

/// `POST /session/second-factor`: the TOTP code of a session signed in with a password.
///
/// Wrong codes count as failed sign-ins of the account (and the client address) in the sign-in
/// throttle: a password holder cannot guess codes by signing in again and again.
pub(crate) async fn second_factor(
    State(api): State<AgentApi>,
    headers: HeaderMap,
    extensions: Extensions,
    ApiJson(request): ApiJson<SecondFactorCode>,
) -> Result<Response, ApiError> {
    let (token, via) = api.presented_token(&headers).ok_or_else(ApiError::unauthenticated)?;
    if via == Via::Cookie {
        api.check_origin(&headers)?;
        // The same CSRF rule as every unsafe request of a cookie session.
        check_csrf(&headers, &token)?;
    }
    let pending = api.inner.sessions.session(&token).await?;
    let attempt =
        Attempt::new(pending.tenant.as_str(), pending.user.as_str(), api.client_address(&headers, &extensions));
    if let Some(wait) = api.inner.throttle.locked_for(&attempt) {
        return Err(throttled(wait));
    }
    let totp = api
        .inner
        .verifier
        .totp(&pending.tenant, &pending.user)
        .await?
        .ok_or_else(|| ApiError::forbidden("this user has no second factor enrolled"))?;
    let session = match api.inner.sessions.verify_second_factor(&token, &request.code, &totp).await {
        Ok(session) => session,
        Err(error) => {
            if error.kind() == ErrorKind::PermissionDenied {
                // A wrong code (the session manager audits it and ends the session after a few).
                api.inner.throttle.failed(&attempt);
            }
            return Err(error.into());
        }
    };
    api.inner.throttle.succeeded(&attempt);
    Ok(Json(json!({ "session": SessionView::of(&session), "csrf_token": csrf_token(&token) })).into_response())
}

/// `GET /session`: the signed-in session and its CSRF token (after a page reload).
pub(crate) async fn current(session: AgentSession) -> Json<serde_json::Value> {
    Json(json!({ "session": SessionView::of(session.session()), "csrf_token": csrf_token(session.token()) }))
}

/// `DELETE /session`: signs out and clears the cookie.
pub(crate) async fn sign_out(State(api): State<AgentApi>, session: AgentSession) -> Result<Response, ApiError> {
    api.inner.sessions.logout(session.token()).await?;
    // Its event streams end now (nobody listening is fine).
    let _ = api.inner.ended_sessions.send(session.session().id);
    let mut response = StatusCode::NO_CONTENT.into_response();
    if session.via() == Via::Cookie {
        response.headers_mut().insert(header::SET_COOKIE, api.cookie("", 0)?);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionFilter {
    user: Option<String>,
}

/// `GET /sessions?user=`: live sessions of the tenant (one's own; anyone's for an admin).
pub(crate) async fn list(
    State(api): State<AgentApi>,
    session: AgentSession,
    ApiQuery(filter): ApiQuery<SessionFilter>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = parse_optional::<UserId>("user", filter.user.as_deref())?;
    let actor = session.actor();
    let sessions = api.inner.sessions.list(api.hub().policy().as_ref(), &actor, user.as_ref()).await?;
    let items: Vec<_> = sessions.iter().map(SessionView::of).collect();
    Ok(Json(json!({ "items": items })))
}

/// `DELETE /sessions/{id}`: ends a session (one's own; anyone's for an admin).
pub(crate) async fn terminate(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<SessionId>,
) -> Result<StatusCode, ApiError> {
    api.inner.sessions.terminate(api.hub().policy().as_ref(), &session.actor(), id).await?;
    let _ = api.inner.ended_sessions.send(id);
    Ok(StatusCode::NO_CONTENT)
}

impl AgentApi {
    /// The `Set-Cookie` value carrying `token` (an empty one with `max_age` 0 clears it).
    fn cookie(&self, token: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
        let settings = &self.inner.cookie;
        let secure = if settings.secure { "; Secure" } else { "" };
        let value = format!(
            "{}={token}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
            settings.name, settings.path
        );
        HeaderValue::from_str(&value).map_err(|_| ApiError::invalid("the cookie settings are not valid in a header"))
    }
}
