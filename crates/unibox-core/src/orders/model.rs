//! The order model and how two views of one order merge.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{ChannelAccountId, ContactIdentity, Error, ErrorKind, PlatformUser, Result, TenantId, Timestamp};

/// The most status changes an order keeps in its [`history`](Order::history); older ones are
/// dropped first (the current status is always kept in [`status`](Order::status)).
pub const MAX_ORDER_HISTORY: usize = 50;

/// One marketplace order, as the platform knows it, on one channel account.
///
/// Ids are the platform's (`order_sn` on Shopee, `order_id` on Lazada and TikTok Shop, the
/// message id of a WhatsApp cart); amounts are decimal text exactly as the platform wrote them,
/// never a float. An order is identified by (tenant, account, `order_id`).
///
/// ```
/// use unibox_core::orders::{Order, OrderItem};
/// use unibox_core::{ChannelAccountId, IdentityKind, PlatformUser, Timestamp};
/// let order = Order::new("acme".parse().unwrap(), ChannelAccountId::new(), "576486316948490001", "AWAITING_SHIPMENT", Timestamp::from_unix_seconds(1_732_000_000))
///     .with_buyer(PlatformUser::new(IdentityKind::MarketplaceBuyerId, "7494560109732334274"))
///     .with_item(OrderItem::new("Thai silk scarf", 2).with_unit_price("450.00"));
/// assert_eq!(order.items[0].quantity, 2);
/// assert!(order.history.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The owning tenant.
    pub tenant: TenantId,
    /// The channel account (shop) the order belongs to.
    pub account: ChannelAccountId,
    /// The platform's order id.
    pub order_id: String,
    /// The status as the platform names it (`READY_TO_SHIP`, `shipped`, `AWAITING_SHIPMENT`).
    pub status: String,
    /// What was ordered, when known (a status push names no items; a fetched order does).
    #[serde(default)]
    pub items: Vec<OrderItem>,
    /// The total the buyer pays, as decimal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// The currency of the amounts (`THB`, `IDR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The buyer, as the chat names them (the identity their conversation's contact has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<PlatformUser>,
    /// The latest tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// When the buyer placed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When the platform last changed it.
    pub updated_at: Timestamp,
    /// The status changes pushed by the platform, oldest first: the system events shown in the
    /// buyer's conversation. At most [`MAX_ORDER_HISTORY`].
    #[serde(default)]
    pub history: Vec<OrderChange>,
}

/// One line of an order.
///
/// ```
/// use unibox_core::orders::OrderItem;
/// let item = OrderItem::new("Thai silk scarf", 1).with_product("3000120034").with_sku("SCARF-RED");
/// assert_eq!(item.product_id.as_deref(), Some("3000120034"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderItem {
    /// The platform's product (item) id, to find it in the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The seller's SKU or the platform's model/variant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The product name as ordered.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// The price of one, as decimal text in the order's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    /// A picture of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Url>,
}

/// A change the platform pushed: a new status, a tracking number, or both. Identified by the
/// id of the event that carried it, so a redelivered push is kept once.
///
/// ```
/// use unibox_core::orders::OrderChange;
/// use unibox_core::Timestamp;
/// let change = OrderChange::tracking("tracking:220810QSK8S7BX:OFG1:SPXID0123", "SPXID0123", Timestamp::from_unix_seconds(1_732_000_000));
/// assert!(change.status.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderChange {
    /// The id of the inbound event that carried it.
    pub event_id: String,
    /// The new status, when the change set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The new tracking number, when the change set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// When it happened, by the platform's clock.
    pub at: Timestamp,
}

impl OrderChange {
    /// A status change.
    pub fn status(event_id: impl Into<String>, status: impl Into<String>, at: Timestamp) -> Self {
        OrderChange { event_id: event_id.into(), status: Some(status.into()), tracking_number: None, at }
    }

    /// A new tracking number.
    pub fn tracking(event_id: impl Into<String>, tracking_number: impl Into<String>, at: Timestamp) -> Self {
        OrderChange { event_id: event_id.into(), status: None, tracking_number: Some(tracking_number.into()), at }
    }
}

impl OrderItem {
    /// `quantity` of a product named `name`.
    pub fn new(name: impl Into<String>, quantity: u32) -> Self {
        OrderItem { product_id: None, sku: None, name: name.into(), quantity, unit_price: None, image: None }
    }

    /// With the platform's product id.
    pub fn with_product(mut self, product_id: impl Into<String>) -> Self {
        self.product_id = Some(product_id.into());
        self
    }

    /// With the SKU.
    pub fn with_sku(mut self, sku: impl Into<String>) -> Self {
        self.sku = Some(sku.into());
        self
    }

