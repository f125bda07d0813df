//! The product model.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{ChannelAccountId, Content, TenantId, Timestamp};

/// One product of one channel account's catalog (a Shopee shop's item, a Meta catalog's
/// product). Identified by (tenant, account, `product_id`); the price is decimal text exactly as
/// the platform wrote it.
///
/// ```
/// use unibox_core::catalog::Product;
/// use unibox_core::{ChannelAccountId, Content, Timestamp};
/// let product = Product::new("acme".parse().unwrap(), ChannelAccountId::new(), "3000120034", "Thai silk scarf", Timestamp::from_unix_seconds(1_732_000_000));
/// assert!(matches!(product.card(), Content::Product { product_id, .. } if product_id == "3000120034"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The channel account (shop, WhatsApp number with a catalog) it is sold through.
    pub account: ChannelAccountId,
    /// The platform's id (Shopee `item_id`, Meta `retailer_id`).
    pub product_id: String,
    /// The title.
    pub title: String,
    /// The current price, as decimal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The currency of the price (`THB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The main picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Url>,
    /// Units available, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<u64>,
    /// The product page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Url>,
    /// When it was synced.
    pub updated_at: Timestamp,
}

impl Product {
    /// A product known by its id and title.
    pub fn new(
        tenant: TenantId,
        account: ChannelAccountId,
        product_id: impl Into<String>,
        title: impl Into<String>,
        updated_at: Timestamp,
    ) -> Self {
        Product {
            tenant,
            account,
            product_id: product_id.into(),
            title: title.into(),
            price: None,
            currency: None,
            image: None,
            stock: None,
            link: None,
            updated_at,
        }
    }

    /// With the price and its currency.
    pub fn with_price(mut self, price: impl Into<String>, currency: impl Into<String>) -> Self {
        self.price = Some(price.into());
        self.currency = Some(currency.into());
        self
    }

    /// With the picture.
    pub fn with_image(mut self, image: Url) -> Self {
        self.image = Some(image);
        self
    }

    /// With the stock.
    pub fn with_stock(mut self, stock: u64) -> Self {
        self.stock = Some(stock);
        self
    }

    /// With the product page.
    pub fn with_link(mut self, link: Url) -> Self {
        self.link = Some(link);
        self
    }

    /// Whether every whitespace-separated term of `query` occurs in the title or the id,
    /// ignoring case: the search every [`CatalogStore`](crate::catalog::CatalogStore) applies.
    pub fn matches(&self, query: &str) -> bool {
        let haystack = format!("{} {}", self.title, self.product_id).to_lowercase();
        let mut terms = query.split_whitespace().peekable();
        terms.peek().is_some() && terms.all(|term| haystack.contains(&term.to_lowercase()))
    }

    /// The product card to send: [`Content::Product`] with the id, title and link.
    pub fn card(&self) -> Content {
        Content::Product { product_id: self.product_id.clone(), name: Some(self.title.clone()), url: self.link.clone() }
    }
}
