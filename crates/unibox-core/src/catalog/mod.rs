//! One product catalog per tenant: the products of every shop and catalog the tenant sells
//! through, synced from marketplace item APIs (Shopee) and Meta's commerce catalog (WhatsApp and
//! Instagram product messages), searchable, and sendable as a product card on the customer's
//! channel.
//!
//! - [`Product`]: one product of one channel account (id per platform, title, price, currency,
//!   image, stock, link).
//! - [`ProductSource`]: a channel that can list its platform's products, through
//!   [`Channel::catalog`](crate::Channel::catalog).
//! - [`CatalogStore`]: where products are kept and searched
//!   ([`Store::catalog`](crate::store::Store::catalog)).
//!
//! The hub syncs an account's products ([`Hub::sync_catalog`](crate::Hub::sync_catalog)),
//! finds them ([`Hub::search_products`](crate::Hub::search_products)) and sends one as a
//! product card ([`Hub::send_product`](crate::Hub::send_product)).
//!
//! ```
//! use unibox_core::catalog::Product;
//! use unibox_core::{ChannelAccountId, Timestamp};
//! let product = Product::new("acme".parse().unwrap(), ChannelAccountId::new(), "3000120034", "Thai silk scarf", Timestamp::from_unix_seconds(1_732_000_000))
//!     .with_price("450.00", "THB")
//!     .with_stock(12);
//! assert!(product.matches("silk SCARF"));
//! assert!(!product.matches("cotton"));
//! ```

mod product;
mod source;
mod store;

pub use product::Product;
pub use source::{ProductPage, ProductSource};
pub use store::{CatalogStore, MAX_PRODUCTS_LISTED};
