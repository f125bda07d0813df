#![doc = include_str!("../docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod channel;
mod config;
mod error_map;
mod inbound;
mod media;
mod orders;
mod outbound;
mod read_receipt;

pub use channel::{CUSTOMER_SERVICE_WINDOW, MAX_TEXT_LENGTH, NUMBER_THROUGHPUT, PAIR_RATE, WhatsAppChannel};
pub use config::{DEFAULT_MAX_MEDIA_BYTES, WhatsAppConfig, WhatsAppConfigBuilder};
pub use inbound::{ConversationWindow, Pricing, StatusReport};
pub use media::DownloadedMedia;
pub use outbound::MAX_CAPTION_LENGTH;
