//! [`ChannelAccounts`]: the port that keeps channel accounts and routes webhooks to them.

use std::fmt;

use async_trait::async_trait;

use crate::{ChannelAccount, ChannelAccountId, ChannelId, Result, TenantId};

/// Channel accounts (a page, number, bot or shop behind a channel), per tenant, and the routing
/// of webhook events to them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::inbox::ChannelAccounts;
/// use unibox_core::{ChannelAccount, ChannelKind, Timestamp};
/// let accounts = unibox_core::memory::MemoryInbox::new();
/// let account = ChannelAccount::new("acme".parse()?, "line".parse()?, ChannelKind::LINE, "Ub99", Timestamp::UNIX_EPOCH);
/// accounts.save_account(&account).await?;
/// assert_eq!(accounts.route(&"line".parse()?, "Ub99").await?.map(|a| a.id), Some(account.id));
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait ChannelAccounts: Send + Sync + fmt::Debug + 'static {
    /// Creates or replaces a channel account. Fails with `Conflict` when another account of the
    /// same channel already has the platform account id, or when the id is another tenant's.
    async fn save_account(&self, account: &ChannelAccount) -> Result<()>;

    /// One of the tenant's accounts.
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount>;

    /// All of the tenant's accounts, oldest connection first.
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>>;

    /// Finds the account a webhook event belongs to, by the channel it arrived on and the
    /// platform's account id. This is the one lookup across tenants: it is how events are routed.
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>>;
}
