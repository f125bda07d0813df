//! The [`SessionStore`] conformance suite.
//!
//! Every check uses fresh tenants and users, so all of them can share one store.
//! [`run_all`] runs them and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemorySessionStore;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::sessions::run_all(&MemorySessionStore::new()).await;
//! # });
//! ```

use std::time::Duration;

use unibox_core::session::{SecondFactor, Session, SessionId, SessionStore, SessionToken, TokenHash};
use unibox_core::{ErrorKind, Role, TenantId, Timestamp, UserId};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{assert_kind, catch_panic, ok};

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", SessionId::new().to_string().replace('-', "")[20..].to_owned())
}

fn tenant() -> TenantId {
    fixtures::tenant(&unique("t"))
}

fn user(name: &str) -> UserId {
    name.parse().expect("a valid user id")
}

fn session(tenant: &TenantId, user: &UserId, created: i64) -> (Session, TokenHash) {
    let created_at = fixtures::at(created);
    let expires_at = created_at.saturating_add(Duration::from_secs(12 * 3600));
    let session = Session {
        id: SessionId::new(),
        tenant: tenant.clone(),
        user: user.clone(),
        role: Role::Agent,
        created_at,
        last_active_at: created_at,
        idle_expires_at: created_at.saturating_add(Duration::from_secs(30 * 60)),
        expires_at,
        second_factor: SecondFactor::Pending { failures: 0 },
    };
    let token = SessionToken::generate().expect("random bytes");
    (session, token.hash())
}

/// What `insert` stores, `find` returns by token hash, every field; an unknown hash is `None`.
pub async fn insert_then_find_by_token_hash(store: &dyn SessionStore) {
    let tenant = tenant();
    let (session, hash) = session(&tenant, &user("nok"), 0);
    ok(store.insert(&session, &hash).await, "insert");
    assert_eq!(ok(store.find(&hash).await, "find"), Some(session.clone()));
    let unknown = SessionToken::generate().expect("random bytes").hash();
    assert_eq!(ok(store.find(&unknown).await, "find unknown"), None);
    let (mut duplicate, _) = self::session(&tenant, &user("nok"), 1);
    assert_kind(store.insert(&duplicate, &hash).await, ErrorKind::Conflict, "insert with a used token hash");
    duplicate.id = session.id;
    let other_hash = SessionToken::generate().expect("random bytes").hash();
    assert_kind(store.insert(&duplicate, &other_hash).await, ErrorKind::Conflict, "insert with a used id");
}

/// `update` changes activity and second factor; after `remove` it is `NotFound` and nothing
/// comes back.
pub async fn update_changes_activity_but_never_revives(store: &dyn SessionStore) {
    let tenant = tenant();
    let (mut session, hash) = session(&tenant, &user("nok"), 0);
    ok(store.insert(&session, &hash).await, "insert");
    session.last_active_at = fixtures::at(600);
    session.idle_expires_at = fixtures::at(600 + 1800);
    session.second_factor = SecondFactor::Verified { step: 57_738_999 };
    ok(store.update(&session).await, "update");
    assert_eq!(ok(store.find(&hash).await, "find"), Some(session.clone()));

    assert!(ok(store.remove(&tenant, session.id).await, "remove"), "remove reports the session existed");
    assert!(!ok(store.remove(&tenant, session.id).await, "remove again"), "a second remove finds nothing");
    assert_kind(store.update(&session).await, ErrorKind::NotFound, "update after remove");
    assert_eq!(ok(store.find(&hash).await, "find after remove"), None);
}

