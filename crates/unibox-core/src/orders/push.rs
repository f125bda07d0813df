//! What an order push says, as the channel that parsed it reads it.

use crate::OrderUpdate;

/// An order push read by its channel: the new status and tracking number it carries.
///
/// Platforms push different things as "order updates": Shopee's tracking push (code 4) carries
/// a tracking number and no status, Lazada's package push a logistics status. The channel's
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
}

impl OrderPush {
    /// The update's status as the order's new status (no tracking number).
    pub fn status_of(update: &OrderUpdate) -> Self {
        OrderPush { status: Some(update.status.clone()).filter(|s| !s.is_empty()), tracking_number: None }
    }

    /// A push that carries only a tracking number.
    pub fn tracking(tracking_number: impl Into<String>) -> Self {
        OrderPush { status: None, tracking_number: Some(tracking_number.into()) }
    }
}
