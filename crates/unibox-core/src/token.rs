//! The [`TokenStore`] port: platform credentials per channel account.

use std::fmt;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, Result, TenantId, Timestamp};

/// A channel account's credentials: access token, optional refresh token, expiry and scopes.
/// Tokens are [`SecretString`]s: they never appear in `Debug` output, logs or errors.
///
/// ```
/// use unibox_core::TokenSet;
/// let tokens = TokenSet::new("EAAG-live-token-123");
/// assert!(!format!("{tokens:?}").contains("EAAG"));
/// ```
#[derive(Clone)]
pub struct TokenSet {
    /// The token sent with API calls.
    pub access_token: SecretString,
    /// The token that obtains a new access token, if the platform has one.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires.
    pub expires_at: Option<Timestamp>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<Timestamp>,
    /// The scopes or permissions granted.
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// An access token that does not expire, without refresh token or scopes.
    pub fn new(access_token: impl Into<String>) -> Self {
        TokenSet {
            access_token: SecretString::from(access_token.into()),
            refresh_token: None,
            expires_at: None,
            refresh_expires_at: None,
            scopes: Vec::new(),
        }
    }

    /// Sets the expiry.
    pub fn expiring_at(mut self, at: Timestamp) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_token = Some(SecretString::from(token.into()));
        self
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Where a channel account's credentials stand, without revealing them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenStatus {
    /// Nothing stored.
    Missing,
    /// Stored and usable.
    Active {
        /// When the access token expires, if it does.
        expires_at: Option<Timestamp>,
    },
    /// Revoked; gone for good.
    Revoked {
        /// When.
        at: Timestamp,
    },
}

/// Stores platform credentials, isolated per tenant and channel account: revoking one account's
/// tokens leaves every other account's working.
///
/// ```
/// # tokio_test_block(async {
/// use unibox_core::memory::MemoryTokenStore;
/// use unibox_core::{ChannelAccountId, TokenSet, TokenStatus, TokenStore, Timestamp};
/// use secrecy::ExposeSecret;
/// let store = MemoryTokenStore::new();
/// let tenant = "acme".parse().unwrap();
/// let account = ChannelAccountId::new();
/// store.put(&tenant, account, TokenSet::new("line-token")).await.unwrap();
/// let tokens = store.get(&tenant, account).await.unwrap().unwrap();
/// assert_eq!(tokens.access_token.expose_secret(), "line-token");
/// assert!(store.revoke(&tenant, account, Timestamp::from_unix_seconds(1)).await.unwrap());
/// assert!(store.get(&tenant, account).await.unwrap().is_none());
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// Stores (or replaces) the account's tokens.
    async fn put(&self, tenant: &TenantId, account: ChannelAccountId, tokens: TokenSet) -> Result<()>;

    /// The account's tokens, or `None` when missing or revoked.
    async fn get(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<Option<TokenSet>>;

    /// Revokes the account's tokens; `false` when there were none. Other accounts are untouched.
    async fn revoke(&self, tenant: &TenantId, account: ChannelAccountId, at: Timestamp) -> Result<bool>;

    /// Where the account's tokens stand.
    async fn status(&self, tenant: &TenantId, account: ChannelAccountId) -> Result<TokenStatus>;
}
