//! [`SessionManager`]: sign-in, per-request authentication with idle and absolute timeouts,
//! the second factor, listing and ending sessions, and ending them on role changes.

use std::sync::Arc;

use crate::audit::{AuditOutcome, AuditRecord, AuditSink, TracingAuditSink, actions};
use crate::policy::{MemberRules, TeamPolicy};
use crate::session::{
    EndReason, MAX_SECOND_FACTOR_FAILURES, SecondFactor, Session, SessionConfig, SessionId, SessionStore, SessionToken,
    Totp,
};
use crate::{Action, Actor, Clock, Error, ErrorKind, Policy, Resource, Result, Role, SystemClock, TenantId, UserId};

/// The automation name refused sign-ins are audited under: nobody is signed in yet.
const UNAUTHENTICATED: &str = "unauthenticated";

/// Manages the sessions of the embedding application's users.
///
/// - [`create`](Self::create) signs a user in and returns the token to hand them.
/// - [`authenticate`](Self::authenticate) turns the token of each request into the session
///   (and its [`Actor`]), ending it once idle for longer than the idle timeout (default 30
///   minutes) or older than the absolute timeout (default 12 hours); activity moves only the
///   idle deadline.
/// - [`verify_second_factor`](Self::verify_second_factor) accepts a TOTP code when required.
/// - [`list`](Self::list), [`terminate`](Self::terminate), [`terminate_all`](Self::terminate_all)
///   and [`logout`](Self::logout) end sessions; [`change_role`](Self::change_role) and
///   [`remove_member`](Self::remove_member) update a [`TeamPolicy`] and end the user's
///   sessions at once.
///
/// Every sign-in, sign-out and ending is audited; tokens never are.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use unibox_core::memory::MemorySessionStore;
/// use unibox_core::session::{SessionConfig, SessionManager};
/// use unibox_core::{ManualClock, Role, Timestamp};
///
/// let clock = ManualClock::new(Timestamp::from_unix_seconds(1_732_170_000));
/// let sessions = SessionManager::new(Arc::new(MemorySessionStore::new()), SessionConfig::default())
///     .unwrap()
///     .clock(Arc::new(clock.clone()));
/// let (token, _) = sessions.create(&"acme".parse().unwrap(), &"nok".parse().unwrap(), Role::Agent).await.unwrap();
/// clock.advance(Duration::from_secs(29 * 60));
/// assert!(sessions.authenticate(&token).await.is_ok());
/// clock.advance(Duration::from_secs(30 * 60));
/// assert!(sessions.authenticate(&token).await.is_err());
/// # });
/// ```
#[derive(Debug)]
pub struct SessionManager {
    store: Arc<dyn SessionStore>,
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
}

impl SessionManager {
    /// A manager over `store`; fails if `config` is invalid.
    pub fn new(store: Arc<dyn SessionStore>, config: SessionConfig) -> Result<Self> {
        config.validate()?;
        Ok(SessionManager { store, config, clock: Arc::new(SystemClock), audit: Arc::new(TracingAuditSink) })
    }

    /// The clock (a [`ManualClock`](crate::ManualClock) in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where sign-ins, sign-outs and endings are audited (an
    /// [`AuditTrail`](crate::audit::AuditTrail) in production).
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = audit;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    async fn record(&self, actor: &Actor, action: &str, session: SessionId, outcome: AuditOutcome) -> Result<()> {
        let record = AuditRecord::new(actor, action, format!("session:{session}"), self.clock.now(), outcome);
        self.audit.record(record).await
    }

    /// Signs `user` in with `role` (after the application checked their password or single
    /// sign-on). Returns the token to hand them, and the session.
    pub async fn create(&self, tenant: &TenantId, user: &UserId, role: Role) -> Result<(SessionToken, Session)> {
        let now = self.clock.now();
        let expires_at = now.saturating_add(self.config.absolute_timeout);
        let session = Session {
            id: SessionId::new(),
            tenant: tenant.clone(),
            user: user.clone(),
            role,
            created_at: now,
            last_active_at: now,
            idle_expires_at: now.saturating_add(self.config.idle_timeout).min(expires_at),
            expires_at,
            second_factor: if self.config.require_second_factor {
                SecondFactor::Pending { failures: 0 }
            } else {
                SecondFactor::NotRequired
            },
        };
        let token = SessionToken::generate()?;
        self.store.insert(&session, &token.hash()).await.map_err(|e| e.with_operation("session.create"))?;
        self.record(&session.actor(), actions::LOGIN, session.id, AuditOutcome::Success).await?;
        Ok((token, session))
    }

