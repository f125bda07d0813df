#![doc = include_str!("../docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod channel;
mod config;
mod content;
mod error_map;
mod inbound;
mod mode;
mod outbound;
mod profile;
mod reply_token;
mod retry_key;
mod tokens;
mod verify;

pub use channel::{API_RATE, LineChannel};
pub use config::{
    DEFAULT_API_BASE_URL, DEFAULT_API_DATA_BASE_URL, DEFAULT_REPLY_WINDOW, LineConfig, LineConfigBuilder,
};
pub use content::{DEFAULT_MAX_CONTENT_BYTES, DownloadedContent};
pub use error_map::LineApiError;
pub use inbound::{GROUP_IDENTITY, ROOM_IDENTITY};
pub use mode::ChannelMode;
pub use outbound::{MAX_MESSAGES_PER_REQUEST, MAX_TEXT_LENGTH};
pub use retry_key::retry_key;
pub use tokens::{AssertionSigner, MAX_ASSERTION_TOKEN_LIFETIME, TokenIssuance, assertion_jwt};
pub use verify::{SIGNATURE_HEADER, signature_header};
