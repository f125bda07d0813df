//! Orders beside conversations: the marketplace orders of a buyer, kept per tenant and shown
//! next to the buyer's chat.
//!
//! - [`Order`]: one platform order (id, status, items, total, currency, buyer, tracking number,
//!   update time) with its [`history`](Order::history) of status changes, the system events an
//!   agent sees in the buyer's conversation.
//! - [`OrderSource`]: a channel that can fetch orders from its platform's API (Shopee, Lazada,
//!   TikTok Shop) offers one through [`Channel::orders`](crate::Channel::orders).
//! - [`OrderStore`]: where orders are kept ([`Store::orders`](crate::store::Store::orders);
//!   memory: [`MemoryOrderStore`](crate::memory::MemoryOrderStore), SQLite:
//!   `unibox_store_sqlite::SqliteInbox`).
//!
//! The [`Hub`](crate::Hub) applies order pushes to the stored order before it acknowledges
//! them, fetches what a push leaves out through the channel's `OrderSource`, and answers
//! "orders of this contact" across channels ([`Hub::orders_of_contact`](crate::Hub::orders_of_contact)),
//! WhatsApp orders (a customer sending a cart) included.
//!
//! ```
//! use unibox_core::orders::{Order, OrderChange};
//! use unibox_core::{ChannelAccountId, Timestamp};
//! let account = ChannelAccountId::new();
//! let at = Timestamp::from_unix_seconds(1_732_000_000);
//! let later_at = Timestamp::from_unix_seconds(1_732_000_060);
//! let mut order = Order::new("acme".parse().unwrap(), account, "220810QSK8S7BX", "UNPAID", at);
//! let later = Order::new("acme".parse().unwrap(), account, "220810QSK8S7BX", "READY_TO_SHIP", later_at)
//!     .with_change(OrderChange::status("order:220810QSK8S7BX:READY_TO_SHIP", "READY_TO_SHIP", later_at));
//! order.merge(later);
//! assert_eq!(order.status, "READY_TO_SHIP");
//! assert_eq!(order.history.len(), 1);
//! ```

mod model;
mod push;
mod source;
mod store;

pub use model::{MAX_ORDER_HISTORY, Order, OrderChange, OrderItem, newest_first};
pub use push::OrderPush;
pub use source::OrderSource;
pub use store::{MAX_ORDERS_LISTED, OrderStore};
