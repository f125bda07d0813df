use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::session::{Session, SessionId, SessionStore, TokenHash};
use crate::{Error, ErrorKind, Result, TenantId, Timestamp, UserId};

/// Sessions in process memory, by token hash.
///
/// ```
/// let store = unibox_core::memory::MemorySessionStore::new();
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<TokenHash, Session>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions are stored, live or expired.
    pub fn len(&self) -> usize {
        self.sessions().len()
    }

    /// Whether no session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<TokenHash, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn insert(&self, session: &Session, token: &TokenHash) -> Result<()> {
        let mut sessions = self.sessions();
        if sessions.contains_key(token) || sessions.values().any(|s| s.id == session.id) {
            return Err(Error::new(ErrorKind::Conflict, "a session with this id or token exists"));
        }
        sessions.insert(*token, session.clone());
        Ok(())
    }

    async fn find(&self, token: &TokenHash) -> Result<Option<Session>> {
        Ok(self.sessions().get(token).cloned())
    }

    async fn update(&self, session: &Session) -> Result<()> {
        let mut sessions = self.sessions();
        let stored = sessions
            .values_mut()
            .find(|s| s.id == session.id && s.tenant == session.tenant)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "the session has ended"))?;
        stored.last_active_at = session.last_active_at;
        stored.idle_expires_at = session.idle_expires_at;
        stored.second_factor = session.second_factor;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, user: Option<&UserId>) -> Result<Vec<Session>> {
        let mut list: Vec<Session> = self
            .sessions()
            .values()
            .filter(|s| &s.tenant == tenant && user.is_none_or(|user| &s.user == user))
            .cloned()
            .collect();
        list.sort_by_key(|s| (s.created_at, s.id));
        Ok(list)
    }

    async fn remove(&self, tenant: &TenantId, id: SessionId) -> Result<bool> {
        let mut sessions = self.sessions();
        let before = sessions.len();
        sessions.retain(|_, s| !(s.id == id && &s.tenant == tenant));
        Ok(sessions.len() < before)
    }

    async fn remove_user(&self, tenant: &TenantId, user: &UserId) -> Result<u64> {
        let mut sessions = self.sessions();
        let before = sessions.len();
        sessions.retain(|_, s| !(&s.tenant == tenant && &s.user == user));
        Ok((before - sessions.len()) as u64)
    }

    async fn remove_expired(&self, now: Timestamp) -> Result<u64> {
        let mut sessions = self.sessions();
        let before = sessions.len();
        sessions.retain(|_, s| s.is_live_at(now));
        Ok((before - sessions.len()) as u64)
    }
}

impl MemorySessionStore {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.sessions().retain(|_, session| &session.tenant != tenant);
    }
}
