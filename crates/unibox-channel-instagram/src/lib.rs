#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! ## Capabilities
#![doc = include_str!("../docs.md")]

pub use unibox_channel_meta::catalog::MetaCatalogs;
pub use unibox_channel_meta::messaging::{
    HUMAN_AGENT_WINDOW, MessagingChannel, MessagingChannelBuilder, STANDARD_WINDOW, SenderAction, TokenRefresh,
};
pub use unibox_channel_meta::{AppCredentials, AppSecret};

use unibox_channel_meta::messaging::MessagingPlatform;

/// The Instagram channel: the shared Messenger Platform channel for `object: instagram` and
/// Instagram-scoped ids.
pub type InstagramChannel = MessagingChannel;

/// A builder for an [`InstagramChannel`].
///
/// For the Instagram API with Instagram Login, pass the Instagram app secret and
/// [`TokenRefresh::InstagramRefresh`]: sends then go to `graph.instagram.com` and tokens are
/// refreshed there. Without it, sends go to `graph.facebook.com` with the Page token.
///
/// ```
/// use unibox_channel_instagram::{AppSecret, TokenRefresh};
/// use unibox_core::{Channel, ChannelKind};
/// let channel = unibox_channel_instagram::builder()
///     .app_secret(AppSecret::new("instagram-app-secret"))
///     .verify_token("meatyhamhock")
///     .token_refresh(TokenRefresh::InstagramRefresh)
///     .build()
///     .unwrap();
/// assert_eq!(channel.kind(), ChannelKind::INSTAGRAM);
/// assert!(channel.capabilities().token_refresh);
/// ```
pub fn builder() -> MessagingChannelBuilder {
    MessagingChannel::builder(MessagingPlatform::instagram())
}
