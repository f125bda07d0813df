#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! ## Capabilities
#![doc = include_str!("../docs.md")]

pub use unibox_channel_meta::messaging::{
    HUMAN_AGENT_WINDOW, MessagingChannel, MessagingChannelBuilder, STANDARD_WINDOW, SenderAction, TokenRefresh,
};
pub use unibox_channel_meta::{AppCredentials, AppSecret};

use unibox_channel_meta::messaging::MessagingPlatform;

/// The Messenger channel: the shared Messenger Platform channel for `object: page` and
/// page-scoped ids.
pub type MessengerChannel = MessagingChannel;

/// A builder for a [`MessengerChannel`].
///
/// ```
/// use unibox_channel_messenger::AppSecret;
/// use unibox_core::{Channel, ChannelKind};
/// let channel = unibox_channel_messenger::builder()
///     .app_secret(AppSecret::new("appsecret"))
///     .verify_token("meatyhamhock")
///     .build()
///     .unwrap();
/// assert_eq!(channel.kind(), ChannelKind::MESSENGER);
/// assert_eq!(channel.capabilities().max_text_length, Some(2000));
/// ```
pub fn builder() -> MessagingChannelBuilder {
    MessagingChannel::builder(MessagingPlatform::messenger())
}
