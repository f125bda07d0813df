//! [`VaultEvent`]: what the vault tells subscribers (never a token).

use unibox_core::{ChannelAccountId, TenantId};

/// Something the vault did or found, for applications to react to (notify an admin to
/// reconnect an account, refresh a dashboard). Carries ids and reasons, never secrets.
///
/// ```
/// use unibox_vault::VaultEvent;
/// let event = VaultEvent::ReauthorizationRequired {
///     tenant: "acme".parse().unwrap(),
///     account: unibox_core::ChannelAccountId::new(),
///     reason: "the platform refused the refresh token".into(),
/// };
/// assert!(format!("{event:?}").contains("ReauthorizationRequired"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultEvent {
    /// Tokens were stored for an account (a connect or reconnect).
    Connected {
        /// The tenant.
        tenant: TenantId,
        /// The channel account.
        account: ChannelAccountId,
    },
    /// An account's tokens were refreshed through its channel.
    Refreshed {
        /// The tenant.
        tenant: TenantId,
        /// The channel account.
        account: ChannelAccountId,
    },
    /// The platform refused a refresh for good: the account must be reconnected by an admin.
    /// Its tokens were revoked, so no process tries the refused refresh token again.
    ReauthorizationRequired {
        /// The tenant.
        tenant: TenantId,
        /// The channel account.
        account: ChannelAccountId,
        /// Why, without secrets.
        reason: String,
    },
    /// An account's tokens were revoked.
    Revoked {
        /// The tenant.
        tenant: TenantId,
        /// The channel account.
        account: ChannelAccountId,
    },
    /// A tenant's data keys were destroyed: all its sealed data is unreadable.
    Shredded {
        /// The tenant.
        tenant: TenantId,
    },
}
