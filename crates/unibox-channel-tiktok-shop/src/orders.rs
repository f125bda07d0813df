//! [`OrderSource`] for TikTok Shop: `GET /order/202309/orders?ids=` (one order: status, buyer
//! `user_id`, payment total and currency, tracking number, lines folded into items) and
//! `POST /order/202309/orders/search` filtered by `buyer_user_id` (a buyer's recent orders).
//!
//! The buyer of an order is its `user_id` (`buyer_user_id`), not the chat's `im_user_id`: TikTok
//! Shop does not let the chat id look up orders.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::{Id, unix_time};
use unibox_channel_marketplace::orders::{decimal, fold_lines};
use unibox_core::orders::{Order, OrderItem, OrderSource};
use unibox_core::{ChannelAccount, ContactIdentity, Error, ErrorKind, IdentityKind, PlatformUser, Result};

use crate::TikTokShopChannel;
use crate::fetch::unexpected;

/// The order detail path.
pub(crate) const ORDERS_PATH: &str = "/order/202309/orders";
/// The order search path.
pub(crate) const ORDER_SEARCH_PATH: &str = "/order/202309/orders/search";
/// Orders per buyer search.
const BUYER_ORDERS_PAGE: &str = "20";

#[derive(Deserialize)]
struct OrderList {
    #[serde(default)]
    orders: Vec<WireOrder>,
}

#[derive(Deserialize)]
struct WireOrder {
    #[serde(default)]
    id: Id,
    #[serde(default)]
    status: String,
    #[serde(default)]
    user_id: Id,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    update_time: Option<i64>,
    #[serde(default)]
    payment: Option<Payment>,
    #[serde(default)]
    tracking_number: Option<String>,
    #[serde(default)]
    line_items: Vec<LineItem>,
}

#[derive(Deserialize)]
struct Payment {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    total_amount: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct LineItem {
    #[serde(default)]
    product_id: Id,
    #[serde(default)]
    sku_id: Id,
    #[serde(default)]
    seller_sku: Option<String>,
    #[serde(default)]
    product_name: String,
    #[serde(default)]
    sku_image: Option<String>,
    #[serde(default)]
    sale_price: Option<serde_json::Value>,
    #[serde(default)]
    tracking_number: Option<String>,
}

impl TikTokShopChannel {
    fn order_of(&self, account: &ChannelAccount, wire: WireOrder) -> Option<Order> {
        let id = wire.id.0?;
        let updated = wire.update_time.map_or_else(|| self.clock.now(), unix_time);
        let mut order = Order::new(account.tenant.clone(), account.id, id, wire.status, updated);
        order.created_at = wire.create_time.map(unix_time);
        if let Some(payment) = wire.payment {
            order.total = payment.total_amount.as_ref().and_then(decimal);
            order.currency = payment.currency.filter(|c| !c.is_empty());
        }
        order.buyer = wire.user_id.0.map(|user| PlatformUser::new(IdentityKind::MarketplaceBuyerId, user));
        order.tracking_number = wire
            .tracking_number
            .filter(|t| !t.is_empty())
            .or_else(|| wire.line_items.iter().find_map(|l| l.tracking_number.clone().filter(|t| !t.is_empty())));
        let lines = wire
            .line_items
            .into_iter()
            .map(|line| {
                let mut item = OrderItem::new(line.product_name, 1);
                item.product_id = line.product_id.0;
                item.sku = line.seller_sku.filter(|s| !s.is_empty()).or(line.sku_id.0);
                item.unit_price = line.sale_price.as_ref().and_then(decimal);
                item.image = line.sku_image.and_then(|u| u.parse().ok());
                item
            })
            .collect();
        order.items = fold_lines(lines);
        Some(order)
    }
}

#[async_trait]
impl OrderSource for TikTokShopChannel {
    async fn fetch_order(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        order_id: &str,
    ) -> Result<Order> {
        const OP: &str = "tiktok_shop.orders.fetch";
        if order_id.is_empty() || !order_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a TikTok Shop order id is digits").with_operation(OP));
        }
        let query = [("ids", order_id)];
        let data = self.read(account, access_token, ORDERS_PATH, &query, None, OP).await?;
        let list: OrderList = serde_json::from_value(data).map_err(|_| unexpected(OP, "the order detail"))?;
        list.orders
            .into_iter()
            .find(|o| o.id.0.as_deref() == Some(order_id))
            .and_then(|wire| self.order_of(account, wire))
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound, "TikTok Shop has no such order for this shop").with_operation(OP)
            })
    }

    /// The buyer's most recently updated orders (one search page), `buyer` being the order's
    /// `user_id`.
    async fn fetch_buyer_orders(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        buyer: &str,
    ) -> Result<Vec<Order>> {
        const OP: &str = "tiktok_shop.orders.fetch_buyer_orders";
        if buyer.is_empty() || !buyer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a TikTok Shop buyer user_id is digits").with_operation(OP));
        }
        let query = [("page_size", BUYER_ORDERS_PAGE), ("sort_field", "update_time"), ("sort_order", "DESC")];
        let body = serde_json::to_vec(&serde_json::json!({ "buyer_user_id": buyer }))
            .map_err(|_| unexpected(OP, "the search"))?;
        let data = self.read(account, access_token, ORDER_SEARCH_PATH, &query, Some(body), OP).await?;
        let list: OrderList = serde_json::from_value(data).map_err(|_| unexpected(OP, "the order list"))?;
        Ok(list.orders.into_iter().filter_map(|wire| self.order_of(account, wire)).collect())
    }

    /// The buyer `user_id` of a chat's conversation, from the conversation list's participants
    /// (the webhook names only the `im_user_id`, which cannot look up orders).
    async fn order_buyer(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        chat: &ContactIdentity,
    ) -> Result<Option<ContactIdentity>> {
        self.chat_buyer(account, access_token, chat).await
    }
}
