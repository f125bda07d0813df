//! Sessions on a fake clock: timeouts at their exact boundaries, activity, ending sessions,
//! role changes, the second factor, and random activity traces against a reference model.

use std::sync::Arc;
use std::time::Duration;

use unibox_core::audit::actions;
use unibox_core::memory::{MemoryAuditLog, MemorySessionStore};
use unibox_core::policy::{MemberRules, TeamPolicy};
use unibox_core::session::{SessionConfig, SessionManager, SessionToken, Totp, TotpAlgorithm};
use unibox_core::{Actor, ErrorKind, ManualClock, Role, RolePolicy, TenantId, Timestamp, UserId};

const START: i64 = 1_732_170_000;

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

fn user(name: &str) -> UserId {
    name.parse().unwrap()
}

struct Setup {
    clock: ManualClock,
    store: Arc<MemorySessionStore>,
    audit: Arc<MemoryAuditLog>,
    sessions: SessionManager,
}

fn setup(config: SessionConfig) -> Setup {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(START));
    let store = Arc::new(MemorySessionStore::new());
    let audit = Arc::new(MemoryAuditLog::new());
    let sessions =
        SessionManager::new(store.clone(), config).unwrap().clock(Arc::new(clock.clone())).audit(audit.clone());
    Setup { clock, store, audit, sessions }
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

#[tokio::test]
async fn idle_timeout_is_exact_and_activity_resets_only_the_idle_timer() {
    for idle_minutes in [30u64, 15, 5] {
        let s = setup(SessionConfig::default().idle_timeout(secs(idle_minutes * 60)));
        let (token, session) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
        assert_eq!(session.expires_at, Timestamp::from_unix_seconds(START + 12 * 3600));
        s.clock.advance(secs(idle_minutes * 60 - 1));
        let touched = s.sessions.authenticate(&token).await.expect("valid one second before the idle timeout");
        assert_eq!(touched.last_active_at, s.clock_now(), "activity is recorded");
        s.clock.advance(secs(idle_minutes * 60 - 1));
        assert!(s.sessions.authenticate(&token).await.is_ok(), "activity moved the idle deadline");
        s.clock.advance(secs(idle_minutes * 60));
        let err = s.sessions.authenticate(&token).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert!(err.to_string().contains("idle_timeout"), "{err}");
        assert!(s.store.is_empty(), "an expired session is removed");
    }
}

