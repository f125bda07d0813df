//! [`OrderSource`] for Shopee: `GET /api/v2/order/get_order_detail` (items, total, buyer) and
//! `GET /api/v2/logistics/get_tracking_number`.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::orders::{Order, OrderItem, OrderPush, OrderSource};
use unibox_core::{ChannelAccount, Error, ErrorKind, IdentityKind, OrderUpdate, PlatformUser, Result, Timestamp};

use crate::ShopeeChannel;
use crate::fetch::unexpected;
use crate::inbound::{Id, TRACKING_NUMBER_ASSIGNED};

/// The order detail path.
pub(crate) const ORDER_DETAIL_PATH: &str = "/api/v2/order/get_order_detail";
/// The tracking number path.
pub(crate) const TRACKING_PATH: &str = "/api/v2/logistics/get_tracking_number";
/// The optional fields unibox reads.
const OPTIONAL_FIELDS: &str = "buyer_user_id,buyer_username,item_list,total_amount,package_list,shipping_carrier";

#[derive(Deserialize)]
struct Detail {
    response: DetailList,
}

#[derive(Deserialize)]
struct DetailList {
    #[serde(default)]
    order_list: Vec<WireOrder>,
}

#[derive(Deserialize)]
struct WireOrder {
    order_sn: String,
    #[serde(default)]
    order_status: String,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    total_amount: Option<serde_json::Value>,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    update_time: Option<i64>,
    #[serde(default)]
    buyer_user_id: Id,
    #[serde(default)]
    buyer_username: Option<String>,
    #[serde(default)]
    item_list: Vec<WireItem>,
}

#[derive(Deserialize)]
struct WireItem {
    #[serde(default)]
    item_id: Id,
    #[serde(default)]
    item_name: String,
    #[serde(default)]
    model_name: Option<String>,
    #[serde(default)]
    model_sku: Option<String>,
    #[serde(default)]
    model_quantity_purchased: Option<u32>,
    #[serde(default)]
    model_discounted_price: Option<serde_json::Value>,
    #[serde(default)]
    image_info: Option<ImageInfo>,
}

#[derive(Deserialize)]
struct ImageInfo {
    #[serde(default)]
    image_url: Option<String>,
}

#[derive(Deserialize)]
struct Tracking {
    response: TrackingNumber,
}

#[derive(Deserialize)]
struct TrackingNumber {
    #[serde(default)]
    tracking_number: Option<String>,
}

/// An amount as decimal text: Shopee writes prices as JSON numbers (`450.0`) or strings.
pub(crate) fn decimal(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

impl ShopeeChannel {
    async fn tracking_number(
        &self,
        account: &ChannelAccount,
        token: Option<&SecretString>,
        order_sn: &str,
    ) -> Option<String> {
        const OP: &str = "shopee.orders.tracking";
        match self.shop_get(TRACKING_PATH, account, token, &[("order_sn", order_sn)], OP).await {
            Ok(body) => serde_json::from_slice::<Tracking>(&body)
                .ok()
                .and_then(|t| t.response.tracking_number)
                .filter(|t| !t.is_empty()),
            // An order not shipped yet has no tracking number: Shopee answers an error.
            Err(error) => {
                tracing::debug!(target: "unibox::shopee", kind = %error.kind(), "no tracking number for the order");
                None
            }
        }
    }
}

#[async_trait]
impl OrderSource for ShopeeChannel {
    async fn fetch_order(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        order_id: &str,
    ) -> Result<Order> {
        const OP: &str = "shopee.orders.fetch";
        if order_id.is_empty() || order_id.contains(',') {
            return Err(Error::new(ErrorKind::InvalidInput, "one Shopee order_sn is required").with_operation(OP));
        }
        let query = [("order_sn_list", order_id), ("response_optional_fields", OPTIONAL_FIELDS)];
        let body = self.shop_get(ORDER_DETAIL_PATH, account, access_token, &query, OP).await?;
        let detail: Detail = serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the order detail"))?;
        let wire = detail.response.order_list.into_iter().find(|o| o.order_sn == order_id).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, "Shopee has no such order for this shop").with_operation(OP)
        })?;
        let updated = wire.update_time.map_or_else(|| self.clock.now(), Timestamp::from_unix_seconds);
        let mut order = Order::new(account.tenant.clone(), account.id, wire.order_sn, wire.order_status, updated);
        order.currency = wire.currency.filter(|c| !c.is_empty());
        order.total = wire.total_amount.as_ref().and_then(decimal);
        order.created_at = wire.create_time.map(Timestamp::from_unix_seconds);
        if !wire.buyer_user_id.is_empty() {
            let mut buyer = PlatformUser::new(IdentityKind::MarketplaceBuyerId, wire.buyer_user_id.0);
            if let Some(name) = wire.buyer_username.filter(|n| !n.is_empty()) {
                buyer = buyer.with_name(name);
            }
            order.buyer = Some(buyer);
        }
        order.items = wire
            .item_list
            .into_iter()
            .map(|item| {
                let name = match item.model_name.filter(|m| !m.is_empty()) {
                    Some(model) => format!("{} ({model})", item.item_name),
                    None => item.item_name,
                };
                let mut line = OrderItem::new(name, item.model_quantity_purchased.unwrap_or(1));
                if !item.item_id.is_empty() {
                    line = line.with_product(item.item_id.0);
                }
                if let Some(sku) = item.model_sku.filter(|s| !s.is_empty()) {
                    line = line.with_sku(sku);
                }
                if let Some(price) = item.model_discounted_price.as_ref().and_then(decimal) {
                    line = line.with_unit_price(price);
                }
                if let Some(image) = item.image_info.and_then(|i| i.image_url).and_then(|u| u.parse().ok()) {
                    line = line.with_image(image);
                }
                line
            })
            .collect();
        order.tracking_number = self.tracking_number(account, access_token, order_id).await;
        Ok(order)
    }

    /// A tracking push (code 4) carries the tracking number, not a status.
    fn read_push(&self, update: &OrderUpdate) -> OrderPush {
        if update.status == TRACKING_NUMBER_ASSIGNED {
            return match update.raw["tracking_no"].as_str().filter(|t| !t.is_empty()) {
                Some(tracking) => OrderPush::tracking(tracking),
                None => OrderPush::default(),
            };
        }
        OrderPush::status_of(update)
    }
}
