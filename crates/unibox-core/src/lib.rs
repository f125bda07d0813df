//! The core of unibox: the unified messaging model and the ports every part plugs into.
//!
//! - [`Channel`]: a platform adapter (verify and parse webhooks, send messages).
//! - The [inbox ports](inbox): where conversations live (memory, SQLite, PostgreSQL, yours),
//!   as small ports ([`ChannelAccounts`], [`EventIngest`], [`InboxReads`],
//!   [`OutboundMessages`], [`TeamWorkflow`]); the rules for storing events are in [`ingest`].
//! - [`TokenStore`]: platform credentials, per tenant and channel account.
//! - [`Policy`]: who may do what.
//!
//! A storage backend hands all of its parts to the hub at once, as a [`store::Store`] bundle.
//!
//! The [`Hub`] composes them: it turns a webhook request into stored conversations and an
//! agent's reply into a platform send. Most applications use the `unibox` facade crate,
//! which re-exports this crate and adds adapters and stores by feature.
//!
//! ```
//! use unibox_core::{Content, ContentKind};
//! assert_eq!(Content::text("hi").kind(), ContentKind::Text);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod ai;
pub mod analytics;
pub mod audit;
pub mod catalog;
pub mod changes;
pub mod channel;
pub mod command;
pub mod delivery;
mod error;
pub mod fingerprint;
pub mod history;
pub mod http;
pub mod hub;
mod id;
pub mod inbox;
pub mod ingest;
pub mod lifecycle;
pub mod memory;
pub mod metering;
mod model;
pub mod orders;
pub mod outbox;
pub mod policy;
pub mod privacy;
pub mod profiles;
pub mod session;
pub mod store;
mod time;
mod token;
pub mod workflow;

pub use channel::Channel;
pub use error::{Error, ErrorKind, Result, Retry};
pub use hub::Hub;
pub use id::{ChannelAccountId, ChannelId, ContactId, ConversationId, MessageId, NoteId, TenantId, UserId};
pub use inbox::{ChannelAccounts, EventIngest, InboxReads, OutboundMessages, TeamWorkflow};
pub use model::*;
pub use policy::{Action, Actor, Policy, Principal, Resource, Role, RolePolicy, TeamPolicy};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
pub use token::{SealedSlot, SealedTokenBackend, SealedTokens, TokenSet, TokenStatus, TokenStore, WrappedDataKey};

/// Re-exported so adapters and the testkit use the same `async_trait` as the traits.
pub use async_trait::async_trait;
/// Re-exported so integrators use the same `secrecy` version as unibox.
pub use secrecy;
