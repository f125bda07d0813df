//! WhatsApp order messages (a customer sending a cart from the business's catalog) as orders:
//! the cart's `product_items` (`product_retailer_id`, `quantity`, `item_price`, `currency`)
//! become the stored order's items, and their sum its total, so "orders of this contact" shows
//! what the customer ordered.
//!
//! WhatsApp has no order API: a cart is known only from its message, so
//! [`fetch_order`](OrderSource::fetch_order) is `Unsupported`.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::orders::{Order, OrderItem, OrderPush, OrderSource};
use unibox_core::{ChannelAccount, Error, ErrorKind, OrderUpdate, Result};

use crate::WhatsAppChannel;

/// `messages[].order`: `{catalog_id, text, product_items[]}`.
#[derive(Deserialize)]
struct Cart {
    #[serde(default)]
    product_items: Vec<CartItem>,
}

#[derive(Deserialize)]
struct CartItem {
    #[serde(default)]
    product_retailer_id: Option<String>,
    #[serde(default)]
    quantity: Option<serde_json::Value>,
    #[serde(default)]
    item_price: Option<serde_json::Value>,
    #[serde(default)]
    currency: Option<String>,
}

/// A decimal as (digits without the point, digits after the point); `None` for anything but a
/// plain non-negative decimal.
fn decimal(text: &str) -> Option<(u128, u32)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if whole.len() + fraction.len() > 30 {
        return None;
    }
    let digits: u128 = format!("{whole}{fraction}").parse().ok()?;
    Some((digits, u32::try_from(fraction.len()).ok()?))
}

fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::String(text) => Some(text.trim().to_owned()),
        _ => None,
    }
}

/// The sum of `quantity × price` over `lines`, exact, written with the most decimals any price
/// has; `None` when a price is not a plain decimal.
fn total(lines: &[(u32, String)]) -> Option<String> {
    let parsed: Vec<(u32, u128, u32)> = lines
        .iter()
        .map(|(quantity, price)| decimal(price).map(|(digits, scale)| (*quantity, digits, scale)))
        .collect::<Option<_>>()?;
    let scale = parsed.iter().map(|(_, _, scale)| *scale).max().unwrap_or(0);
    let mut sum: u128 = 0;
    for (quantity, digits, own) in parsed {
        let scaled = digits.checked_mul(10u128.checked_pow(scale - own)?)?;
        sum = sum.checked_add(scaled.checked_mul(u128::from(quantity))?)?;
    }
    let text = sum.to_string();
    if scale == 0 {
        return Some(text);
    }
    let scale = scale as usize;
    let padded = format!("{text:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    Some(format!("{whole}.{fraction}"))
}

/// What a cart says: its items, total and currency (`None` when it is not a cart).
pub(crate) fn read_cart(raw: &serde_json::Value) -> Option<OrderPush> {
    let cart = Cart::deserialize(raw).ok()?;
    let mut items = Vec::with_capacity(cart.product_items.len());
    let mut priced = Vec::with_capacity(cart.product_items.len());
    let mut currency = None;
    for line in cart.product_items {
        let Some(retailer_id) = line.product_retailer_id.filter(|id| !id.is_empty()) else { continue };
        let quantity = line
            .quantity
            .as_ref()
            .and_then(text_of)
            .and_then(|q| q.parse::<u32>().ok())
            .filter(|q| *q > 0)
            .unwrap_or(1);
        let mut item = OrderItem::new(retailer_id.clone(), quantity).with_product(retailer_id);
        if let Some(price) = line.item_price.as_ref().and_then(text_of).filter(|p| !p.is_empty()) {
            priced.push((quantity, price.clone()));
            item = item.with_unit_price(price);
        }
        currency = currency.or(line.currency.filter(|c| !c.is_empty()));
        items.push(item);
    }
    if items.is_empty() {
        return None;
    }
    let total = (priced.len() == items.len()).then(|| total(&priced)).flatten();
    Some(OrderPush::default().with_items(items, total, currency))
}

#[async_trait]
impl OrderSource for WhatsAppChannel {
    /// WhatsApp has no order API: `Unsupported`.
    async fn fetch_order(
        &self,
        _account: &ChannelAccount,
        _access_token: Option<&SecretString>,
        _order_id: &str,
    ) -> Result<Order> {
        Err(Error::new(ErrorKind::Unsupported, "WhatsApp has no order API: a cart is known from its message")
            .with_operation("whatsapp.orders.fetch"))
    }

    /// A cart message's order: status `placed`, its items, total and currency.
    fn read_push(&self, update: &OrderUpdate) -> OrderPush {
        let status = OrderPush::status_of(update);
        match read_cart(&update.raw) {
            Some(mut cart) => {
                cart.status = status.status;
                cart
            }
            None => status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_exact_and_keeps_the_prices_decimals() {
        let lines = [(1, "459.0".to_owned()), (2, "39.5".to_owned())];
        assert_eq!(total(&lines).as_deref(), Some("538.0"));
        assert_eq!(total(&[(3, "0.1".to_owned())]).as_deref(), Some("0.3"), "no float rounding");
        assert_eq!(total(&[(2, "1500".to_owned()), (1, "0.05".to_owned())]).as_deref(), Some("3000.05"));
        assert_eq!(total(&[(1, "1e3".to_owned())]), None);
        assert_eq!(total(&[(1, "-5".to_owned())]), None);
    }

    #[test]
    fn a_cart_reads_its_items_and_anything_else_reads_as_nothing() {
        let cart = serde_json::json!({"catalog_id": "354160437058781", "text": "", "product_items": [
            {"product_retailer_id": "SKU-DESK-120", "quantity": 1, "item_price": 459.0, "currency": "USD"},
            {"product_retailer_id": "SKU-MAT-01", "quantity": "2", "item_price": "39.5", "currency": "USD"}]});
        let push = read_cart(&cart).unwrap();
        assert_eq!(push.items.len(), 2);
        assert_eq!((push.items[1].quantity, push.items[1].unit_price.as_deref()), (2, Some("39.5")));
        assert_eq!((push.total.as_deref(), push.currency.as_deref()), (Some("538.0"), Some("USD")));
        assert!(read_cart(&serde_json::json!({"product_items": []})).is_none());
        assert!(read_cart(&serde_json::json!("not a cart")).is_none());
        assert!(read_cart(&serde_json::json!({"product_items": [{"quantity": 1}]})).is_none());
    }
}
