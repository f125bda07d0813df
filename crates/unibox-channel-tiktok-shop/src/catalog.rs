//! [`ProductSource`] for TikTok Shop: `POST /product/202309/products/search` (active products,
//! paged by `page_token`): each product's title, first SKU's price and currency, and stock summed
//! over its SKUs' warehouses. The search answer carries no image or product page link.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::orders::decimal;
use unibox_core::catalog::{Product, ProductPage, ProductSource};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::TikTokShopChannel;
use crate::fetch::unexpected;

/// The product search path.
pub(crate) const PRODUCT_SEARCH_PATH: &str = "/product/202309/products/search";
/// Products per page (TikTok Shop's maximum is 100).
const PRODUCTS_PER_PAGE: &str = "50";

#[derive(Deserialize)]
struct ProductList {
    #[serde(default)]
    products: Vec<WireProduct>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct WireProduct {
    #[serde(default)]
    id: Id,
    #[serde(default)]
    title: String,
    #[serde(default)]
    skus: Vec<Sku>,
}

#[derive(Deserialize)]
struct Sku {
    #[serde(default)]
    price: Option<Price>,
    #[serde(default)]
    inventory: Vec<Inventory>,
}

#[derive(Deserialize)]
struct Price {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    sale_price: Option<serde_json::Value>,
    #[serde(default)]
    tax_exclusive_price: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Inventory {
    #[serde(default)]
    quantity: Option<u64>,
}

#[async_trait]
impl ProductSource for TikTokShopChannel {
    async fn list_products(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<ProductPage> {
        const OP: &str = "tiktok_shop.catalog.list";
        if from.is_some_and(|token| token.is_empty() || token.len() > 512) {
            return Err(Error::new(ErrorKind::InvalidInput, "not a TikTok Shop page token").with_operation(OP));
        }
        let mut query = vec![("page_size", PRODUCTS_PER_PAGE)];
        if let Some(token) = from {
            query.push(("page_token", token));
        }
        let body = br#"{"status":"ACTIVATE"}"#.to_vec();
        let data = self.read(account, access_token, PRODUCT_SEARCH_PATH, &query, Some(body), OP).await?;
        let list: ProductList = serde_json::from_value(data).map_err(|_| unexpected(OP, "the product list"))?;
        let now = self.clock.now();
        let any = !list.products.is_empty();
        let products = list
            .products
            .into_iter()
            .filter_map(|wire| {
                let mut product = Product::new(account.tenant.clone(), account.id, wire.id.0?, wire.title, now);
                let price = wire.skus.first().and_then(|s| s.price.as_ref());
                if let Some(price) = price
                    && let (Some(amount), Some(currency)) = (
                        price.sale_price.as_ref().or(price.tax_exclusive_price.as_ref()).and_then(decimal),
                        price.currency.clone().filter(|c| !c.is_empty()),
                    )
                {
                    product = product.with_price(amount, currency);
                }
                let quantities: Vec<u64> =
                    wire.skus.iter().flat_map(|s| s.inventory.iter().filter_map(|i| i.quantity)).collect();
                if !quantities.is_empty() {
                    product = product.with_stock(quantities.iter().sum());
                }
                Some(product)
            })
            .collect();
        let next = list.next_page_token.filter(|t| !t.is_empty() && any);
        Ok(ProductPage::new(products, next))
    }
}
