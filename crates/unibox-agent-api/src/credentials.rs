//! Password verification belongs to the embedding application: it knows its users, their
//! password hashes and their TOTP secrets. The agent API asks it through [`PasswordVerifier`].

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_core::session::Totp;
use unibox_core::{Result, Role, TenantId, UserId};

/// The application's check of a user's password, and the source of their TOTP secret.
///
/// `verify` answers `Ok(Some(role))` for a right password, `Ok(None)` for an unknown user or a
/// wrong password (the API answers both the same way, 401), and `Err` only when the check
/// itself failed. Compare password hashes in constant time (argon2, bcrypt, ...).
///
/// ```
/// use async_trait::async_trait;
/// use secrecy::{ExposeSecret, SecretString};
/// use unibox_agent_api::PasswordVerifier;
/// use unibox_core::session::Totp;
/// use unibox_core::{Result, Role, TenantId, UserId};
///
/// #[derive(Debug)]
/// struct OneUser;
///
/// #[async_trait]
/// impl PasswordVerifier for OneUser {
///     async fn verify(&self, tenant: &TenantId, user: &UserId, password: &SecretString) -> Result<Option<Role>> {
///         // A real application compares a stored password hash.
///         let right = tenant.as_str() == "acme" && user.as_str() == "ann" && password.expose_secret() == "s3cret";
///         Ok(right.then_some(Role::Agent))
///     }
///     async fn totp(&self, _tenant: &TenantId, _user: &UserId) -> Result<Option<Totp>> {
///         Ok(None)
///     }
/// }
/// ```
#[async_trait]
pub trait PasswordVerifier: Send + Sync + std::fmt::Debug + 'static {
    /// The user's role if `password` is theirs; `None` for an unknown user or a wrong password.
    async fn verify(&self, tenant: &TenantId, user: &UserId, password: &SecretString) -> Result<Option<Role>>;

    /// The user's TOTP secret, asked for when the session manager requires a second factor;
    /// `None` when the user has not enrolled one (their sign-in cannot complete then).
    async fn totp(&self, tenant: &TenantId, user: &UserId) -> Result<Option<Totp>>;
}
