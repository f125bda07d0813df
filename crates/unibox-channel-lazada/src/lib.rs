#![doc = include_str!("../docs.md")]

mod api;
mod catalog;
mod channel;
mod config;
mod error_map;
mod fetch;
mod history;
mod inbound;
mod orders;
mod outbound;
mod signing;
mod tokens;

pub use channel::LazadaChannel;
pub use config::{
    DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL, DEFAULT_AUTHORIZE_URL, LazadaConfig, LazadaConfigBuilder,
};
pub use error_map::LazadaApiError;
pub use inbound::{SESSION_IDENTITY, session_buyer, template};
pub use signing::{request_signature, signed_string};
pub use tokens::{LazadaAuthorization, LazadaSeller};
pub use unibox_channel_marketplace::push::push_signature;
/// Renewal of expiring authorizations: [`renewal::renew`] refreshes what [`LazadaChannel::expiry_alerts`] recorded.
pub use unibox_channel_marketplace::renewal;
