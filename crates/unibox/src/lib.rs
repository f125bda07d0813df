//! # unibox
//!
//! One inbox for customer conversations: an SDK you embed to build your own unified-messaging
//! product. Today: Facebook Messenger, Instagram Direct, WhatsApp, LINE, Telegram, Twilio (SMS,
//! MMS and WhatsApp), the Shopee, Lazada and TikTok Shop buyer chats, and any system that speaks
//! Standard Webhooks.
//!
//! This facade re-exports [`unibox_core`] (the model, the [`Channel`], the [inbox ports](inbox),
//! [`TokenStore`] and [`Policy`] ports, and the [`Hub`]) and adds adapters and stores by
//! feature:
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `store-sqlite` | [`store::sqlite`]: the embedded SQLite store (brings `vault`) | yes |
//! | `store-postgres` | `unibox::store::postgres`: the PostgreSQL store, tenants isolated by row-level security (brings `vault`) | no |
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
//! | `agent-api` | `unibox::agent_api`: an axum Router for agents' inbox apps (sign-in, inbox rows, replies, notes, assignment, search, server-sent events) | no |
//! | `policy-cedar` | `unibox::policy_cedar`: Cedar policies as the hub's [`Policy`] | no |
//! | `bus-nats` | `unibox::bus::nats`: real-time fan-out of inbox changes between hub processes over NATS JetStream | no |
//! | `vault` | [`vault`]: tokens encrypted at rest, rotation, shredding, refresh | yes |
//!
//! The defaults are what the quickstart needs and nothing more; turn them off with
//! `default-features = false` and pick what you use.
//!
//! ## Assembly
//!
//! A store hands the hub all of its parts at once. With the default features,
//! [`store::sqlite::SqliteStore`] keeps everything in one file: the inbox, the platform tokens
//! sealed by the [`vault`] (XChaCha20-Poly1305, keys from your [`vault::StoreKeys`]), and the
//! audit hash chain, the vault's own records included. Start-up code runs on every start, so it
//! uses [`Hub::ensure_account`], which connects an account the first time and updates it after.
//! This is the README's snippet; `tests/readme.rs` runs it twice on one file:
//!
//! ```no_run
//! # #[cfg(all(feature = "store-sqlite", feature = "channel-webhook", feature = "http-reqwest"))]
//! # async fn start() -> Result<unibox::Hub, Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
//! use unibox::http::ReqwestClient;
//! use unibox::secrecy::SecretString;
//! use unibox::store::sqlite::SqliteStore;
//! use unibox::vault::StoreKeys;
//! use unibox::{Actor, ChannelAccount, ChannelKind, Hub, Role, Timestamp, TokenSet};
//!
//! // The vault's keys (`1:` and the base64 of 32 random bytes), never in the code.
//! let keys = StoreKeys::from_env("UNIBOX_VAULT_KEYS")?;
//! // One file: the inbox, the sealed tokens and the audit chain. The next start reopens it.
//! let store = SqliteStore::open("inbox.db", keys).await?;
//! let config = WebhookChannelConfig::builder()
//!     .secret(SecretString::from(std::env::var("ACME_WEBHOOK_SECRET")?))
//!     .send_url("https://crm.example.com/unibox-outbound".parse()?)
//!     .build()?;
//! let api = WebhookChannel::new(config).with_http_client(Arc::new(ReqwestClient::new()));
//! let hub = Hub::builder(store).channel("acme-api".parse()?, Arc::new(api)).build();
//!
//! // Connect the account (on later starts: update it), as an admin of its tenant.
//! let admin = Actor::user("acme".parse()?, "ann".parse()?, Role::Admin);
//! let account =
//!     ChannelAccount::new("acme".parse()?, "acme-api".parse()?, ChannelKind::WEBHOOK, "store-1", Timestamp::now());
//! let token = TokenSet::new(std::env::var("ACME_CRM_TOKEN")?); // the bearer token replies carry
//! hub.ensure_account(&admin, account, Some(token)).await?;
//! # Ok(hub)
//! # }
//! ```
//!
//! In-memory parts are a choice made by name: [`store::memory::MemoryStore`] for tests.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use unibox_core::*;

