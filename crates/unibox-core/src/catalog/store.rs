//! [`CatalogStore`]: where products are kept and searched.

use std::fmt;

use async_trait::async_trait;

use crate::catalog::Product;
use crate::{ChannelAccountId, Result, TenantId};

/// The most products one search returns.
pub const MAX_PRODUCTS_LISTED: usize = 100;

/// Where products are kept, per tenant: a search never sees another tenant's products.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::catalog::{CatalogStore, Product};
/// use unibox_core::memory::MemoryCatalog;
/// use unibox_core::{ChannelAccountId, Timestamp};
/// let catalog = MemoryCatalog::new();
/// let shop = ChannelAccountId::new();
/// let at = Timestamp::from_unix_seconds(1_732_000_000);
/// catalog.save_products(&[Product::new("acme".parse()?, shop, "3000120034", "Thai silk scarf", at)]).await?;
/// assert_eq!(catalog.search_products(&"acme".parse()?, "silk", 10).await?.len(), 1);
/// assert!(catalog.search_products(&"globex".parse()?, "silk", 10).await?.is_empty());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait CatalogStore: Send + Sync + fmt::Debug + 'static {
    /// Stores products, replacing those with the same (tenant, account, product id), all or
    /// none.
    async fn save_products(&self, products: &[Product]) -> Result<()>;

    /// One product, if stored.
    async fn product(&self, tenant: &TenantId, account: ChannelAccountId, product_id: &str) -> Result<Option<Product>>;

    /// The tenant's products that [`Product::matches`] `query`, by title, at most `limit`
    /// (capped at [`MAX_PRODUCTS_LISTED`]); an empty query finds nothing.
    async fn search_products(&self, tenant: &TenantId, query: &str, limit: usize) -> Result<Vec<Product>>;
}
