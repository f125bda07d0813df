#![doc = include_str!("../docs.md")]

mod api;
mod catalog;
mod channel;
mod chat_buyer;
mod config;
mod error_map;
mod fetch;
mod history;
mod inbound;
mod orders;
mod outbound;
mod signing;
mod tokens;

pub use channel::{API_RATE, DAILY_SEND_QUOTA, TikTokShopChannel};
pub use config::{
    DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL, DEFAULT_AUTHORIZE_URL, TikTokShopConfig, TikTokShopConfigBuilder,
};
pub use error_map::TikTokShopApiError;
pub use inbound::CONVERSATION_IDENTITY;
pub use outbound::MAX_TEXT_LENGTH;
pub use signing::request_signature;
pub use tokens::{AuthorizedShop, TikTokShopAuthorization};
pub use unibox_channel_marketplace::push::push_signature;
/// Renewal of expiring authorizations: [`renewal::renew`] refreshes what
/// [`TikTokShopChannel::expiry_alerts`] recorded.
pub use unibox_channel_marketplace::renewal;
