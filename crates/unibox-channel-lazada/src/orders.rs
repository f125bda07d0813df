//! [`OrderSource`] for Lazada: `/order/get` (status, price, times) and `/order/items/get` (the
//! lines: one per unit, folded into items; buyer id, currency, tracking code).
//!
//! A chat's contact is keyed by its IM session; its orders are found through the buyer id the
//! session id carries ([`order_buyer`](OrderSource::order_buyer)).
//!
//! Lazada lists orders only by time (`/orders/get`), not by buyer, so
//! [`fetch_buyer_orders`](OrderSource::fetch_buyer_orders) stays unsupported.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::{Id, datetime};
use unibox_channel_marketplace::orders::{decimal, fold_lines};
use unibox_core::orders::{Order, OrderItem, OrderSource};
use unibox_core::{ChannelAccount, ContactIdentity, Error, ErrorKind, IdentityKind, PlatformUser, Result};

use crate::LazadaChannel;
use crate::fetch::unexpected;

/// The order path.
pub(crate) const ORDER_PATH: &str = "/order/get";
/// The order items path.
pub(crate) const ORDER_ITEMS_PATH: &str = "/order/items/get";

#[derive(Deserialize)]
struct WireOrder {
    #[serde(default)]
    order_id: Id,
    #[serde(default)]
    statuses: Vec<String>,
    #[serde(default)]
    price: Option<serde_json::Value>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    customer_first_name: Option<String>,
}

#[derive(Deserialize)]
struct WireItem {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    product_id: Id,
    #[serde(default)]
    product_main_image: Option<String>,
    #[serde(default)]
    item_price: Option<serde_json::Value>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    tracking_code: Option<String>,
    #[serde(default)]
    buyer_id: Id,
}

#[async_trait]
impl OrderSource for LazadaChannel {
    async fn fetch_order(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        order_id: &str,
    ) -> Result<Order> {
        const OP: &str = "lazada.orders.fetch";
        if order_id.is_empty() || !order_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a Lazada order_id is digits").with_operation(OP));
        }
        let data = self.read(account, access_token, ORDER_PATH, &[("order_id", order_id)], OP).await?;
        let wire: WireOrder = serde_json::from_value(data).map_err(|_| unexpected(OP, "the order"))?;
        if wire.order_id.0.as_deref() != Some(order_id) {
            return Err(Error::new(ErrorKind::NotFound, "Lazada has no such order for this seller").with_operation(OP));
        }
        let data = self.read(account, access_token, ORDER_ITEMS_PATH, &[("order_id", order_id)], OP).await?;
        let lines: Vec<WireItem> = serde_json::from_value(data).map_err(|_| unexpected(OP, "the order items"))?;
        let updated = wire.updated_at.as_deref().and_then(datetime).unwrap_or_else(|| self.clock.now());
        let status = wire.statuses.into_iter().next().unwrap_or_default();
        let mut order = Order::new(account.tenant.clone(), account.id, order_id, status, updated);
        order.created_at = wire.created_at.as_deref().and_then(datetime);
        order.total = wire.price.as_ref().and_then(decimal);
        order.currency = lines.iter().find_map(|l| l.currency.clone()).filter(|c| !c.is_empty());
        order.tracking_number = lines.iter().find_map(|l| l.tracking_code.clone().filter(|t| !t.is_empty()));
        if let Some(buyer) = lines.iter().find_map(|l| l.buyer_id.0.clone()) {
            let mut buyer = PlatformUser::new(IdentityKind::MarketplaceBuyerId, buyer);
            if let Some(name) = wire.customer_first_name.filter(|n| !n.is_empty()) {
                buyer = buyer.with_name(name);
            }
            order.buyer = Some(buyer);
        }
        let items = lines
            .into_iter()
            .map(|line| {
                let mut item = OrderItem::new(line.name, 1);
                item.product_id = line.product_id.0;
                item.sku = line.sku.filter(|s| !s.is_empty());
                item.unit_price = line.item_price.as_ref().and_then(decimal);
                item.image = line.product_main_image.and_then(|u| u.parse().ok());
                item
            })
            .collect();
        order.items = fold_lines(items);
        Ok(order)
    }

    /// A Lazada chat is keyed by its IM session ([`SESSION_IDENTITY`](crate::SESSION_IDENTITY));
    /// the session id carries the buyer's account id, the `buyer_id` orders name
    /// ([`session_buyer`](crate::session_buyer)).
    /// No call: the session id alone says it.
    async fn order_buyer(
        &self,
        account: &ChannelAccount,
        _access_token: Option<&SecretString>,
        chat: &ContactIdentity,
    ) -> Result<Option<ContactIdentity>> {
        if chat.kind != IdentityKind::Other(crate::SESSION_IDENTITY.into()) || chat.account != account.id {
            return Ok(None);
        }
        Ok(crate::session_buyer(&chat.value).map(|buyer| ContactIdentity {
            account: chat.account,
            kind: IdentityKind::MarketplaceBuyerId,
            value: buyer.to_owned(),
        }))
    }
}