/// `list` returns a tenant's sessions oldest first, of one user or all; another tenant's never.
pub async fn list_is_per_tenant_and_per_user(store: &dyn SessionStore) {
    let (acme, globex) = (tenant(), tenant());
    let (a1, h1) = session(&acme, &user("nok"), 10);
    let (a2, h2) = session(&acme, &user("ann"), 20);
    let (a3, h3) = session(&acme, &user("nok"), 30);
    let (g1, h4) = session(&globex, &user("nok"), 5);
    for (session, hash) in [(&a3, &h3), (&a1, &h1), (&g1, &h4), (&a2, &h2)] {
        ok(store.insert(session, hash).await, "insert");
    }
    let ids = |list: Vec<Session>| list.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(ok(store.list(&acme, None).await, "list")), vec![a1.id, a2.id, a3.id]);
    assert_eq!(ids(ok(store.list(&acme, Some(&user("nok"))).await, "list nok")), vec![a1.id, a3.id]);
    assert_eq!(ids(ok(store.list(&globex, None).await, "list globex")), vec![g1.id]);
    assert!(!ok(store.remove(&globex, a1.id).await, "remove across tenants"), "another tenant cannot remove it");
    assert!(ok(store.find(&h1).await, "find").is_some());
}

/// `remove_user` removes exactly that user's sessions in that tenant.
pub async fn remove_user_removes_only_that_users_sessions(store: &dyn SessionStore) {
    let (acme, globex) = (tenant(), tenant());
    let sessions = [
        session(&acme, &user("nok"), 1),
        session(&acme, &user("nok"), 2),
        session(&acme, &user("ann"), 3),
        session(&globex, &user("nok"), 4),
    ];
    for (session, hash) in &sessions {
        ok(store.insert(session, hash).await, "insert");
    }
    assert_eq!(ok(store.remove_user(&acme, &user("nok")).await, "remove_user"), 2);
    assert_eq!(ok(store.find(&sessions[0].1).await, "find"), None);
    assert!(ok(store.find(&sessions[2].1).await, "find ann").is_some());
    assert!(ok(store.find(&sessions[3].1).await, "find globex").is_some());
}

/// `remove_expired` removes sessions past either deadline, at the exact boundary, and keeps
/// the rest.
pub async fn remove_expired_respects_both_deadlines(store: &dyn SessionStore) {
    let tenant = tenant();
    // Far in the future, so other checks' sessions sharing the store are not affected.
    let base = 10_000_000_000;
    let (idle, h1) = session(&tenant, &user("idle"), base);
    let (mut old, h2) = session(&tenant, &user("old"), base - 12 * 3600 + 3600);
    old.idle_expires_at = Timestamp::from_unix_millis(old.expires_at.as_unix_millis());
    let (mut live, h3) = session(&tenant, &user("live"), base);
    live.idle_expires_at = fixtures::at(base + 1800 + 1);
    for (session, hash) in [(&idle, &h1), (&old, &h2), (&live, &h3)] {
        ok(store.insert(session, hash).await, "insert");
    }
    let now = fixtures::at(base + 1800);
    let removed = ok(store.remove_expired(now).await, "remove_expired");
    assert!(removed >= 1, "the idle session is removed");
    assert_eq!(ok(store.find(&h1).await, "idle"), None, "idle exactly at its deadline");
    assert!(ok(store.find(&h2).await, "old").is_some(), "absolute deadline not reached yet");
    assert!(ok(store.find(&h3).await, "live").is_some());
    ok(store.remove_expired(old.expires_at).await, "remove_expired at the absolute deadline");
    assert_eq!(ok(store.find(&h2).await, "old"), None, "old exactly at its absolute deadline");
}

type Check = for<'a> fn(&'a dyn SessionStore) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("insert_then_find_by_token_hash", |s| Box::pin(insert_then_find_by_token_hash(s))),
    ("update_changes_activity_but_never_revives", |s| Box::pin(update_changes_activity_but_never_revives(s))),
    ("list_is_per_tenant_and_per_user", |s| Box::pin(list_is_per_tenant_and_per_user(s))),
    ("remove_user_removes_only_that_users_sessions", |s| Box::pin(remove_user_removes_only_that_users_sessions(s))),
    ("remove_expired_respects_both_deadlines", |s| Box::pin(remove_expired_respects_both_deadlines(s))),
];

/// Runs every check against `store` and panics with the name and message of each that failed.
pub async fn run_all(store: &dyn SessionStore) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "session store conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
