//! What a session is: who, since when, until when, and how far they are signed in.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, Error, ErrorKind, Result, Role, TenantId, Timestamp, UserId};

/// A session's id: public (it can be listed and shown), unlike its token.
///
/// ```
/// use unibox_core::session::SessionId;
/// let id = SessionId::new();
/// assert_eq!(id.to_string().parse::<SessionId>().unwrap(), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(Uuid);

impl SessionId {
    /// A new, time-ordered id.
    pub fn new() -> Self {
        SessionId(Uuid::now_v7())
    }
    /// The 16 bytes, for storage.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
    /// From 16 stored bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        SessionId(Uuid::from_bytes(bytes))
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.0)
    }
}

impl FromStr for SessionId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Uuid::parse_str(s)
            .map(SessionId)
            .map_err(|_| Error::new(ErrorKind::InvalidInput, "not a valid SessionId (expected a UUID)"))
    }
}

/// Where a session stands with the second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SecondFactor {
    /// The tenant does not require one.
    NotRequired,
    /// Required and not yet given; the session cannot be used.
    Pending {
        /// Wrong codes so far; the session ends after [`MAX_SECOND_FACTOR_FAILURES`].
        failures: u32,
    },
    /// Given.
    Verified {
        /// The TOTP time step of the accepted code (a code is accepted once).
        step: u64,
    },
}

/// Wrong second-factor codes a session survives; the next one ends it.
pub const MAX_SECOND_FACTOR_FAILURES: u32 = 5;

/// A signed-in user of the embedding application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The id.
    pub id: SessionId,
    /// The tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// Their role when they signed in; a role change ends the session.
    pub role: Role,
    /// When they signed in.
    pub created_at: Timestamp,
    /// Their last request.
    pub last_active_at: Timestamp,
    /// Ends here unless they are active before (moves with activity, never past `expires_at`).
    pub idle_expires_at: Timestamp,
    /// Ends here whatever they do.
    pub expires_at: Timestamp,
    /// The second factor.
    pub second_factor: SecondFactor,
}

impl Session {
    /// The actor requests of this session act as.
    pub fn actor(&self) -> Actor {
        Actor::user(self.tenant.clone(), self.user.clone(), self.role)
    }

    /// Whether the session is still valid at `now` (not idle too long, not too old).
    pub fn is_live_at(&self, now: Timestamp) -> bool {
        now < self.idle_expires_at && now < self.expires_at
    }
}

/// Timeouts and the second-factor requirement.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::session::SessionConfig;
/// let config = SessionConfig::default();
/// assert_eq!(config.idle_timeout, Duration::from_secs(30 * 60));
/// assert_eq!(config.absolute_timeout, Duration::from_secs(12 * 3600));
/// assert!(SessionConfig::default().idle_timeout(Duration::from_secs(5 * 60)).validate().is_ok());
/// assert!(SessionConfig::default().idle_timeout(Duration::from_secs(1)).validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Inactivity that ends a session (default 30 minutes; NIST SP 800-63B AAL2).
    pub idle_timeout: Duration,
    /// Age that ends a session whatever the activity (default 12 hours).
    pub absolute_timeout: Duration,
    /// Whether a TOTP code is required after sign-in.
    pub require_second_factor: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            require_second_factor: false,
        }
    }
}

impl SessionConfig {
    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }
    /// Sets the absolute timeout.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = timeout;
        self
    }
    /// Requires a TOTP code after sign-in.
    pub fn require_second_factor(mut self, required: bool) -> Self {
        self.require_second_factor = required;
        self
    }
    /// Checks the timeouts: idle at least one minute and at most the absolute timeout, which
    /// is at most 30 days.
    pub fn validate(&self) -> Result<()> {
        if self.idle_timeout < Duration::from_secs(60) || self.idle_timeout > self.absolute_timeout {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the idle timeout must be at least one minute and at most the absolute timeout",
            ));
        }
        if self.absolute_timeout > Duration::from_secs(30 * 86_400) {
            return Err(Error::new(ErrorKind::InvalidInput, "the absolute timeout must be at most 30 days"));
        }
        Ok(())
    }
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The user signed out.
    Logout,
    /// Someone with the right ended it.
    Terminated,
    /// The user's role changed.
    RoleChanged,
    /// The user was removed from the tenant.
    Removed,
    /// Inactive for longer than the idle timeout.
    IdleTimeout,
    /// Older than the absolute timeout.
    AbsoluteTimeout,
    /// Too many wrong second-factor codes.
    SecondFactorFailures,
}

impl EndReason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Terminated => "terminated",
            EndReason::RoleChanged => "role_changed",
            EndReason::Removed => "removed",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::AbsoluteTimeout => "absolute_timeout",
            EndReason::SecondFactorFailures => "second_factor_failures",
        }
    }
}