    /// The live session of `token`, after recording the activity. An unknown, ended or expired
    /// token is [`ErrorKind::Unauthenticated`] (the user must sign in again); a session still
    /// waiting for its second factor is [`ErrorKind::PermissionDenied`].
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        let mut session = self.live(token, "session.authenticate").await?;
        if let SecondFactor::Pending { .. } = session.second_factor {
            return Err(Error::new(ErrorKind::PermissionDenied, "the session needs its second factor (a TOTP code)")
                .with_operation("session.authenticate")
                .with_context("second_factor", "required"));
        }
        self.touch(&mut session).await?;
        Ok(session)
    }

    /// The live session of `token` without recording activity, whether or not its second
    /// factor is done: what a sign-in page needs to ask the right user for their TOTP code.
    /// An unknown, ended or expired token is [`ErrorKind::Unauthenticated`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use unibox_core::memory::MemorySessionStore;
    /// use unibox_core::session::{SessionConfig, SessionManager};
    /// use unibox_core::Role;
    /// let config = SessionConfig::default().require_second_factor(true);
    /// let sessions = SessionManager::new(Arc::new(MemorySessionStore::new()), config).unwrap();
    /// let (token, _) = sessions.create(&"acme".parse().unwrap(), &"nok".parse().unwrap(), Role::Agent).await.unwrap();
    /// assert!(sessions.authenticate(&token).await.is_err());
    /// assert_eq!(sessions.session(&token).await.unwrap().user.as_str(), "nok");
    /// # });
    /// ```
    pub async fn session(&self, token: &SessionToken) -> Result<Session> {
        self.live(token, "session.session").await
    }

    /// The live session of `token`, or the reason it is not; expired sessions are removed.
    async fn live(&self, token: &SessionToken, operation: &'static str) -> Result<Session> {
        let invalid = || Error::new(ErrorKind::Unauthenticated, "the session is unknown or has ended; sign in again");
        let session =
            self.store.find(&token.hash()).await.map_err(|e| e.with_operation(operation))?.ok_or_else(invalid)?;
        let now = self.clock.now();
        if session.is_live_at(now) {
            return Ok(session);
        }
        let reason = if now >= session.expires_at { EndReason::AbsoluteTimeout } else { EndReason::IdleTimeout };
        self.end(&session, &session.actor(), reason).await?;
        Err(invalid().with_operation(operation).with_context("reason", reason.as_str()))
    }

    async fn touch(&self, session: &mut Session) -> Result<()> {
        let now = self.clock.now();
        session.last_active_at = now;
        session.idle_expires_at = now.saturating_add(self.config.idle_timeout).min(session.expires_at);
        self.store.update(session).await.map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                // Ended between the lookup and now (terminated by an admin): same as unknown.
                Error::new(ErrorKind::Unauthenticated, "the session has ended; sign in again")
            } else {
                e
            }
            .with_operation("session.touch")
        })
    }

    /// Accepts a TOTP code for a session waiting for its second factor. A wrong code counts;
    /// after [`MAX_SECOND_FACTOR_FAILURES`] wrong codes the session ends. A code is accepted
    /// within one step of clock drift, and never twice for the same session.
    pub async fn verify_second_factor(&self, token: &SessionToken, code: &str, totp: &Totp) -> Result<Session> {
        let mut session = self.live(token, "session.second_factor").await?;
        let failures = match session.second_factor {
            SecondFactor::Pending { failures } => failures,
            SecondFactor::NotRequired | SecondFactor::Verified { .. } => {
                return Err(Error::new(ErrorKind::Conflict, "the session does not wait for a second factor")
                    .with_operation("session.second_factor"));
            }
        };
        let actor = session.actor();
        match totp.verify(code, self.clock.now(), 1) {
            Some(step) => {
                session.second_factor = SecondFactor::Verified { step };
                self.touch(&mut session).await?;
                self.record(&actor, actions::SECOND_FACTOR, session.id, AuditOutcome::Success).await?;
                Ok(session)
            }
            None => {
                let failures = failures + 1;
                let outcome = AuditOutcome::Failed { error: "wrong_code".into() };
                self.record(&actor, actions::SECOND_FACTOR, session.id, outcome).await?;
                if failures >= MAX_SECOND_FACTOR_FAILURES {
                    self.end(&session, &actor, EndReason::SecondFactorFailures).await?;
                } else {
                    session.second_factor = SecondFactor::Pending { failures };
                    self.store.update(&session).await?;
                }
                Err(Error::new(ErrorKind::PermissionDenied, "the second-factor code is wrong or expired")
                    .with_operation("session.second_factor")
                    .with_context("failures", failures))
            }
        }
    }

    /// Audits a refused sign-in of `user` (a wrong password, an unknown user, or too many
    /// failed attempts: `reason` says which, in words that never include the password), as
    /// [`actions::LOGIN`] denied, by the automation `unauthenticated`. The application's sign-in
    /// calls it; the agent API's does.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use unibox_core::memory::MemorySessionStore;
    /// use unibox_core::session::{SessionConfig, SessionManager};
    /// let sessions = SessionManager::new(Arc::new(MemorySessionStore::new()), SessionConfig::default()).unwrap();
    /// sessions.record_refused_sign_in(&"acme".parse().unwrap(), &"nok".parse().unwrap(), "wrong credentials").await.unwrap();
    /// # });
    /// ```
    pub async fn record_refused_sign_in(&self, tenant: &TenantId, user: &UserId, reason: &str) -> Result<()> {
        let actor = Actor::automation(tenant.clone(), UNAUTHENTICATED);
        let outcome = AuditOutcome::Denied { reason: reason.to_string() };
        let record = AuditRecord::new(&actor, actions::LOGIN, format!("user:{user}"), self.clock.now(), outcome);
        self.audit.record(record).await
    }

    /// Signs the user of `token` out.
    pub async fn logout(&self, token: &SessionToken) -> Result<()> {
        let Some(session) = self.store.find(&token.hash()).await? else { return Ok(()) };
        if self.store.remove(&session.tenant, session.id).await? {
            self.record(&session.actor(), actions::LOGOUT, session.id, AuditOutcome::Success).await?;
        }
        Ok(())
    }

    /// Removes a session and audits why.
    async fn end(&self, session: &Session, by: &Actor, reason: EndReason) -> Result<()> {
        if self.store.remove(&session.tenant, session.id).await? {
            let outcome = match reason {
                EndReason::Logout | EndReason::Terminated | EndReason::RoleChanged | EndReason::Removed => {
                    AuditOutcome::Success
                }
                _ => AuditOutcome::Failed { error: reason.as_str().to_string() },
            };
            self.record(by, actions::SESSION_TERMINATE, session.id, outcome).await?;
        }
        Ok(())
    }

    /// Whether `by` may see or end `user`'s sessions: their own, or with
    /// [`Action::ManageMembers`].
    fn check_manage(&self, policy: &dyn Policy, by: &Actor, user: Option<&UserId>) -> Result<()> {
        if user.is_some() && by.user_id() == user {
            return Ok(());
        }
        policy.authorize(by, Action::ManageMembers, Resource::Tenant)
    }

    /// The live sessions of `by`'s tenant: of one user (their own, or anyone's with
    /// [`Action::ManageMembers`]) or of everyone (with it).
    pub async fn list(&self, policy: &dyn Policy, by: &Actor, user: Option<&UserId>) -> Result<Vec<Session>> {
        self.check_manage(policy, by, user)?;
        let now = self.clock.now();
        let sessions = self.store.list(by.tenant(), user).await?;
        Ok(sessions.into_iter().filter(|s| s.is_live_at(now)).collect())
    }

    /// Ends one session of `by`'s tenant (their own, or anyone's with [`Action::ManageMembers`]).
    /// Another tenant's session is `NotFound`.
    pub async fn terminate(&self, policy: &dyn Policy, by: &Actor, id: SessionId) -> Result<()> {
        let sessions = self.store.list(by.tenant(), None).await?;
        let session = sessions
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "no such session").with_operation("session.terminate"))?;
        if let Err(denied) = self.check_manage(policy, by, Some(&session.user)) {
            let outcome = AuditOutcome::Denied { reason: denied.message().to_string() };
            self.record(by, actions::SESSION_TERMINATE, id, outcome).await?;
            return Err(denied);
        }
        self.end(&session, by, EndReason::Terminated).await
    }

    /// Ends every session of `user` in `by`'s tenant; how many ended.
    pub async fn terminate_all(&self, policy: &dyn Policy, by: &Actor, user: &UserId) -> Result<u64> {
        self.check_manage(policy, by, Some(user))?;
        self.end_all(by, user, EndReason::Terminated).await
    }

    async fn end_all(&self, by: &Actor, user: &UserId, reason: EndReason) -> Result<u64> {
        let sessions = self.store.list(by.tenant(), Some(user)).await?;
        let mut ended = 0;
        for session in &sessions {
            if self.store.remove(&session.tenant, session.id).await? {
                ended += 1;
                // The reason is the record before (role.change, member.remove) or the request itself.
                tracing::debug!(target: "unibox::session", session = %session.id, reason = reason.as_str(), "session ended");
                self.record(by, actions::SESSION_TERMINATE, session.id, AuditOutcome::Success).await?;
            }
        }
        Ok(ended)
    }

    /// Changes a member's rules (role, restrictions, teams) in `policy` and, if their role
    /// changed, ends their sessions at once. Requires [`Action::ManageMembers`]. Returns how
    /// many sessions ended.
    pub async fn change_role(&self, policy: &TeamPolicy, by: &Actor, user: UserId, rules: MemberRules) -> Result<u64> {
        let target = format!("member:{user}");
        if let Err(denied) = policy.authorize(by, Action::ManageMembers, Resource::Tenant) {
            let outcome = AuditOutcome::Denied { reason: denied.message().to_string() };
            self.audit.record(AuditRecord::new(by, actions::ROLE_CHANGE, target, self.clock.now(), outcome)).await?;
            return Err(denied);
        }
        let before = policy.rules(by.tenant()).members.get(&user).and_then(|m| m.role);
        let new_role = rules.role;
        policy.set_member(by.tenant(), user.clone(), rules);
        self.audit
            .record(AuditRecord::new(by, actions::ROLE_CHANGE, target, self.clock.now(), AuditOutcome::Success))
            .await?;
        // A session carries the role it was signed in with; unless it is unchanged, end them.
        let sessions = self.store.list(by.tenant(), Some(&user)).await?;
        if before == new_role && new_role.is_some() && sessions.iter().all(|s| Some(s.role) == new_role) {
            return Ok(0);
        }
        self.end_all(by, &user, EndReason::RoleChanged).await
    }

    /// Removes a member from `policy` and ends their sessions at once. Requires
    /// [`Action::ManageMembers`]. Returns how many sessions ended.
    pub async fn remove_member(&self, policy: &TeamPolicy, by: &Actor, user: &UserId) -> Result<u64> {
        let target = format!("member:{user}");
        if let Err(denied) = policy.authorize(by, Action::ManageMembers, Resource::Tenant) {
            let outcome = AuditOutcome::Denied { reason: denied.message().to_string() };
            self.audit.record(AuditRecord::new(by, actions::MEMBER_REMOVE, target, self.clock.now(), outcome)).await?;
            return Err(denied);
        }
        policy.remove_member(by.tenant(), user);
        self.audit
            .record(AuditRecord::new(by, actions::MEMBER_REMOVE, target, self.clock.now(), AuditOutcome::Success))
            .await?;
        self.end_all(by, user, EndReason::Removed).await
    }

    /// Removes every expired session of every tenant (run it on a timer; expired sessions are
    /// refused anyway). Returns how many.
    pub async fn purge_expired(&self) -> Result<u64> {
        self.store.remove_expired(self.clock.now()).await
    }
}
