#![doc = include_str!("../docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod catalog;
mod channel;
mod config;
mod conversations;
mod error_map;
mod fetch;
mod history;
mod inbound;
mod orders;
mod outbound;
mod sign;
mod tokens;
mod verify;

pub use channel::ShopeeChannel;
pub use config::{DEFAULT_API_BASE_URL, DEFAULT_SEND_RATE, SANDBOX_API_BASE_URL, ShopeeConfig, ShopeeConfigBuilder};
pub use error_map::{DEFAULT_RATE_LIMIT_DELAY, ShopeeApiError};
pub use inbound::{AUTHORIZATION_EXPIRING, TRACKING_NUMBER_ASSIGNED};
pub use sign::SignedCall;
pub use tokens::{AUTHORIZATION_PATH, REFRESH_TOKEN_LIFETIME};
pub use verify::{AUTHORIZATION_HEADER, push_authorization};
