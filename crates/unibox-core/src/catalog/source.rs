//! [`ProductSource`]: listing a platform's products.

use async_trait::async_trait;
use secrecy::SecretString;

use crate::catalog::Product;
use crate::{ChannelAccount, Result};

/// One page of products and where the next starts.
///
/// ```
/// use unibox_core::catalog::ProductPage;
/// assert!(ProductPage::default().next.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProductPage {
    /// The products (their tenant and account are the account's).
    pub products: Vec<Product>,
    /// The opaque position of the next page; `None` after the last.
    pub next: Option<String>,
}

impl ProductPage {
    /// A page of `products` followed by `next`.
    pub fn new(products: Vec<Product>, next: Option<String>) -> Self {
        ProductPage { products, next }
    }
}

/// A channel that can list its account's products (Shopee `product/get_item_list` +
/// `get_item_base_info`, Meta `/{catalog-id}/products`), page by page; offered through
/// [`Channel::catalog`](crate::Channel::catalog). Errors map to kinds like a send.
///
/// ```
/// use async_trait::async_trait;
/// use secrecy::SecretString;
/// use unibox_core::catalog::{ProductPage, ProductSource};
/// use unibox_core::{ChannelAccount, Result};
///
/// struct NothingForSale;
///
/// #[async_trait]
/// impl ProductSource for NothingForSale {
///     async fn list_products(&self, _account: &ChannelAccount, _token: Option<&SecretString>, _from: Option<&str>) -> Result<ProductPage> {
///         Ok(ProductPage::default())
///     }
/// }
/// ```
#[async_trait]
pub trait ProductSource: Send + Sync {
    /// One page of the account's products; `from` is the previous page's `next`.
    async fn list_products(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<ProductPage>;
}
