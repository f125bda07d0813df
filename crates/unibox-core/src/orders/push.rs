//! What an order push says, as the channel that parsed it reads it.

use crate::OrderUpdate;
use crate::orders::OrderItem;

/// An order push read by its channel: the new status and tracking number it carries, and the
/// items and total when the push is the whole order.
///
/// Platforms push different things as "order updates": Shopee's tracking push (code 4) carries
/// a tracking number and no status, Lazada's package push a logistics status, a WhatsApp cart
/// message the whole order (its items with prices, hence its total). The channel's
/// [`OrderSource::read_push`](crate::orders::OrderSource::read_push) says which is which; the
/// default takes the update's status as the order's.
///
/// ```
/// use unibox_core::OrderUpdate;
/// use unibox_core::orders::OrderPush;
/// let update = OrderUpdate { buyer: None, order_id: "220810QSK8S7BX".into(), status: "SHIPPED".into(), raw: serde_json::Value::Null };
/// assert_eq!(OrderPush::status_of(&update).status.as_deref(), Some("SHIPPED"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderPush {
    /// The order's new status, if the push sets one.
    pub status: Option<String>,
    /// The order's new tracking number, if the push carries one.
    pub tracking_number: Option<String>,
    /// The order's items, when the push lists them (a WhatsApp cart); empty otherwise.
    pub items: Vec<OrderItem>,
    /// The order's total as decimal text, when the push says it.
    pub total: Option<String>,
    /// The currency of the total and the items' prices.
    pub currency: Option<String>,
}

impl OrderPush {
    /// The update's status as the order's new status (no tracking number).
    pub fn status_of(update: &OrderUpdate) -> Self {
        OrderPush { status: Some(update.status.clone()).filter(|s| !s.is_empty()), ..OrderPush::default() }
    }

    /// With the order's items, total and currency (a push that is the whole order).
    ///
    /// ```
    /// use unibox_core::orders::{OrderItem, OrderPush};
    /// let push = OrderPush::default().with_items(vec![OrderItem::new("SKU-DESK-120", 1)], Some("459.0".into()), Some("USD".into()));
    /// assert_eq!(push.items.len(), 1);
    /// ```
    pub fn with_items(mut self, items: Vec<OrderItem>, total: Option<String>, currency: Option<String>) -> Self {
        self.items = items;
        self.total = total;
        self.currency = currency;
        self
    }

    /// A push that carries only a tracking number.
    pub fn tracking(tracking_number: impl Into<String>) -> Self {
        OrderPush { tracking_number: Some(tracking_number.into()), ..OrderPush::default() }
    }
}
