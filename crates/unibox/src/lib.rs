//! # unibox
//!
//! One inbox for Messenger, Instagram, WhatsApp, LINE, Telegram, Twilio and marketplace buyer
//! chats (Shopee, Lazada, TikTok Shop): an SDK you embed to build your own unified-messaging
//! product.
//!
//! This facade re-exports [`unibox_core`] (the model, the [`Channel`], [`Inbox`],
//! [`TokenStore`] and [`Policy`] ports, and the [`Hub`]) and adds adapters and stores by
//! feature:
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `store-sqlite` | [`store::sqlite`]: the embedded SQLite inbox | yes |
//! | `channel-webhook` | [`channels::webhook`]: Standard Webhooks JSON in and out | yes |
//! | `channel-messenger` | `unibox::channels::messenger`: Facebook Messenger | no |
//! | `channel-instagram` | `unibox::channels::instagram`: Instagram Direct | no |
//! | `channel-whatsapp` | `unibox::channels::whatsapp`: the WhatsApp Business Cloud API | no |
//! | `channel-line` | `unibox::channels::line`: the LINE Messaging API | no |
//! | `channel-shopee` | `unibox::channels::shopee`: Shopee Open Platform seller chat | no |
//! | `channel-telegram` | `unibox::channels::telegram`: the Telegram Bot API | no |
//! | `channel-twilio` | `unibox::channels::twilio`: SMS, MMS and WhatsApp through Twilio | no |
//! | `channel-lazada` | `unibox::channels::lazada`: Lazada IM buyer chat and order pushes | no |
//! | `channel-tiktok-shop` | `unibox::channels::tiktok_shop`: TikTok Shop Customer Service chat and order webhooks | no |
//! | `http-reqwest` | [`http::ReqwestClient`], the default HTTP client | yes |
//! | `server-axum` | `unibox::server`: the axum webhook server (routes, limits, health, readiness) | no |
//! | `policy-cedar` | `unibox::policy_cedar`: Cedar policies as the hub's [`Policy`] | no |
//! | `vault` | [`vault`]: tokens encrypted at rest, rotation, shredding, refresh | yes |
//!
//! The defaults are what the quickstart needs and nothing more; turn them off with
//! `default-features = false` and pick what you use.
//!
//! ```
//! # #[cfg(all(feature = "store-sqlite", feature = "channel-webhook"))]
//! # fn main() -> Result<(), unibox::Error> {
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
//! use unibox::secrecy::SecretString;
//! use unibox::store::sqlite::SqliteInbox;
//! use unibox::{Actor, ChannelAccount, ChannelKind, Hub, Role, Timestamp};
//!
//! let dir = std::env::temp_dir().join(format!("unibox-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let inbox = Arc::new(SqliteInbox::open(dir.join("inbox.db")).await?);
//! let config = WebhookChannelConfig::builder()
//!     .secret(SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
//!     .build()?;
//! let hub = Hub::builder(inbox).channel("acme-api".parse()?, Arc::new(WebhookChannel::new(config))).build();
//!
//! let admin = Actor::user("acme".parse()?, "ann".parse()?, Role::Admin);
//! let account = ChannelAccount::new(
//!     "acme".parse()?, "acme-api".parse()?, ChannelKind::WEBHOOK, "store-1", Timestamp::now(),
//! );
//! hub.connect_account(&admin, account, None).await?;
//! // hub.handle_webhook(&"acme-api".parse()?, request).await answers each webhook.
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) })
//! # }
//! # #[cfg(not(all(feature = "store-sqlite", feature = "channel-webhook")))]
//! # fn main() {}
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use unibox_core::*;

/// The axum webhook server (feature `server-axum`): [`server::router`] serves every channel of a hub.
#[cfg(feature = "server-axum")]
pub use unibox_server_axum as server;

/// Cedar policies as the hub's [`Policy`] (feature `policy-cedar`).
#[cfg(feature = "policy-cedar")]
pub use unibox_policy_cedar as policy_cedar;

/// The encrypted token vault (feature `vault`): use [`vault::Vault`] as the hub's token store.
#[cfg(feature = "vault")]
pub use unibox_vault as vault;

/// Storage backends: [`memory`] always, others by feature.
pub mod store {
    pub use unibox_core::memory;

    /// The embedded SQLite inbox (feature `store-sqlite`).
    #[cfg(feature = "store-sqlite")]
    pub use unibox_store_sqlite as sqlite;
}

/// Channel adapters, by feature.
pub mod channels {
    /// The generic Standard Webhooks channel (feature `channel-webhook`).
    #[cfg(feature = "channel-webhook")]
    pub use unibox_channel_webhook as webhook;

    /// The Facebook Messenger channel (feature `channel-messenger`).
    #[cfg(feature = "channel-messenger")]
    pub use unibox_channel_messenger as messenger;

    /// The Instagram Direct channel (feature `channel-instagram`).
    #[cfg(feature = "channel-instagram")]
    pub use unibox_channel_instagram as instagram;

    /// The WhatsApp Business Cloud API channel (feature `channel-whatsapp`).
    #[cfg(feature = "channel-whatsapp")]
    pub use unibox_channel_whatsapp as whatsapp;

    /// The LINE Messaging API channel (feature `channel-line`).
    #[cfg(feature = "channel-line")]
    pub use unibox_channel_line as line;

    /// The Lazada channel (feature `channel-lazada`).
    #[cfg(feature = "channel-lazada")]
    pub use unibox_channel_lazada as lazada;
    /// The Shopee Open Platform channel (feature `channel-shopee`).
    #[cfg(feature = "channel-shopee")]
    pub use unibox_channel_shopee as shopee;
    /// The Telegram Bot API channel (feature `channel-telegram`).
    #[cfg(feature = "channel-telegram")]
    pub use unibox_channel_telegram as telegram;
    /// The Twilio Programmable Messaging channel (feature `channel-twilio`).
    #[cfg(feature = "channel-twilio")]
    pub use unibox_channel_twilio as twilio;

    /// The TikTok Shop channel (feature `channel-tiktok-shop`).
    #[cfg(feature = "channel-tiktok-shop")]
    pub use unibox_channel_tiktok_shop as tiktok_shop;
}
