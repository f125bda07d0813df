//! [`ProductSource`] for Lazada: `/products/get` (live products, paged by offset), each
//! product's name, first image, first SKU's price (its special price when set), stock summed
//! over SKUs, and product page. Lazada's product answers carry no currency: it is the
//! country's ([`LazadaConfig::currency`](crate::LazadaConfig::currency)).

use std::ops::Not;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::orders::decimal;
use unibox_core::catalog::{Product, ProductPage, ProductSource};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::LazadaChannel;
use crate::fetch::unexpected;

/// The product list path.
pub(crate) const PRODUCTS_PATH: &str = "/products/get";
/// Products per page.
const PRODUCTS_PER_PAGE: u64 = 50;

#[derive(Deserialize)]
struct ProductList {
    #[serde(default)]
    products: Vec<WireProduct>,
    #[serde(default)]
    total_products: Option<u64>,
}

#[derive(Deserialize)]
struct WireProduct {
    #[serde(default)]
    item_id: Id,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    skus: Vec<Sku>,
}

#[derive(Deserialize, Default)]
struct Attributes {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Sku {
    #[serde(default)]
    price: Option<serde_json::Value>,
    #[serde(default)]
    special_price: Option<serde_json::Value>,
    #[serde(default)]
    quantity: Option<u64>,
    #[serde(default, rename = "Url")]
    url: Option<String>,
    #[serde(default, rename = "Images")]
    images: Vec<String>,
}

#[async_trait]
impl ProductSource for LazadaChannel {
    async fn list_products(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<ProductPage> {
        const OP: &str = "lazada.catalog.list";
        let offset: u64 = from.unwrap_or("0").parse().map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "not a Lazada product list position").with_operation(OP)
        })?;
        let (offset_text, limit) = (offset.to_string(), PRODUCTS_PER_PAGE.to_string());
        let parameters = [("filter", "live"), ("offset", offset_text.as_str()), ("limit", limit.as_str())];
        let data = self.read(account, access_token, PRODUCTS_PATH, &parameters, OP).await?;
        let list: ProductList = serde_json::from_value(data).map_err(|_| unexpected(OP, "the product list"))?;
        let now = self.clock.now();
        let count = list.products.len() as u64;
        let products = list
            .products
            .into_iter()
            .filter_map(|wire| {
                let id = wire.item_id.0?;
                let mut product = Product::new(account.tenant.clone(), account.id, id, wire.attributes.name, now);
                let first = wire.skus.first();
                let price = first.and_then(|s| {
                    s.special_price
                        .as_ref()
                        .and_then(decimal)
                        .filter(|p| p.trim_start_matches(['0', '.']).is_empty().not())
                        .or_else(|| s.price.as_ref().and_then(decimal))
                });
                if let (Some(price), Some(currency)) = (price, self.config.currency()) {
                    product = product.with_price(price, currency);
                }
                let image = wire.images.first().or_else(|| first.and_then(|s| s.images.first()));
                if let Some(image) = image.and_then(|u| u.parse().ok()) {
                    product = product.with_image(image);
                }
                if wire.skus.iter().any(|s| s.quantity.is_some()) {
                    product = product.with_stock(wire.skus.iter().filter_map(|s| s.quantity).sum());
                }
                if let Some(link) = first.and_then(|s| s.url.as_deref()).and_then(|u| u.parse().ok()) {
                    product = product.with_link(link);
                }
                Some(product)
            })
            .collect();
        let next = offset + count;
        let more = count > 0
            && match list.total_products {
                Some(total) => next < total,
                None => count == PRODUCTS_PER_PAGE,
            };
        Ok(ProductPage::new(products, more.then(|| next.to_string())))
    }
}
