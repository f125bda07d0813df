#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod channel;
mod config;
mod error_map;
mod payload;
mod replay;
mod secret;
mod send;
mod tagged;
mod verify;

pub use builder::WebhookChannelBuilder;
pub use channel::WebhookChannel;
pub use config::{DEFAULT_REPLAY_CAPACITY, DEFAULT_TOLERANCE, WebhookChannelConfig, WebhookChannelConfigBuilder};
pub use payload::MAX_ACCOUNT_LENGTH;
pub use secret::{MAX_KEY_BYTES, MIN_KEY_BYTES, SECRET_PREFIX, WebhookSecret};
pub use verify::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_ID_LENGTH, MAX_SIGNATURES};