/// The axum webhook server (feature `server-axum`): [`server::router`] serves every channel of a hub.
#[cfg(feature = "server-axum")]
#[doc(inline)]
pub use unibox_server_axum as server;

/// AI in the inbox (features `ai-openai`, `ai-anthropic`): the core ports ([`Responder`](ai::Responder),
/// the handoff state machine) together with the providers, automation rules, the auto-reply
/// worker and the agents' assistant of `unibox-ai`.
#[cfg(any(feature = "ai-openai", feature = "ai-anthropic"))]
pub mod ai {
    #[doc(inline)]
    pub use unibox_ai::*;
    #[doc(inline)]
    pub use unibox_core::ai::*;
}

/// The agent API (feature `agent-api`): [`agent_api::AgentApi::router`] serves sign-in, inbox
/// rows, messages, agents' actions, search and server-sent events over a hub.
#[cfg(feature = "agent-api")]
#[doc(inline)]
pub use unibox_agent_api as agent_api;

/// Cedar policies as the hub's [`Policy`] (feature `policy-cedar`).
#[cfg(feature = "policy-cedar")]
#[doc(inline)]
pub use unibox_policy_cedar as policy_cedar;

/// The encrypted token vault (feature `vault`, default): the token store of
/// [`store::sqlite::SqliteStore`], key rotation, crypto-shredding, refresh.
#[cfg(feature = "vault")]
#[doc(inline)]
pub use unibox_vault as vault;

/// Storage backends. A backend hands the hub its parts as one [`Store`](crate::store::Store) bundle:
/// [`SqliteStore`](crate::store::sqlite::SqliteStore) (feature `store-sqlite`, default) or
/// [`MemoryStore`](crate::store::memory::MemoryStore).
pub mod store {
    #[doc(inline)]
    pub use unibox_core::store::{Store, StoreCapabilities};

    #[doc(inline)]
    pub use unibox_core::memory;

    /// The embedded SQLite store (feature `store-sqlite`, default).
    #[cfg(feature = "store-sqlite")]
    #[doc(inline)]
    pub use unibox_store_sqlite as sqlite;

    /// The PostgreSQL store (feature `store-postgres`).
    #[cfg(feature = "store-postgres")]
    #[doc(inline)]
    pub use unibox_store_postgres as postgres;
}

/// Live fan-out of inbox changes between hub processes: the [`ChangeBus`](bus::ChangeBus) port
/// (attached with [`HubBuilder::change_bus`](crate::hub::HubBuilder::change_bus)) and its
/// backends: [`MemoryChangeBus`](bus::MemoryChangeBus) within one process, NATS JetStream
/// (`unibox::bus::nats`, feature `bus-nats`).
pub mod bus {
    #[doc(inline)]
    pub use unibox_core::changes::{BusNotice, ChangeBus, LiveCursor, PublishedEvent};
    #[doc(inline)]
    pub use unibox_core::memory::MemoryChangeBus;

    /// NATS JetStream (feature `bus-nats`).
    #[cfg(feature = "bus-nats")]
    #[doc(inline)]
    pub use unibox_bus_nats as nats;
}

/// Channel adapters, one module per feature.
pub mod channels {
    /// The generic Standard Webhooks channel (feature `channel-webhook`, default).
    #[cfg(feature = "channel-webhook")]
    #[doc(inline)]
    pub use unibox_channel_webhook as webhook;

    /// The Facebook Messenger channel (feature `channel-messenger`).
    #[cfg(feature = "channel-messenger")]
    #[doc(inline)]
    pub use unibox_channel_messenger as messenger;

    /// The Instagram Direct channel (feature `channel-instagram`).
    #[cfg(feature = "channel-instagram")]
    #[doc(inline)]
    pub use unibox_channel_instagram as instagram;

    /// The WhatsApp Business Cloud API channel (feature `channel-whatsapp`).
    #[cfg(feature = "channel-whatsapp")]
    #[doc(inline)]
    pub use unibox_channel_whatsapp as whatsapp;

    /// The LINE Messaging API channel (feature `channel-line`).
    #[cfg(feature = "channel-line")]
    #[doc(inline)]
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