    /// With the price of one.
    pub fn with_unit_price(mut self, price: impl Into<String>) -> Self {
        self.unit_price = Some(price.into());
        self
    }

    /// With a picture.
    pub fn with_image(mut self, image: Url) -> Self {
        self.image = Some(image);
        self
    }
}

impl Order {
    /// An order known only by its id and status.
    pub fn new(
        tenant: TenantId,
        account: ChannelAccountId,
        order_id: impl Into<String>,
        status: impl Into<String>,
        updated_at: Timestamp,
    ) -> Self {
        Order {
            tenant,
            account,
            order_id: order_id.into(),
            status: status.into(),
            items: Vec::new(),
            total: None,
            currency: None,
            buyer: None,
            tracking_number: None,
            created_at: None,
            updated_at,
            history: Vec::new(),
        }
    }

    /// With the buyer.
    pub fn with_buyer(mut self, buyer: PlatformUser) -> Self {
        self.buyer = Some(buyer);
        self
    }

    /// With one more item.
    pub fn with_item(mut self, item: OrderItem) -> Self {
        self.items.push(item);
        self
    }

    /// With the total and its currency.
    pub fn with_total(mut self, total: impl Into<String>, currency: impl Into<String>) -> Self {
        self.total = Some(total.into());
        self.currency = Some(currency.into());
        self
    }

    /// With the tracking number.
    pub fn with_tracking_number(mut self, tracking_number: impl Into<String>) -> Self {
        self.tracking_number = Some(tracking_number.into());
        self
    }

    /// With the time the buyer placed it.
    pub fn with_created_at(mut self, at: Timestamp) -> Self {
        self.created_at = Some(at);
        self
    }

    /// With one pushed change in its history.
    pub fn with_change(mut self, change: OrderChange) -> Self {
        self.history.push(change);
        self
    }

    /// The buyer as a contact identity on the order's account, to find their contact.
    pub fn buyer_identity(&self) -> Option<ContactIdentity> {
        self.buyer.as_ref().map(|buyer| ContactIdentity {
            account: self.account,
            kind: buyer.kind.clone(),
            value: buyer.id.clone(),
        })
    }

    /// Whether the order belongs to the buyer `identity` names.
    pub fn is_of(&self, identity: &ContactIdentity) -> bool {
        self.account == identity.account
            && self.buyer.as_ref().is_some_and(|buyer| buyer.kind == identity.kind && buyer.id == identity.value)
    }

    /// Folds another view of the same order into this one, so that pushes and fetches arriving
    /// in any order, any number of times, leave the same order:
    ///
    /// - status and update time come from the newer view (by `updated_at`; on a tie, `other`);
    /// - items, total, currency, buyer, tracking number and creation time come from `other`
    ///   when it has them (a status push names none of them, so it never erases a fetched order);
    /// - history is the union by event id, oldest first, at most [`MAX_ORDER_HISTORY`].
    pub fn merge(&mut self, other: Order) {
        if other.updated_at >= self.updated_at {
            if !other.status.is_empty() {
                self.status = other.status;
            }
            self.updated_at = other.updated_at;
        }
        if !other.items.is_empty() {
            self.items = other.items;
        }
        self.total = other.total.or(self.total.take());
        self.currency = other.currency.or(self.currency.take());
        self.buyer = other.buyer.or(self.buyer.take());
        self.tracking_number = other.tracking_number.or(self.tracking_number.take());
        self.created_at = other.created_at.or(self.created_at);
        for change in other.history {
            if !self.history.iter().any(|known| known.event_id == change.event_id) {
                self.history.push(change);
            }
        }
        self.history.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.event_id.cmp(&b.event_id)));
        if self.history.len() > MAX_ORDER_HISTORY {
            let excess = self.history.len() - MAX_ORDER_HISTORY;
            self.history.drain(..excess);
        }
    }

    /// What a store keeps after `self` arrives: merged into the `stored` view ([`merge`](Self::merge)),
    /// or, for a first view, merged into an empty copy of itself (the same normalisation of
    /// history order and bound a merge applies).
    ///
    /// ```
    /// use unibox_core::orders::Order;
    /// use unibox_core::{ChannelAccountId, Timestamp};
    /// let (account, at) = (ChannelAccountId::new(), Timestamp::from_unix_seconds(1));
    /// let first = Order::new("acme".parse().unwrap(), account, "o-1", "UNPAID", at);
    /// let stored = first.clone().merged_onto(None);
    /// let later = Order::new("acme".parse().unwrap(), account, "o-1", "PAID", Timestamp::from_unix_seconds(2));
    /// assert_eq!(later.merged_onto(Some(stored)).status, "PAID");
    /// ```
    pub fn merged_onto(self, stored: Option<Order>) -> Order {
        let mut merged = stored.unwrap_or_else(|| {
            let mut fresh = self.clone();
            fresh.history.clear();
            fresh
        });
        merged.merge(self);
        merged
    }

    /// Refuses an order a store cannot key: `InvalidInput` (with `operation`) when it has no
    /// platform order id.
    ///
    /// ```
    /// use unibox_core::orders::Order;
    /// use unibox_core::{ChannelAccountId, Timestamp};
    /// let order = Order::new("acme".parse().unwrap(), ChannelAccountId::new(), "", "UNPAID", Timestamp::from_unix_seconds(1));
    /// assert_eq!(order.check_storable("example.orders.merge").unwrap_err().kind(), unibox_core::ErrorKind::InvalidInput);
    /// ```
    pub fn check_storable(&self, operation: &'static str) -> Result<()> {
        if self.order_id.is_empty() {
            return Err(
                Error::new(ErrorKind::InvalidInput, "an order needs the platform's order id").with_operation(operation)
            );
        }
        Ok(())
    }
}

