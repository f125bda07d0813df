#![doc = include_str!("../docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod channel;
mod config;
mod credentials;
mod error_map;
mod form;
mod inbound;
mod media;
mod outbound;
mod segments;
mod verify;

pub use channel::TwilioChannel;
pub use config::{DEFAULT_API_BASE_URL, TwilioConfig, TwilioConfigBuilder};
pub use credentials::TwilioCredentials;
pub use error_map::{TwilioApiError, error_kind_of_code};
pub use inbound::{ADDRESS_IDENTITY, MAX_MEDIA, WHATSAPP_PREFIX};
pub use media::{DEFAULT_MAX_MEDIA_BYTES, DownloadedMedia};
pub use outbound::MAX_BODY_LENGTH;
pub use segments::{SmsEncoding, SmsSegments, sms_segments};
pub use verify::{SIGNATURE_HEADER, json_webhook_url, signature_header};
