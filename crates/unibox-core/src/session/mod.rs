//! Sessions of the embedding application's users: sign-in tokens, idle and absolute timeouts,
//! an optional TOTP second factor (RFC 6238), and ending sessions when a role changes.
//!
//! - [`SessionManager`]: the operations.
//! - [`SessionStore`]: where sessions are kept ([`MemorySessionStore`](crate::memory::MemorySessionStore),
//!   the SQLite store, yours). Stores see token hashes only.
//! - [`Totp`]: time-based one-time passwords.

mod manager;
mod model;
mod store;
mod token;
mod totp;

pub use manager::SessionManager;
pub use model::{EndReason, MAX_SECOND_FACTOR_FAILURES, SecondFactor, Session, SessionConfig, SessionId};
pub use store::SessionStore;
pub use token::{SessionToken, TokenHash};
pub use totp::{Totp, TotpAlgorithm};