/// Puts a listing of orders in [`OrderStore::orders_of_buyers`](super::OrderStore::orders_of_buyers)
/// order, most recently updated first (ties by order id), and keeps at most `limit` of them
/// (capped at [`MAX_ORDERS_LISTED`](super::MAX_ORDERS_LISTED)).
///
/// ```
/// use unibox_core::orders::{Order, newest_first};
/// use unibox_core::{ChannelAccountId, Timestamp};
/// let order = |id: &str, at| Order::new("acme".parse().unwrap(), ChannelAccountId::new(), id, "PAID", Timestamp::from_unix_seconds(at));
/// let mut found = vec![order("a", 1), order("b", 3), order("c", 2)];
/// newest_first(&mut found, 2);
/// assert_eq!(found.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), ["b", "c"]);
/// ```
pub fn newest_first(found: &mut Vec<Order>, limit: usize) {
    found.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.order_id.cmp(&b.order_id)));
    found.truncate(limit.min(super::MAX_ORDERS_LISTED));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKind;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_732_000_000 + seconds)
    }

    fn order(status: &str, seconds: i64) -> Order {
        Order::new(
            "acme".parse().unwrap(),
            ChannelAccountId::from_bytes([7; 16]),
            "220810QSK8S7BX",
            status,
            at(seconds),
        )
    }

    #[test]
    fn an_older_push_arriving_late_does_not_move_the_status_back() {
        let mut stored = order("SHIPPED", 20).with_change(OrderChange::status("e2", "SHIPPED", at(20)));
        stored.merge(order("READY_TO_SHIP", 10).with_change(OrderChange::status("e1", "READY_TO_SHIP", at(10))));
        assert_eq!(stored.status, "SHIPPED");
        let events: Vec<&str> = stored.history.iter().map(|c| c.event_id.as_str()).collect();
        assert_eq!(events, ["e1", "e2"], "the history is ordered by time whatever the arrival order");
    }

    #[test]
    fn a_status_push_keeps_what_a_fetch_found_and_merging_twice_changes_nothing() {
        let buyer = PlatformUser::new(IdentityKind::MarketplaceBuyerId, "165105353");
        let mut stored = order("READY_TO_SHIP", 0)
            .with_buyer(buyer.clone())
            .with_item(OrderItem::new("Scarf", 1))
            .with_total("450.00", "THB");
        let push = order("SHIPPED", 30).with_change(OrderChange::status("e3", "SHIPPED", at(30)));
        stored.merge(push.clone());
        let once = stored.clone();
        stored.merge(push);
        assert_eq!(stored, once, "a redelivered push is idempotent");
        assert_eq!(stored.status, "SHIPPED");
        assert_eq!(stored.items.len(), 1);
        assert_eq!(stored.total.as_deref(), Some("450.00"));
        assert_eq!(stored.buyer, Some(buyer));
    }

    #[test]
    fn a_pushed_tracking_number_newer_than_the_fetch_wins() {
        let mut stored = order("SHIPPED", 0).with_tracking_number("OLD1");
        let push = order("", 50).with_tracking_number("NEW2").with_change(OrderChange::tracking("t1", "NEW2", at(50)));
        stored.merge(push);
        assert_eq!(stored.tracking_number.as_deref(), Some("NEW2"));
        assert_eq!(stored.status, "SHIPPED", "a change without a status keeps the status");
    }

    #[test]
    fn the_history_keeps_the_newest_changes() {
        let mut stored = order("A", 0);
        for i in 0..(MAX_ORDER_HISTORY as i64 + 5) {
            stored.merge(order("A", i).with_change(OrderChange::status(format!("e{i:03}"), "A", at(i))));
        }
        assert_eq!(stored.history.len(), MAX_ORDER_HISTORY);
        assert_eq!(stored.history[0].event_id, "e005");
    }
}
