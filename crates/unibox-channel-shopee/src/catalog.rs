//! [`ProductSource`] for Shopee: `GET /api/v2/product/get_item_list` (ids, paged by offset)
//! and `GET /api/v2/product/get_item_base_info` (title, image, price, stock) for each page.
//! These product APIs are open to every app type, unlike the chat API.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::catalog::{Product, ProductPage, ProductSource};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::ShopeeChannel;
use crate::fetch::unexpected;
use crate::inbound::Id;
use crate::orders::decimal;

/// The item list path.
pub(crate) const ITEM_LIST_PATH: &str = "/api/v2/product/get_item_list";
/// The item detail path.
pub(crate) const ITEM_INFO_PATH: &str = "/api/v2/product/get_item_base_info";
/// Items per page: `get_item_base_info` takes at most 50 ids.
const ITEMS_PER_PAGE: &str = "50";

#[derive(Deserialize)]
struct ItemList {
    response: ItemPage,
}

#[derive(Deserialize)]
struct ItemPage {
    #[serde(default)]
    item: Vec<ItemId>,
    #[serde(default)]
    has_next_page: bool,
    #[serde(default)]
    next_offset: Option<u64>,
}

#[derive(Deserialize)]
struct ItemId {
    item_id: Id,
}

#[derive(Deserialize)]
struct ItemInfo {
    response: ItemInfoList,
}

#[derive(Deserialize)]
struct ItemInfoList {
    #[serde(default)]
    item_list: Vec<WireItem>,
}

#[derive(Deserialize)]
struct WireItem {
    item_id: Id,
    #[serde(default)]
    item_name: String,
    #[serde(default)]
    image: Option<Images>,
    #[serde(default)]
    price_info: Vec<PriceInfo>,
    #[serde(default)]
    stock_info_v2: Option<StockInfo>,
}

#[derive(Deserialize)]
struct Images {
    #[serde(default)]
    image_url_list: Vec<String>,
}

#[derive(Deserialize)]
struct PriceInfo {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    current_price: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct StockInfo {
    #[serde(default)]
    summary_info: Option<StockSummary>,
}

#[derive(Deserialize)]
struct StockSummary {
    #[serde(default)]
    total_available_stock: Option<u64>,
}

#[async_trait]
impl ProductSource for ShopeeChannel {
    async fn list_products(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<ProductPage> {
        const OP: &str = "shopee.catalog.list";
        let offset = from.unwrap_or("0");
        if offset.parse::<u64>().is_err() {
            return Err(Error::new(ErrorKind::InvalidInput, "not a Shopee item list position").with_operation(OP));
        }
        let query = [("offset", offset), ("page_size", ITEMS_PER_PAGE), ("item_status", "NORMAL")];
        let body = self.shop_get(ITEM_LIST_PATH, account, access_token, &query, OP).await?;
        let list: ItemList = serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the item list"))?;
        let ids: Vec<&str> = list.response.item.iter().map(|i| i.item_id.as_str()).filter(|i| !i.is_empty()).collect();
        let mut products = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let joined = ids.join(",");
            let body = self.shop_get(ITEM_INFO_PATH, account, access_token, &[("item_id_list", &joined)], OP).await?;
            let info: ItemInfo = serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the item details"))?;
            let now = self.clock.now();
            for item in info.response.item_list.into_iter().filter(|i| !i.item_id.is_empty()) {
                let mut product = Product::new(account.tenant.clone(), account.id, item.item_id.0, item.item_name, now);
                if let Some(price) = item.price_info.first()
                    && let (Some(amount), Some(currency)) =
                        (price.current_price.as_ref().and_then(decimal), price.currency.clone())
                {
                    product = product.with_price(amount, currency);
                }
                if let Some(image) =
                    item.image.and_then(|i| i.image_url_list.into_iter().next()).and_then(|u| u.parse().ok())
                {
                    product = product.with_image(image);
                }
                if let Some(stock) =
                    item.stock_info_v2.and_then(|s| s.summary_info).and_then(|s| s.total_available_stock)
                {
                    product = product.with_stock(stock);
                }
                products.push(product);
            }
        }
        let next = match (list.response.has_next_page, list.response.next_offset) {
            (true, Some(next)) if !list.response.item.is_empty() => Some(next.to_string()),
            _ => None,
        };
        Ok(ProductPage::new(products, next))
    }
}
