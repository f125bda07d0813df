//! [`OrderStore`]: where orders are kept.

use std::fmt;

use async_trait::async_trait;

use crate::orders::Order;
use crate::{ChannelAccountId, ContactIdentity, Result, TenantId};

/// The most orders one listing returns.
pub const MAX_ORDERS_LISTED: usize = 200;

/// Where orders are kept, per tenant: an order of another tenant is never read or changed.
///
/// Writes are merges ([`Order::merge`]): a push, a redelivered push and a fetch of the same
/// order, in any order, leave the same stored order, so the hub can apply a push before it
/// acknowledges it and again when the platform redelivers it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::memory::MemoryOrderStore;
/// use unibox_core::orders::{Order, OrderStore};
/// use unibox_core::{ChannelAccountId, Timestamp};
/// let store = MemoryOrderStore::new();
/// let account = ChannelAccountId::new();
/// let at = Timestamp::from_unix_seconds(1_732_000_000);
/// store.merge_order(Order::new("acme".parse()?, account, "576486316948490001", "UNPAID", at)).await?;
/// let found = store.order(&"acme".parse()?, account, "576486316948490001").await?;
/// assert_eq!(found.map(|o| o.status).as_deref(), Some("UNPAID"));
/// assert!(store.order(&"globex".parse()?, account, "576486316948490001").await?.is_none());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait OrderStore: Send + Sync + fmt::Debug + 'static {
    /// Merges `order` into the stored order with the same (tenant, account, order id), or
    /// stores it when there is none, atomically; returns the order as stored now.
    async fn merge_order(&self, order: Order) -> Result<Order>;

    /// One order of the tenant, if stored.
    async fn order(&self, tenant: &TenantId, account: ChannelAccountId, order_id: &str) -> Result<Option<Order>>;

    /// The tenant's orders whose buyer is one of `buyers` (a contact's identities), most
    /// recently updated first, at most `limit` (capped at [`MAX_ORDERS_LISTED`]).
    async fn orders_of_buyers(&self, tenant: &TenantId, buyers: &[ContactIdentity], limit: usize)
    -> Result<Vec<Order>>;

    /// Up to `limit` of the tenant's orders in (account, order id) order, starting after
    /// `after` (the account and order id of the last order of the previous page): an export
    /// walks every order with it, a page at a time.
    async fn orders_after(
        &self,
        tenant: &TenantId,
        after: Option<(ChannelAccountId, String)>,
        limit: usize,
    ) -> Result<Vec<Order>>;
}