impl Setup {
    fn clock_now(&self) -> Timestamp {
        use unibox_core::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn absolute_timeout_is_exact_whatever_the_activity() {
    let s = setup(SessionConfig::default());
    let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    // Active every 20 minutes for 12 hours less one second.
    let mut elapsed = 0;
    while elapsed + 20 * 60 < 12 * 3600 {
        s.clock.advance(secs(20 * 60));
        elapsed += 20 * 60;
        assert!(s.sessions.authenticate(&token).await.is_ok(), "at {elapsed}s");
    }
    s.clock.set(Timestamp::from_unix_seconds(START + 12 * 3600 - 1));
    let session = s.sessions.authenticate(&token).await.expect("valid one second before the absolute timeout");
    assert_eq!(session.idle_expires_at, session.expires_at, "the idle deadline never passes the absolute one");
    s.clock.advance(secs(1));
    let err = s.sessions.authenticate(&token).await.unwrap_err();
    assert!(err.to_string().contains("absolute_timeout"), "{err}");
}

#[tokio::test]
async fn unknown_and_ended_tokens_are_refused_and_logout_is_audited() {
    let s = setup(SessionConfig::default());
    let forged = SessionToken::generate().unwrap();
    assert_eq!(s.sessions.authenticate(&forged).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    let (token, session) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    s.sessions.logout(&token).await.unwrap();
    assert_eq!(s.sessions.authenticate(&token).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
    let records = s.audit.records(&tenant());
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, vec![actions::LOGIN, actions::LOGOUT]);
    assert_eq!(records[1].target, format!("session:{}", session.id));
    // The token never reaches the audit trail, the store's view, or Debug output.
    let everything = format!("{records:?} {:?} {session:?} {token:?}", s.store);
    assert!(!everything.contains(token.expose()), "the token leaked");
}

#[tokio::test]
async fn users_list_and_end_their_own_sessions_admins_anyones() {
    let s = setup(SessionConfig::default());
    let (_, first) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    let (second_token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    let (ann_token, _) = s.sessions.create(&tenant(), &user("ann"), Role::Admin).await.unwrap();
    let (globex_token, globex_session) =
        s.sessions.create(&"globex".parse().unwrap(), &user("nok"), Role::Agent).await.unwrap();
    let nok = Actor::user(tenant(), user("nok"), Role::Agent);
    let ann = Actor::user(tenant(), user("ann"), Role::Admin);

    assert_eq!(s.sessions.list(&RolePolicy, &nok, Some(&user("nok"))).await.unwrap().len(), 2);
    let denied = s.sessions.list(&RolePolicy, &nok, None).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(denied.message().contains("manage_members"));
    assert_eq!(s.sessions.list(&RolePolicy, &ann, None).await.unwrap().len(), 3, "another tenant's are not listed");

    // An agent cannot end an admin's session; another tenant's session is not found.
    let ann_session = s.sessions.authenticate(&ann_token).await.unwrap();
    let err = s.sessions.terminate(&RolePolicy, &nok, ann_session.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = s.sessions.terminate(&RolePolicy, &ann, globex_session.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(s.sessions.authenticate(&globex_token).await.is_ok());

    s.sessions.terminate(&RolePolicy, &nok, first.id).await.unwrap();
    assert_eq!(s.sessions.list(&RolePolicy, &nok, Some(&user("nok"))).await.unwrap().len(), 1);
    assert_eq!(s.sessions.terminate_all(&RolePolicy, &ann, &user("nok")).await.unwrap(), 1);
    assert!(s.sessions.authenticate(&second_token).await.is_err());
    assert!(s.sessions.authenticate(&ann_token).await.is_ok());
}

#[tokio::test]
async fn a_role_change_or_removal_ends_the_users_sessions_at_once() {
    let s = setup(SessionConfig::default());
    let policy = TeamPolicy::new();
    let ann = Actor::user(tenant(), user("ann"), Role::Admin);
    let nok = Actor::user(tenant(), user("nok"), Role::Agent);
    s.sessions.change_role(&policy, &ann, user("nok"), MemberRules::new(Role::Agent)).await.unwrap();
    let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    let (other, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();

    // Unchanged role (a restriction edit): sessions stay.
    let ended = s.sessions.change_role(&policy, &ann, user("nok"), MemberRules::new(Role::Agent).team("line")).await;
    assert_eq!(ended.unwrap(), 0);
    assert!(s.sessions.authenticate(&token).await.is_ok());

    // An agent cannot change roles, and the attempt is audited as denied.
    let err = s.sessions.change_role(&policy, &nok, user("nok"), MemberRules::new(Role::Admin)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);

    let ended = s.sessions.change_role(&policy, &ann, user("nok"), MemberRules::new(Role::Viewer)).await.unwrap();
    assert_eq!(ended, 2);
    assert!(s.sessions.authenticate(&token).await.is_err());
    assert!(s.sessions.authenticate(&other).await.is_err());

    let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Viewer).await.unwrap();
    assert_eq!(s.sessions.remove_member(&policy, &ann, &user("nok")).await.unwrap(), 1);
    assert!(s.sessions.authenticate(&token).await.is_err());

    let actions: Vec<String> = s.audit.records(&tenant()).into_iter().map(|r| r.action).collect();
    assert!(actions.iter().filter(|a| *a == actions::ROLE_CHANGE).count() >= 4, "{actions:?}");
    assert!(actions.iter().filter(|a| *a == actions::SESSION_TERMINATE).count() == 3, "{actions:?}");
    assert!(actions.contains(&actions::MEMBER_REMOVE.to_string()));
}

#[tokio::test]
async fn the_second_factor_gates_the_session_and_limits_attempts() {
    let s = setup(SessionConfig::default().require_second_factor(true));
    let totp = Totp::new(b"12345678901234567890".to_vec(), TotpAlgorithm::Sha1, 6).unwrap();
    let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    let err = s.sessions.authenticate(&token).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("second factor"));

    let wrong = s.sessions.verify_second_factor(&token, "000000", &totp).await.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::PermissionDenied);
    let code = totp.code_at(s.clock_now());
    let session = s.sessions.verify_second_factor(&token, &code, &totp).await.unwrap();
    assert!(matches!(session.second_factor, unibox_core::session::SecondFactor::Verified { .. }));
    assert!(s.sessions.authenticate(&token).await.is_ok());
    // A verified session does not take a code again.
    assert_eq!(s.sessions.verify_second_factor(&token, &code, &totp).await.unwrap_err().kind(), ErrorKind::Conflict);

    // Five wrong codes end the session.
    let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
    for attempt in 1..=5 {
        let err = s.sessions.verify_second_factor(&token, "000000", &totp).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "attempt {attempt}");
    }
    let err = s.sessions.verify_second_factor(&token, &totp.code_at(s.clock_now()), &totp).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "the session ended after five wrong codes");
}

#[tokio::test]
async fn purge_removes_only_expired_sessions() {
    let s = setup(SessionConfig::default());
    s.sessions.create(&tenant(), &user("old"), Role::Agent).await.unwrap();
    s.clock.advance(secs(20 * 60));
    let (fresh, _) = s.sessions.create(&tenant(), &user("new"), Role::Agent).await.unwrap();
    s.clock.advance(secs(15 * 60));
    assert_eq!(s.sessions.purge_expired().await.unwrap(), 1);
    assert_eq!(s.store.len(), 1);
    assert!(s.sessions.authenticate(&fresh).await.is_ok());
}

#[test]
fn invalid_timeouts_are_refused() {
    let store = Arc::new(MemorySessionStore::new());
    for config in [
        SessionConfig::default().idle_timeout(secs(59)),
        SessionConfig::default().idle_timeout(secs(13 * 3600)),
        SessionConfig::default().absolute_timeout(secs(31 * 86_400)),
    ] {
        let err = SessionManager::new(store.clone(), config).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

/// A reference model of one session: valid while `now < min(last + idle, created + absolute)`.
#[tokio::test]
async fn random_activity_traces_agree_with_the_reference_model() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move |bound: u64| {
        // xorshift64*: deterministic, so a failure reproduces from the printed trace number.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    };
    let idle = 30 * 60;
    let absolute = 12 * 3600;
    for trace in 0..2_000 {
        let s = setup(SessionConfig::default());
        let (token, _) = s.sessions.create(&tenant(), &user("nok"), Role::Agent).await.unwrap();
        let created = START;
        let mut last = START;
        let mut now = START;
        let mut alive = true;
        for _ in 0..20 {
            // Steps cluster around the idle boundary so both sides are exercised.
            let step = match next(4) {
                0 => idle as u64 - 1,
                1 => idle as u64,
                2 => next(idle as u64),
                _ => next(3 * 3600),
            };
            now += step as i64;
            s.clock.set(Timestamp::from_unix_seconds(now));
            let expected = alive && now < (last + idle).min(created + absolute);
            let actual = s.sessions.authenticate(&token).await.is_ok();
            assert_eq!(actual, expected, "trace {trace}: at +{}s (last activity +{}s)", now - START, last - START);
            if expected {
                last = now;
            } else {
                alive = false;
            }
        }
    }
}
