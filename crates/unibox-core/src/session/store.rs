//! The [`SessionStore`] port: where sessions are kept, by token hash.

use std::fmt;

use async_trait::async_trait;

use crate::session::{Session, SessionId, TokenHash};
use crate::{Result, TenantId, Timestamp, UserId};

/// Where sessions are kept (memory, SQLite, yours). Tokens are never given to a store, only
/// their hashes. `unibox_testkit::sessions` checks an implementation.
#[async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// Stores a new session under its token hash. A duplicate id or hash is `Conflict`.
    async fn insert(&self, session: &Session, token: &TokenHash) -> Result<()>;

    /// The session with this token hash, whatever its tenant (this is how a request finds its
    /// tenant), or `None`.
    async fn find(&self, token: &TokenHash) -> Result<Option<Session>>;

    /// Replaces a stored session's activity and second-factor fields. `NotFound` if it was
    /// removed meanwhile: an ended session is never brought back.
    async fn update(&self, session: &Session) -> Result<()>;

    /// The tenant's sessions, of one user or of everyone, oldest first.
    async fn list(&self, tenant: &TenantId, user: Option<&UserId>) -> Result<Vec<Session>>;

    /// Removes one session; whether it existed.
    async fn remove(&self, tenant: &TenantId, id: SessionId) -> Result<bool>;

    /// Removes every session of a user; how many there were.
    async fn remove_user(&self, tenant: &TenantId, user: &UserId) -> Result<u64>;

    /// Removes every session no longer live at `now`, in every tenant; how many.
    async fn remove_expired(&self, now: Timestamp) -> Result<u64>;
}
